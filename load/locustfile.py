"""The load test's virtual users (run by load/run.py, not by hand: it prepares the accounts).

Each virtual user is one real synthetic account, signed in by the runner through the login form;
its cookies come in the file named by LOAD_SESSIONS. Every task is one request, named after the
page, so the table lists pages. Requests go to gunicorn on loopback with X-Forwarded-Proto: https
and an Origin header, as nginx in front of it would send them, so production's HTTPS-only settings
(secure cookies, CSRF origin checks, SSL redirect) stay on.

Users pace themselves (constant_throughput) so that all of them together ask for LOAD_RPS
requests a second; a server that keeps up answers them all, one that does not shows it in the
latencies and a lower rate. PingUser asks as fast as it can: the ceiling."""
import json
import os
import random
from itertools import count, cycle
from urllib.parse import quote, urlencode

from locust import FastHttpUser, constant, constant_throughput, task

from load.pages import approval, case_ids, items_after, pickable

SESSIONS = json.loads(open(os.environ["LOAD_SESSIONS"], encoding="utf-8").read()) if os.environ.get("LOAD_SESSIONS") else {}
TARGET_RPS = float(os.environ.get("LOAD_RPS", "120"))
ORIGIN = os.environ.get("LOAD_ORIGIN", "")
USERS = sum(len(accounts) for accounts in SESSIONS.get("accounts", {}).values()) or 1
PACE = constant_throughput(TARGET_RPS / USERS)
REQUEST_IDS = count(1)


class Portal(FastHttpUser):
    abstract = True
    role = None
    wait_time = PACE

    def on_start(self):
        self.account = SESSIONS["accounts"][self.role].pop()
        cookies = "; ".join(f"{k}={v}" for k, v in self.account["cookies"].items())
        self.headers = {"Cookie": cookies, "X-Forwarded-Proto": "https", "Origin": ORIGIN, "Referer": ORIGIN + "/"}
        self.csrf = self.account["cookies"]["csrftoken"]

    def tagged(self, name, **extra):
        """The headers, with a request id naming the page: the runner finds the server's own time
        for each page in the request log by it (as it would find nginx's id in production)."""
        return {**self.headers, **extra, "X-Request-ID": f"{quote(name)}.{next(REQUEST_IDS)}"}

    def get(self, path, name, expect=200):
        with self.client.get(path, name=name, headers=self.tagged(name), allow_redirects=False, catch_response=True) as r:
            if r.status_code != expect:
                r.failure(f"HTTP {r.status_code}, expected {expect}")
            return r.text or ""

    def post(self, path, name, data, expect=302):
        body = urlencode({"csrfmiddlewaretoken": self.csrf, **data}, doseq=True)
        headers = self.tagged(name, **{"Content-Type": "application/x-www-form-urlencoded"})
        with self.client.post(path, name=name, data=body, headers=headers, allow_redirects=False, catch_response=True) as r:
            if r.status_code != expect:
                r.failure(f"HTTP {r.status_code}, expected {expect}")
            return r


class Applicant(Portal):
    """Opens the list of declarations, the draft, adds a training item (saving the draft) and,
    next time round, deletes it again, so the draft does not grow from run to run."""

    role = "applicant"

    def on_start(self):
        super().on_start()
        self.draft, self.year = self.account["draft"], self.account["year_record"]
        self.steps = cycle([self.list, self.list_filtered, self.edit, self.add_item, self.edit, self.delete_item])
        self.added = []

    @task
    def step(self):
        next(self.steps)()

    def list(self):
        self.get("/hours/", "申报列表")

    def list_filtered(self):
        self.get(f"/hours/?status={random.choice(['draft', 'pending', 'approved'])}", "申报列表（按状态）")

    def edit(self):
        html = self.get(f"/hours/{self.draft}/edit/?year={self.year}", "草稿编辑页")
        self.added = items_after(html, self.account["last_item"])

    def add_item(self):
        self.post(f"/hours/{self.draft}/years/{self.year}/items/add/", "保存草稿（添加学习项目）", {
            "activity": "training", "subject": "professional", "days": "2", "half_days": "1", "title": "压测专业科目研修班",
        })

    def delete_item(self):
        if self.added:
            self.post(f"/hours/{self.draft}/items/{self.added.pop()}/delete/", "保存草稿（删除学习项目）", {})


class Reviewer(Portal):
    """A unit or superior administrator: opens the queue, the first case, approves it."""

    abstract = True
    queue = None

    def on_start(self):
        super().on_start()
        self.case = None

    @task
    def step(self):
        if self.case is None:
            cases = case_ids(self.get(self.queue, self.queue_name))
            self.case = {"pk": cases[0]} if cases else None
        elif "form" not in self.case:
            html = self.get(f"/review/case/{self.case['pk']}/", "审核详情页")
            self.case["form"] = approval(html)
        else:
            case, self.case = self.case, None
            self.post(f"/review/case/{case['pk']}/", self.decide_name, case["form"])


class UnitReviewer(Reviewer):
    role = "unit_reviewer"
    queue, queue_name, decide_name = "/review/unit/", "单位审核队列", "审核通过（单位）"


class SuperiorReviewer(Reviewer):
    role = "superior_reviewer"
    queue, queue_name, decide_name = "/review/superior/", "上级单位审核队列", "审核通过（上级单位）"


class Clerk(Portal):
    """A bureau clerk: 待办列表 first page, filtered, a deeper page, then approves a few of a page."""

    role = "clerk"
    BATCH = 5

    def on_start(self):
        super().on_start()
        self.steps = cycle([self.todo, self.filtered, self.deep, self.batch])
        self.picked = []

    @task
    def step(self):
        next(self.steps)()

    def todo(self):
        self.picked = pickable(self.get("/review/todo/", "待办列表"))

    def filtered(self):
        self.get(f"/review/todo/?applicant={random.choice(self.account['surnames'])}&supervision=normal", "待办列表（筛选）")

    def deep(self):
        self.get(f"/review/todo/?page={random.randint(2, 100)}", "待办列表（翻页）")

    def batch(self):
        # Clerks of one bureau share a queue: each takes its own slice of the first page.
        offset = self.account["slot"] * self.BATCH % 15
        ids = self.picked[offset:offset + self.BATCH]
        if ids:
            self.post("/review/todo/batch/", "批量审核", {"ids": ids, "scope": "picked", "decision": "approve"}, expect=200)


class CertificateHolder(Portal):
    """An applicant with approved hours: downloads the issued 学时认定单, now and then opens 学时证书打印."""

    role = "certificate"

    @task(4)
    def download(self):
        self.get(f"/certificates/{self.account['certificate']}/download/", "学时认定单下载")

    @task(1)
    def print_page(self):
        span = self.account["span"]
        self.get(f"/certificates/?start_year={span[0]}&end_year={span[1]}", "学时证书打印页")


class PingUser(FastHttpUser):
    """The ceiling: a view that returns "ok" through the same gunicorn, settings and middleware."""

    wait_time = constant(0)

    @task
    def ping(self):
        self.client.get("/load/ping", name="ping", headers={"X-Forwarded-Proto": "https"})


# As many virtual users of each kind as the runner signed in accounts for it.
for _user_class in (Applicant, UnitReviewer, SuperiorReviewer, Clerk, CertificateHolder):
    _user_class.fixed_count = len(SESSIONS.get("accounts", {}).get(_user_class.role, []))
