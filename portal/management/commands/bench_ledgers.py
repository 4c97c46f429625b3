"""`python manage.py bench_ledgers`: the pages that read the summary (hours/summary.py), timed as
one client sees them (median of repeated requests) with their query counts, on whatever data the
database holds (`make bench` seeds it): 学时档案 of the person with the most years, the staff ledger
of a unit of about 500 staff, 查询统计 for the province and for one city. Run at two sizes, the query
counts must not move."""
from django.core.management.base import BaseCommand
from django.db import connection
from django.db.models import Count
from django.test import Client
from django.urls import reverse

from accounts.models import Membership, MembershipStatus, Organisation, OrganisationKind, Role, RoleGrant, User
from hours.models import Declaration, PersonYear
from review.management.commands.bench_queues import median_ms

LEDGER_STAFF = 500


class Command(BaseCommand):
    help = "学时档案、本单位人员学时情况、查询统计的性能测试（在已有合成数据上）。"

    def add_arguments(self, parser):
        parser.add_argument("--runs", type=int, default=20)

    def handle(self, *args, runs, **options):
        out = self.stdout.write
        out(f"declarations: {Declaration.objects.count()}; person-years in the summary: {PersonYear.objects.count()}")
        pages = []
        person = (
            PersonYear.objects.values("person").annotate(n=Count("id")).order_by("-n", "person").first()
        )
        if person:
            pages.append((f"学时档案 ({person['n']} years)", User.objects.get(pk=person["person"]), reverse("certificates:record")))
        unit = (
            Membership.objects.filter(status=MembershipStatus.ACTIVE).values("organisation")
            .annotate(n=Count("id")).filter(n__gte=LEDGER_STAFF).order_by("n").first()
        )
        admin = unit and RoleGrant.objects.filter(role=Role.UNIT_ADMIN, organisation=unit["organisation"]).first()
        if admin:
            ledger = reverse("hours:staff_ledger")
            pages += [
                (f"本单位人员学时情况 (unit of {unit['n']} staff)", admin.user, ledger),
                ("本单位人员学时情况, 未达标", admin.user, f"{ledger}?status=short"),
                ("本单位人员学时情况, Excel export", admin.user, f"{ledger}?export=xlsx"),
            ]
        else:
            self.stderr.write(f"no unit has {LEDGER_STAFF} staff: ledger not measured")
        province = Organisation.objects.filter(kind=OrganisationKind.BUREAU, depth=1).first()
        clerk = province and RoleGrant.objects.filter(role=Role.BUREAU_CLERK, organisation=province).first()
        if clerk:
            statistics = reverse("review:statistics")
            pages.append(("查询统计, province", clerk.user, statistics))
            city = Organisation.objects.filter(kind=OrganisationKind.BUREAU, depth__gt=1).first()
            if city:
                pages.append((f"查询统计, one city ({city.name})", clerk.user, f"{statistics}?org={city.pk}"))
        for label, user, url in pages:
            client = Client(HTTP_HOST="127.0.0.1")
            client.force_login(user)
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
            executed = []
            with connection.execute_wrapper(lambda execute, *a: executed.append(1) or execute(*a)):
                client.get(url)
            out(f"{label}: median {median_ms(lambda: client.get(url), runs):.1f} ms, {len(executed)} queries")
