"""`python manage.py bench_api`: a batch of 1,000 records pushed to the training platforms' API
through the whole HTTP stack (every middleware, the key check, the rate-limit count, ninja's
parsing, records_push, the JSON answer), as a platform sends it: first (all accepted), again (all
unchanged), changed (all updated). Each run sends a fresh batch under a new province-wide key of a
training base (made if the database has none) and deletes both afterwards; the key's issuer, a
system administrator, is made once if the database has none (`key_issuer`). Figures print one per line."""
import json
import random
import secrets
import statistics
import time
from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.models import Q
from django.test import Client, override_settings
from django.utils import timezone

from accounts.models import Nature, Organisation, OrganisationKind, Role, User
from accounts.services import organisation_create, role_grant, staff_account_create
from api.models import ApiKey
from api.schemas import MAX_BATCH
from api.services import key_create
from hours.models import TrainingRecord
from hours.synthetic.data import ALL_YEARS_COUNTIES, GIVEN, SURNAMES, credit_code, id_number

TARGET_SECONDS = 2
ON_FILE_SHARE = 0.2  # of the batch: people registered here; the rest are not (yet)
BENCH_BASE = "性能测试继续教育基地"
BENCH_ISSUER = "bench_sysadmin"
URL = "/api/v1/records"


def training_base():
    base = Organisation.objects.filter(kind=OrganisationKind.TRAINING_BASE, is_active=True).order_by("id").first()
    if base is not None:
        return base
    province = Organisation.objects.filter(kind=OrganisationKind.BUREAU, depth=1).order_by("id").first()
    if province is None:
        raise CommandError("数据库中没有人社部门：请先生成合成数据（seed_synthetic）。")
    return organisation_create(
        name=BENCH_BASE, uscc=credit_code("12", "430000", "BENCH001"), kind=OrganisationKind.TRAINING_BASE,
        nature=Nature.PUBLIC_INSTITUTION, bureau=province,
    )


def batch(run, rng, today):
    """MAX_BATCH valid records of run `run`: a share of people on file (under their own names),
    the rest numbers no one registered, courses of 1–5 days ending last year."""
    on_file = int(MAX_BATCH * ON_FILE_SHARE)
    people = list(User.objects.filter(id_number__isnull=False).exclude(id_number="").order_by("?").values_list("id_number", "name")[:on_file])
    while len(people) < MAX_BATCH:
        born = f"{rng.randrange(1965, 2001)}{rng.randrange(1, 13):02d}{rng.randrange(1, 29):02d}"
        people.append((id_number(f"{rng.choice(ALL_YEARS_COUNTIES)}{born}{rng.randrange(1000):03d}"), None))
    names = dict(User.objects.filter(id_number__in=[n for n, _ in people]).values_list("id_number", "name"))
    records = []
    for n, (number, _) in enumerate(people):
        days = rng.randrange(1, 6)
        end = today.replace(year=today.year - 1, month=rng.randrange(1, 13), day=rng.randrange(1, 29))
        records.append({
            "record_id": f"BENCH-{run}-{n:04d}", "id_number": number,
            "name": names.get(number) or rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, 2)),
            "title": f"{end.year}年专业技术人员继续教育培训（第{n % 40 + 1}期）", "subject": rng.choice(("public", "professional")),
            "hours": str(rng.randrange(4, 8 * days + 1)), "start_date": (end - timedelta(days=days - 1)).isoformat(),
            "end_date": end.isoformat(), "certificate_no": f"BENCH{run}{n:04d}",
        })
    return records, sum(1 for number, _ in people if number in names)


def key_issuer():
    """Who issues the bench's province-wide key: a system administrator (a bureau's key would refuse
    the people not registered yet, most of the batch). The synthetic data have none: the bench makes
    `bench_sysadmin` once (a random password no one holds) and keeps it for the next runs."""
    found = User.objects.filter(Q(role_grants__role=Role.SYSADMIN) | Q(is_superuser=True), is_active=True).order_by("id").first()
    if found is not None:
        return found
    bench = User.objects.filter(username=BENCH_ISSUER).first()
    if bench is None:
        return staff_account_create(username=BENCH_ISSUER, name="性能测试管理员", password=f"Bench@{secrets.token_hex(12)}",
                                    role=Role.SYSADMIN)
    role_grant(user=bench, role=Role.SYSADMIN)  # an earlier bench's account whose role was taken away
    return bench


class Command(BaseCommand):
    help = "培训平台接口性能测试：1000条记录的一批，经完整HTTP栈报送（首次、重发、修改后重发）。"

    def add_arguments(self, parser):
        parser.add_argument("--runs", type=int, default=3, help="重复次数（每次新的一批），取中位数")

    def handle(self, *args, runs, **options):
        base = training_base()
        issuer = key_issuer()
        rng = random.Random()
        today = timezone.localdate()
        out = self.stdout.write
        times = {"first push": [], "re-push": [], "changed re-push": []}
        queries = {}
        # The rate limit is counted as in production, but set high enough for the repeated runs.
        with override_settings(API_RATE_LIMIT=(10**6, 60)):
            for _ in range(runs):
                run = secrets.token_hex(4)
                key, raw = key_create(user=issuer, organisation=base, name=f"性能测试 {run}",
                                      subjects=["public", "professional"], source="training_base")
                client = Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Bearer {raw}")
                try:
                    records, on_file = batch(run, rng, today)
                    client.get(URL, {"limit": 1})  # a warm process: the API's first call in it loads ninja's routes
                    changed = [{**r, "title": r["title"] + "（修订）"} for r in records]
                    for label, sent, expected in (("first push", records, "accepted"), ("re-push", records, "unchanged"),
                                                  ("changed re-push", changed, "updated")):
                        body = json.dumps({"records": sent}, ensure_ascii=False).encode()
                        executed = []
                        with connection.execute_wrapper(lambda execute, *a: executed.append(1) or execute(*a)):
                            start = time.perf_counter()
                            response = client.post(URL, body, content_type="application/json")
                            times[label].append(time.perf_counter() - start)
                        answer = response.json()
                        if response.status_code != 200 or answer[expected] != len(sent):
                            raise CommandError(f"{label}: {response.status_code} {json.dumps(answer, ensure_ascii=False)[:500]}")
                        queries[label] = len(executed)
                finally:
                    TrainingRecord.objects.filter(source_org=base, external_id__startswith=f"BENCH-{run}-").delete()
                    ApiKey.objects.filter(pk=key.pk).delete()
        out(f"API batch: {len(records)} records ({on_file} people on file, {len(records) - on_file} not), "
            f"body {len(body) / 1024:.1f} KB of API_MAX_BODY {settings.API_MAX_BODY // 1024} KB")
        for label, expected in (("first push", "accepted"), ("re-push", "unchanged"), ("changed re-push", "updated")):
            out(f"API {label} (all {expected}): median of {runs} {statistics.median(times[label]):.2f} s "
                f"(max {max(times[label]):.2f} s), {queries[label]} queries")
        missed = [label for label, measured in times.items() if statistics.median(measured) >= TARGET_SECONDS]
        if len(body) > settings.API_MAX_BODY:
            missed.append("body over API_MAX_BODY")
        out(f"  targets (< {TARGET_SECONDS} s each, body within API_MAX_BODY): {'met' if not missed else 'MISSED: ' + ', '.join(missed)}")
