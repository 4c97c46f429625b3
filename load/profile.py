"""CPU per page of the load test's mix, without the load tool (python -m load.profile).

Signs in (force_login) the same kinds of synthetic accounts load/run.py picks, opens each page of
the mix N times through Django's test Client on the benchmark database, and prints per page the
CPU milliseconds of this process and of its PostgreSQL backend, the queries, and the Python function
calls of one request (the same for the same code, however busy the machine). Writes (saving a
draft, approving) run inside a transaction that is rolled back, so the benchmark data stay as they
were. --profile PAGE prints that page's cProfile (the portal's own functions by cumulative time,
then everything by own time); --sql adds its statements with their times."""
import argparse
import cProfile
import os
import pstats
import time
from pathlib import Path

import psutil

BASE_DIR = Path(__file__).resolve().parents[1]

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.local")
os.environ.setdefault("DJANGO_DEBUG", "0")
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ.setdefault("MEDIA_ROOT", str(BASE_DIR / "var" / "load" / "media"))  # where make load issued the certificates
os.environ.setdefault("DATABASE_URL", "postgres://postgres:postgres@127.0.0.1:5432/xueshi_bench")


def accounts():
    from django.db.models import Count

    from accounts.models import Role, RoleGrant
    from certificates.models import Certificate
    from hours.models import Declaration
    from workflow.models import State

    draft = (Declaration.objects.filter(state=State.DRAFT, declared_by=None, applicant__username__regex=r"^\d{17}[\dX]$")
             .select_related("applicant").order_by("id").first())

    def busiest(role, state):
        row = (Declaration.objects.filter(state=state).values("current_org").annotate(n=Count("id"))
               .order_by("-n", "current_org").first())
        return RoleGrant.objects.filter(role=role, organisation_id=row["current_org"]).select_related("user").first().user

    certificate = Certificate.objects.select_related("applicant").order_by("id").first()
    return {
        "applicant": (draft.applicant, draft, draft.year_records.order_by("-year").first()),
        "unit": busiest(Role.UNIT_ADMIN, State.UNIT_REVIEW),
        "superior": busiest(Role.DEPT_ADMIN, State.SUPERIOR_REVIEW),
        "clerk": busiest(Role.BUREAU_CLERK, State.BUREAU_REVIEW),
        "certificate": certificate,
    }


def pages(found):
    from load.pages import approval, case_ids, pickable

    applicant, draft, record = found["applicant"]
    certificate = found["certificate"]
    edit = f"/hours/{draft.pk}/edit/?year={record.pk}"

    def first_case(client, queue):
        return case_ids(client.get(queue).content.decode())[0]

    def approve(queue):
        def post(client):
            pk = first_case(client, queue)
            form = approval(client.get(f"/review/case/{pk}/").content.decode())
            return f"/review/case/{pk}/", form
        return post

    def batch(client):
        ids = pickable(client.get("/review/todo/").content.decode())[:5]
        return "/review/todo/batch/", {"ids": ids, "scope": "picked", "decision": "approve"}

    add = {"activity": "training", "subject": "professional", "days": "2", "half_days": "1", "title": "压测专业科目研修班"}
    return [
        # (page, user, GET path or a function giving (POST path, data))
        ("申报列表", applicant, "/hours/"),
        ("申报列表（按状态）", applicant, "/hours/?status=pending"),
        ("草稿编辑页", applicant, edit),
        ("保存草稿（添加学习项目）", applicant, lambda c: (f"/hours/{draft.pk}/years/{record.pk}/items/add/", add)),
        ("单位审核队列", found["unit"], "/review/unit/"),
        ("上级单位审核队列", found["superior"], "/review/superior/"),
        ("审核详情页", found["unit"], lambda c: f"/review/case/{first_case(c, '/review/unit/')}/"),
        ("审核通过（单位）", found["unit"], approve("/review/unit/")),
        ("审核通过（上级单位）", found["superior"], approve("/review/superior/")),
        ("待办列表", found["clerk"], "/review/todo/"),
        ("待办列表（筛选）", found["clerk"], "/review/todo/?applicant=张&supervision=normal"),
        ("待办列表（翻页）", found["clerk"], "/review/todo/?page=50"),
        ("批量审核", found["clerk"], batch),
        ("学时认定单下载", certificate.applicant, f"/certificates/{certificate.number}/download/"),
        ("学时证书打印页", certificate.applicant,
         f"/certificates/?start_year={certificate.start_year}&end_year={certificate.end_year}"),
    ]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=20, help="requests per page")
    parser.add_argument("--profile", help="page name (or part of it) to run under cProfile")
    parser.add_argument("--top", type=int, default=35)
    parser.add_argument("--sql", action="store_true", help="with --profile: the last request's queries and their times")
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client

    # Not setup_test_environment(): its instrumented rendering copies the context at every template
    # and include, which gunicorn never does, and would double the pages' template cost here.
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    found = accounts()
    with connection.cursor() as cursor:  # the PostgreSQL backend serving this process: its CPU is the database's share
        cursor.execute("SELECT pg_backend_pid()")
        backend = psutil.Process(cursor.fetchone()[0])
    print(f"{'page':<22}{'CPU ms':>9}{'PG ms':>8}{'queries':>9}{'calls':>9}{'status':>8}")
    for name, user, target in pages(found):
        if args.profile and args.profile not in name:
            continue
        client = Client()
        client.force_login(user)
        one_request(client, target)  # warm, as a worker is after its first requests: templates compiled, rule sets parsed
        profiler = cProfile.Profile(time.process_time) if args.profile else None
        spent, queries = 0.0, 0
        pg_before = sum(backend.cpu_times()[:2])
        for _ in range(args.n):
            response, captured, seconds = one_request(client, target, profiler)
            spent += seconds
            queries += len(captured.captured_queries)
        # The database's CPU includes the setup requests of POST pages (finding the case to approve).
        pg = 1000 * (sum(backend.cpu_times()[:2]) - pg_before) / args.n
        cpu = 1000 * spent / args.n
        # Python function calls per request, counted by cProfile on one more request: unlike CPU time
        # on a shared machine, the same code gives the same count, so runs compare.
        counter = cProfile.Profile()
        one_request(client, target, counter)
        calls = pstats.Stats(counter).total_calls
        print(f"{name:<22}{cpu:>9.1f}{pg:>8.1f}{queries / args.n:>9.1f}{calls:>9,}{response.status_code:>8}")
        if profiler and args.sql:
            for query in captured.captured_queries:
                print(f"{float(query['time']) * 1000:7.1f} ms  {query['sql'][:400]}")
        if profiler:
            stats = pstats.Stats(profiler)
            # The portal's own functions first (where to look), then everything by own time.
            stats.sort_stats("cumulative").print_stats(rf"^{BASE_DIR}/(?!\.venv)", args.top)
            stats.strip_dirs().sort_stats("tottime").print_stats(args.top)


def one_request(client, target, profiler=None):
    """One request of a page inside a transaction that is rolled back: (response, its queries, CPU seconds)."""
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from core.repeats import forget_last

    with transaction.atomic():
        if callable(target):
            made = target(client)
            path, data = (made, None) if isinstance(made, str) else made
        else:
            path, data = target, None
        with CaptureQueriesContext(connection) as captured:
            if profiler:
                profiler.enable()
            started = time.process_time()
            response = client.post(path, data) if data is not None else client.get(path)
            if hasattr(response, "streaming_content"):
                b"".join(response.streaming_content)
            seconds = time.process_time() - started
            if profiler:
                profiler.disable()
        transaction.set_rollback(True)
    # The write was rolled back, so the next identical POST is a first one again; without this the
    # repeat guard (core/repeats.py) would answer it as a resend and the page would measure that.
    if data is not None:
        forget_last(client.session.session_key)
    return response, captured, seconds


if __name__ == "__main__":
    main()
