"""`python manage.py bench_queues [--ensure N]`: the bureau 待办列表 timed as one client sees it
(first, filtered and deep page, median of repeated requests), beside a bare Django list page over
the same table, plus a 500-item batch decision. Figures print one per line."""
import statistics
import time

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Count
from django.http import HttpResponse
from django.template import Context, Template
from django.test import Client, RequestFactory

from accounts.models import Role, User
from hours.models import Declaration
from review.services import declaration_batch_decide
from workflow.models import State

BARE = Template(
    "<table>{% for d in page %}<tr><td>{{ d.business_no }}</td><td>{{ d.name }}</td><td>{{ d.id_number }}</td>"
    "<td>{{ d.state }}</td></tr>{% endfor %}</table><p>{{ page.paginator.count }}</p>"
)


def bare_list(request):
    """The floor to compare with: a plain paginated page of 15 declarations with a COUNT, no menu, no session."""
    page = Paginator(Declaration.objects.order_by("id"), 15).get_page(request.GET.get("page"))
    return HttpResponse(BARE.render(Context({"page": page})))


def median_ms(call, runs):
    call()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


class Command(BaseCommand):
    help = "待办列表、批量审核的性能测试（需先有合成数据；--ensure N 不足时自动生成）。"

    def add_arguments(self, parser):
        parser.add_argument("--ensure", type=int, default=0, help="确保至少有 N 条申报（不足时调用 seed_synthetic）")
        parser.add_argument("--runs", type=int, default=30)
        parser.add_argument("--batch", type=int, default=500)

    def handle(self, *args, ensure, runs, batch, **options):
        total = Declaration.objects.count()
        if total < ensure:
            self.stdout.write(f"generating {ensure - total} synthetic declarations …")
            call_command("seed_synthetic", declarations=ensure - total, stdout=self.stderr)
            total = Declaration.objects.count()
        busiest = (
            Declaration.objects.filter(state=State.BUREAU_REVIEW)
            .values("current_org").annotate(n=Count("id")).order_by("-n").first()
        )
        if not busiest:
            self.stderr.write("no declaration waits at a bureau: nothing to measure")
            return
        clerk = User.objects.filter(role_grants__role=Role.BUREAU_CLERK, role_grants__organisation=busiest["current_org"]).first()
        waiting = busiest["n"]
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(clerk)
        deep_page = min(301, max(1, waiting // 15))  # page 301 starts at OFFSET 4500
        sample_name = Declaration.objects.filter(current_org=busiest["current_org"]).values_list("name", flat=True).first()[:1]
        pages = {
            "todo first page": "/review/todo/",
            "todo filtered page": f"/review/todo/?applicant={sample_name}&supervision=normal",
            f"todo deep page (page {deep_page}, offset {(deep_page - 1) * 15})": f"/review/todo/?page={deep_page}",
        }
        out = self.stdout.write
        out(f"declarations: {total}")
        out(f"waiting at the busiest bureau: {waiting}")
        for label, url in pages.items():
            assert client.get(url).status_code == 200, url
            executed = []
            # Counted at the cursor: Django clears connection.queries at every request start.
            with connection.execute_wrapper(lambda execute, *a: executed.append(1) or execute(*a)):
                client.get(url)
            out(f"{label}: median {median_ms(lambda: client.get(url), runs):.1f} ms, {len(executed)} queries")
        factory = RequestFactory()
        bare_deep = min(301, max(1, total // 15))
        for label, page in (("bare list page (15 rows + COUNT)", 1), (f"bare deep page (offset {(bare_deep - 1) * 15})", bare_deep)):
            request = factory.get("/", {"page": page})
            out(f"{label}: median {median_ms(lambda: bare_list(request), runs):.1f} ms")
        ids = list(
            Declaration.objects.filter(state=State.BUREAU_REVIEW, current_org=busiest["current_org"])
            .order_by("id").values_list("id", flat=True)[:batch]
        )
        start = time.perf_counter()
        results = declaration_batch_decide(user=clerk, ids=ids, decision="approve")
        elapsed = time.perf_counter() - start
        out(f"batch decision ({len(ids)} declarations, {sum(r.ok for r in results)} approved): {elapsed:.2f} s")
