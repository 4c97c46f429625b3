"""`python manage.py checks_refresh [--all]`: run the automatic checks (校验) on the declarations
waiting at a review level that have no verdict for that level yet — those waiting since before the
verdict was kept (hours migration 0018), or written by the synthetic seeder — and keep the verdict
for the 待办列表. With --all, every waiting declaration is checked again."""
from django.core.management.base import BaseCommand
from django.db.models import F, Q

from hours.models import Declaration
from review.services import declaration_checks_record
from workflow.models import PENDING_STATES


class Command(BaseCommand):
    help = "为等待审核的申报运行自动校验并保存校验结论（待办列表的“校验”列）"

    def add_arguments(self, parser):
        parser.add_argument("--all", action="store_true", help="重新校验所有等待审核的申报")

    def handle(self, *args, **options):
        waiting = Declaration.objects.filter(state__in=PENDING_STATES)
        if not options["all"]:
            waiting = waiting.exclude(Q(checked_at__gte=F("waiting_since")) & Q(checks_failed__isnull=False))
        passed = failed = 0
        for pk in waiting.order_by("waiting_since", "id").values_list("pk", flat=True).iterator():
            result = declaration_checks_record(pk)
            if result is None:
                continue
            if result:
                failed += 1
            else:
                passed += 1
        self.stdout.write(f"已校验 {passed + failed} 件：全部通过 {passed} 件，未通过 {failed} 件。")
