"""`make load` (python -m load.run): the portal under load, on loopback, for a bounded time.

1. The benchmark database (PostgreSQL, xueshi_bench by default): migrated, topped up to N
   synthetic declarations (seed_synthetic), static files collected as production serves them.
2. The accounts the virtual users play, all real synthetic ones: applicants with a draft,
   unit and superior administrators with the most declarations waiting, clerks of the busiest
   bureaus, and applicants with approved hours whose 学时认定单 is issued here, before the run,
   so the run measures downloading it rather than rendering it.
3. gunicorn serving portal.wsgi with production settings (load/settings.py adds /load/ping) on
   127.0.0.1 and a free port, the cache and sessions on Redis when it answers.
4. Every account signs in through the login form (and its second factor, for clerks).
5. locust, headless, FastHttpUser: the mix for LOAD_SECONDS, then the ping page, as fast as it
   goes, for the ceiling. A table per page: requests, rps, median, p95, errors.
"""
import argparse
import csv
import json
import os
import re
import resource
import secrets
import socket
import subprocess
import sys
import time
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import unquote, urlsplit

import psutil
import requests

BASE_DIR = Path(__file__).resolve().parents[1]
VAR = BASE_DIR / "var" / "load"
PASSWORD = "Demo@2024"  # every synthetic account's (hours/synthetic/data.py)
TARGET_RPS, TARGET_P95_MS = 100, 300
TARGET_RATIO = 6  # the mix's gunicorn CPU per request, at most this many times the trivial view's
# Virtual users per role; each is a distinct account.
ACCOUNTS = {"applicant": 16, "unit_reviewer": 8, "superior_reviewer": 4, "clerk": 4, "certificate": 8}
USER_CLASSES = {"applicant": "Applicant", "unit_reviewer": "UnitReviewer", "superior_reviewer": "SuperiorReviewer",
                "clerk": "Clerk", "certificate": "CertificateHolder"}
ITEM_TITLE = "压测专业科目研修班"  # what the virtual applicants add (load/locustfile.py)


def arguments():
    env = os.environ.get
    parser = argparse.ArgumentParser(description="学时核认 负载测试 (make load)")
    parser.add_argument("--database-url", default=env("LOAD_DATABASE_URL", "postgres://postgres:postgres@127.0.0.1:5432/xueshi_bench"))
    parser.add_argument("--redis-url", default=env("LOAD_REDIS_URL", "redis://127.0.0.1:6379/4"))
    parser.add_argument("--declarations", type=int, default=int(env("LOAD_DECLARATIONS", "100000")))
    parser.add_argument("--seconds", type=int, default=int(env("LOAD_SECONDS", "60")))
    parser.add_argument("--ceiling-seconds", type=int, default=int(env("LOAD_CEILING_SECONDS", "20")))
    parser.add_argument("--rps", type=float, default=float(env("LOAD_RPS", "120")), help="rate the virtual users ask for")
    parser.add_argument("--worker-class", default=env("LOAD_WORKER_CLASS", "gthread"), choices=["gthread", "sync"])
    parser.add_argument("--workers", type=int, default=int(env("LOAD_WORKERS", "3")))
    parser.add_argument("--threads", type=int, default=int(env("LOAD_THREADS", "4")))
    return parser.parse_args()


def redis_answers(url):
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname, parts.port or 6379), timeout=1) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def environment(args):
    """What gunicorn and this process run with: production settings, loopback, demo seal keys."""
    VAR.mkdir(parents=True, exist_ok=True)
    env = {
        "DJANGO_SETTINGS_MODULE": "load.settings",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": args.database_url,
        "MEDIA_ROOT": str(VAR / "media"),
        "STATIC_ROOT": str(VAR / "static"),
        "STORAGE_BACKEND": "filesystem",
        "CERT_DEMO_SIGNING": "1",
        "LOG_FORMAT": "json",
        # Persistent connections outlive the run, so the database's CPU per request can be read off its backends.
        "DB_CONN_MAX_AGE": "600",
        "PYTHONUNBUFFERED": "1",
    }
    if redis_answers(args.redis_url):
        env["REDIS_URL"] = args.redis_url
    else:
        os.environ.pop("REDIS_URL", None)
        print(f"Redis 未响应 ({args.redis_url})：缓存在各进程内存中，会话在数据库中。")
    os.environ.update(env)
    # This process only prepares: its own log stays quiet; gunicorn logs every request.
    os.environ["LOG_LEVEL"] = "WARNING"
    return {**os.environ, "LOG_LEVEL": "INFO"}


def prepare(args):
    """Steps 1 and 2: the database and the accounts, as a dict per role for the sign-in."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connections
    from django.db.models import Count, Max

    from accounts.models import Role, RoleGrant
    from certificates.services import certificate_issue
    from hours import services as hours_services
    from hours.models import Declaration, Item
    from workflow.models import State

    call_command("migrate", interactive=False, verbosity=0)
    total = Declaration.objects.count()
    if total < args.declarations:
        print(f"生成 {args.declarations - total:,} 份合成申报 …", flush=True)
        call_command("seed_synthetic", declarations=args.declarations - total)
        total = Declaration.objects.count()
    call_command("collectstatic", interactive=False, verbosity=0)

    accounts = {role: [] for role in ACCOUNTS}
    drafts = (Declaration.objects.filter(state=State.DRAFT, declared_by=None, applicant__username__regex=r"^\d{17}[\dX]$")
              .select_related("applicant").order_by("id"))
    for declaration in drafts[: ACCOUNTS["applicant"]]:
        record = declaration.year_records.order_by("-year").first()
        for item in Item.objects.filter(year_record__declaration=declaration, title=ITEM_TITLE):  # left by an earlier run
            hours_services.item_delete(item=item, user=declaration.applicant)
        last = Item.objects.filter(year_record__declaration=declaration).aggregate(last=Max("id"))["last"] or 0
        accounts["applicant"].append({"login": declaration.applicant.username, "draft": declaration.pk,
                                      "year_record": record.pk, "last_item": last})

    def reviewers(role, state, wanted, taken):
        busiest = (Declaration.objects.filter(state=state).values("current_org")
                   .annotate(n=Count("id")).order_by("-n", "current_org"))
        found = []
        for row in busiest.iterator():
            grant = (RoleGrant.objects.filter(role=role, organisation_id=row["current_org"])
                     .exclude(user__username__in=taken).select_related("user").first())
            if grant:
                found.append({"login": grant.user.username, "waiting": row["n"]})
                taken.add(grant.user.username)
            if len(found) == wanted:
                return found
        return found

    taken = set()
    accounts["unit_reviewer"] = reviewers(Role.UNIT_ADMIN, State.UNIT_REVIEW, ACCOUNTS["unit_reviewer"], taken)
    accounts["superior_reviewer"] = reviewers(Role.DEPT_ADMIN, State.SUPERIOR_REVIEW, ACCOUNTS["superior_reviewer"], taken)

    bureaus = (Declaration.objects.filter(state=State.BUREAU_REVIEW).values("current_org")
               .annotate(n=Count("id")).order_by("-n", "current_org"))
    for row in bureaus[:2]:
        names = (Declaration.objects.filter(state=State.BUREAU_REVIEW, current_org=row["current_org"])
                 .order_by("id").values_list("name", flat=True)[:50])
        grants = RoleGrant.objects.filter(role=Role.BUREAU_CLERK, organisation_id=row["current_org"]).select_related("user")
        for slot, grant in enumerate(grants.order_by("id")[:2]):
            accounts["clerk"].append({"login": grant.user.username, "slot": slot, "waiting": row["n"],
                                      "surnames": sorted({name[0] for name in names}), "otp": totp_key(grant.user)})

    approved = (Declaration.objects.filter(state=State.APPROVED, declared_by=None).select_related("applicant")
                .order_by("id"))
    seen = set()
    for declaration in approved.iterator():
        if declaration.applicant_id in seen:
            continue
        seen.add(declaration.applicant_id)
        certificate, _ = certificate_issue(user=declaration.applicant, start_year=declaration.start_year,
                                           end_year=declaration.end_year, base_url="https://127.0.0.1")
        accounts["certificate"].append({"login": declaration.applicant.username, "certificate": certificate.number,
                                        "span": [declaration.start_year, declaration.end_year]})
        if len(accounts["certificate"]) == ACCOUNTS["certificate"]:
            break

    for role, wanted in ACCOUNTS.items():
        if len(accounts[role]) < wanted:
            sys.exit(f"合成数据中可用于“{role}”的账号只有 {len(accounts[role])} 个（需要 {wanted} 个）。")
    connections.close_all()
    return total, accounts


def totp_key(user):
    """A confirmed authenticator for a clerk (production asks clerks for a second factor)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="压测身份验证器", confirmed=True)
    return device.key


def start_gunicorn(args, port, env):
    command = [
        sys.executable, "-m", "gunicorn", "portal.wsgi:application", "--bind", f"127.0.0.1:{port}",
        "--worker-class", args.worker_class, "--workers", str(args.workers), "--threads", str(args.threads),
        "--keep-alive", "30", "--timeout", "60", "--log-level", "warning",
    ]
    with open(VAR / "gunicorn.log", "w", encoding="utf-8") as log:  # the child keeps its own copy
        server = subprocess.Popen(command, cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT)
    for _ in range(120):
        if server.poll() is not None:
            sys.exit(f"gunicorn 未能启动，见 {VAR / 'gunicorn.log'}")
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", headers={"X-Forwarded-Proto": "https"}, timeout=2).ok:
                return server
        except requests.RequestException:
            pass
        time.sleep(0.5)
    server.terminate()
    sys.exit("gunicorn 60 秒内没有应答 /healthz")


def sign_in(base, account):
    """The login form as a browser fills it (plus the TOTP code for clerks): the session's cookies.
    Cookies are kept by hand: they are Secure, and this client talks plain HTTP to loopback."""
    origin = base.replace("http://", "https://")
    cookies = {}

    def send(method, path, data=None):
        headers = {"X-Forwarded-Proto": "https", "Origin": origin, "Referer": origin + path,
                   "Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())}
        if data is not None:
            data = {"csrfmiddlewaretoken": cookies.get("csrftoken", ""), **data}
        response = requests.request(method, base + path, data=data, headers=headers, allow_redirects=False, timeout=30)
        cookies.update({c.name: c.value for c in response.cookies})
        return response

    send("GET", "/accounts/login/")
    response = send("POST", "/accounts/login/", {"username": account["login"], "password": PASSWORD})
    if response.status_code != 302:
        error = re.search(r'class="[^"]*error[^"]*"[^>]*>([^<]+)', response.text)
        raise RuntimeError(f"{account['login']} 登录失败（HTTP {response.status_code}）{error.group(1) if error else ''}")
    # Staff who owe a second factor are sent to it from the first page they open.
    if "/accounts/2fa/verify/" in send("GET", "/").headers.get("Location", ""):
        from django_otp.oath import TOTP

        token = f"{TOTP(bytes.fromhex(account['otp'])).token():06d}"
        response = send("POST", "/accounts/2fa/verify/", {"token": token})
        if response.status_code != 302:
            raise RuntimeError(f"{account['login']} 动态口令验证失败（HTTP {response.status_code}）")
    return {**account, "cookies": {k: cookies[k] for k in ("sessionid", "csrftoken")}}


class CpuMeter:
    """CPU seconds spent by gunicorn (master and workers), the database's backends serving it, and
    locust, over one phase. Wall-clock latencies on a shared machine say how busy it was; CPU time
    per request says what a request costs, and so what two free cores would carry."""

    def __init__(self, server):
        from django.db import connection

        self.connection, self.server = connection, psutil.Process(server.pid)

    def _processes(self):
        with self.connection.cursor() as cursor:
            cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")
            backends = [pid for (pid,) in cursor.fetchall()]
        groups = {"gunicorn": [self.server, *self.server.children(recursive=True)], "postgres": []}
        for pid in backends:
            try:
                groups["postgres"].append(psutil.Process(pid))
            except psutil.NoSuchProcess:
                pass
        return groups

    def sample(self):
        totals = {"locust": sum(resource.getrusage(resource.RUSAGE_CHILDREN)[:2])}  # locust runs and is reaped in between
        for group, processes in self._processes().items():
            totals[group] = {}
            for process in processes:
                try:
                    times = process.cpu_times()
                    totals[group][process.pid] = times.user + times.system
                except psutil.NoSuchProcess:
                    pass
        return totals

    @staticmethod
    def spent(before, after):
        spent = {"locust": after["locust"] - before["locust"]}
        for group in ("gunicorn", "postgres"):
            spent[group] = sum(cpu - before[group].get(pid, 0) for pid, cpu in after[group].items())
        return spent


def locust(base, classes, users, seconds, prefix, env):
    command = [
        sys.executable, "-m", "locust", "-f", str(BASE_DIR / "load" / "locustfile.py"), "--headless",
        "-u", str(users), "-r", str(users), "--run-time", f"{seconds}s", "--host", base,
        "--csv", str(prefix), "--only-summary", "--stop-timeout", "5", "--loglevel", "ERROR", *classes,
    ]
    with open(f"{prefix}.log", "w", encoding="utf-8") as log:
        subprocess.run(command, cwd=BASE_DIR, env=env, stdout=subprocess.DEVNULL, stderr=log)
    with open(f"{prefix}_stats.csv", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def padded(text, width):
    """`text` left-aligned in `width` terminal columns (a Chinese character takes two)."""
    return text + " " * (width - sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text))


def server_times():
    """Per page, the server's own durations (the request log's duration_ms), found by the request
    ids the virtual users send (page name, a dot, a number)."""
    times = {}
    for line in (VAR / "gunicorn.log").read_text(encoding="utf-8").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if entry.get("logger") == "core.request" and "." in entry.get("request_id", ""):
            times.setdefault(unquote(entry["request_id"].rsplit(".", 1)[0]), []).append(entry["duration_ms"])
    return times


def table(rows, server):
    lines = [f"{padded('page', 26)}{'requests':>9}{'rps':>8}{'median ms':>11}{'p95 ms':>8}{'errors':>8}{'server ms':>11}"]
    for row in rows:
        name = "TOTAL" if row["Name"] == "Aggregated" else row["Name"]
        own = sorted(server.get(row["Name"], [])) if name != "TOTAL" else sorted(t for ts in server.values() for t in ts)
        lines.append(f"{padded(name, 26)}{int(row['Request Count']):>9}{float(row['Requests/s']):>8.1f}"
                     f"{row['50%']:>11}{row['95%']:>8}{int(row['Failure Count']):>8}"
                     f"{own[len(own) // 2] if own else float('nan'):>11.0f}")
    return "\n".join(lines)


def log_check():
    """The run's own log: every line JSON with a request id, and no readable ID or mobile number."""
    unmasked = re.compile(r"(?<![0-9A-Za-z])(\d{17}[\dXx]|1[3-9]\d{9})(?![0-9A-Za-z])")
    lines = (VAR / "gunicorn.log").read_text(encoding="utf-8").splitlines()
    requests_logged = leaks = not_json = 0
    for line in lines:
        leaks += bool(unmasked.search(line))
        try:
            requests_logged += json.loads(line).get("logger") == "core.request"
        except ValueError:
            not_json += 1
    return len(lines), requests_logged, not_json, leaks


def main():
    args = arguments()
    port = free_port()
    env = environment(args)
    total, accounts = prepare(args)
    base = f"http://127.0.0.1:{port}"
    server = start_gunicorn(args, port, env)
    try:
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=2) as pool:
            for role in accounts:
                accounts[role] = list(pool.map(lambda account: sign_in(base, account), accounts[role]))
        signed_in = sum(map(len, accounts.values()))
        print(f"{signed_in} 个合成账号已通过登录页登录（{time.perf_counter() - started:.1f} 秒）", flush=True)
        sessions = VAR / "sessions.json"
        sessions.write_text(json.dumps({"accounts": accounts}, ensure_ascii=False), encoding="utf-8")
        run_env = {**env, "LOAD_SESSIONS": str(sessions), "LOAD_RPS": str(args.rps),
                   "LOAD_ORIGIN": base.replace("http://", "https://")}
        meter = CpuMeter(server)
        print(f"负载：{signed_in} 个虚拟用户，目标 {args.rps:g} 请求/秒，{args.seconds} 秒 …", flush=True)
        before = meter.sample()
        mix = locust(base, [USER_CLASSES[r] for r in accounts], signed_in, args.seconds, VAR / "mix", run_env)
        middle = meter.sample()
        print(f"上限：ping 页面，{signed_in} 个虚拟用户不间断请求，{args.ceiling_seconds} 秒 …", flush=True)
        ceiling = locust(base, ["PingUser"], signed_in, args.ceiling_seconds, VAR / "ceiling", run_env)
        cpu = {"mix": meter.spent(before, middle), "ceiling": meter.spent(middle, meter.sample())}
    finally:
        server.terminate()
        server.wait(timeout=30)

    pages = sorted((r for r in mix if r["Name"] != "Aggregated"), key=lambda r: r["Name"])
    total_row = next(r for r in mix if r["Name"] == "Aggregated")
    ping = next(r for r in ceiling if r["Name"] == "Aggregated")
    print()
    print(f"学时核认 负载测试 — {total:,} 份申报（PostgreSQL），gunicorn {args.worker_class} {args.workers}×{args.threads}，"
          f"Redis {'是' if 'REDIS_URL' in env else '否'}，locust 与 gunicorn 共用 {os.cpu_count()} 核")
    print(table(pages + [total_row], server_times()))
    print("(median and p95 as locust saw them; server ms: the median the server itself took, from its request log —"
          " the difference is waiting for a free gunicorn thread)")
    print(f"ceiling (trivial view /load/ping, same gunicorn): {float(ping['Requests/s']):.1f} rps, "
          f"median {ping['50%']} ms, p95 {ping['95%']} ms, errors {ping['Failure Count']}")
    rps, errors = float(total_row["Requests/s"]), sum(int(r["Failure Count"]) for r in pages)
    slow = [r["Name"] for r in pages if float(r["95%"]) >= TARGET_P95_MS]
    print(f"targets (≥ {TARGET_RPS} rps, p95 < {TARGET_P95_MS} ms on every page, no errors): "
          + ("met" if rps >= TARGET_RPS and not slow and not errors else
             f"MISSED — {rps:.1f} rps, slow: {', '.join(slow) or 'none'}, errors: {errors}"))
    gunicorn_ms = {}
    for phase, rows in (("mix", mix), ("ceiling", ceiling)):
        # Every request of the phase, as the CPU was measured over all of it (the one-second ramp-up included).
        sent = sum(int(r["Request Count"]) for r in rows if r["Name"] != "Aggregated")
        spent = cpu[phase]
        per = {k: 1000 * v / max(sent, 1) for k, v in spent.items()}
        gunicorn_ms[phase] = per["gunicorn"]
        server_ms = per["gunicorn"] + per["postgres"]
        print(f"CPU per request ({phase}): gunicorn {per['gunicorn']:.1f} ms + PostgreSQL {per['postgres']:.1f} ms"
              f" + locust {per['locust']:.1f} ms ⇒ {os.cpu_count()} free cores would serve ≈ "
              f"{os.cpu_count() * 1000 / (server_ms + per['locust']):.0f} rps beside locust, "
              f"{os.cpu_count() * 1000 / server_ms:.0f} rps without it")
    # The issue's yardstick (docs/scaling.md): the same machine's speed moves from run to run, the ratio less.
    ratio = gunicorn_ms["mix"] / max(gunicorn_ms["ceiling"], 1e-9)
    print(f"mix ÷ trivial view, gunicorn CPU per request: {ratio:.1f} × (target ≤ {TARGET_RATIO} ×: "
          f"{'met' if ratio <= TARGET_RATIO else 'MISSED'}; {gunicorn_ms['mix']:.2f} ms ÷ {gunicorn_ms['ceiling']:.2f} ms)")
    lines, logged, not_json, leaks = log_check()
    print(f"log: {lines} lines, {logged} request lines, {not_json} not JSON, {leaks} with a readable ID/mobile number "
          f"({VAR / 'gunicorn.log'})")


if __name__ == "__main__":
    main()
