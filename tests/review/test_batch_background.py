"""批量审核 of more than 100 declarations runs as a background job (core/jobs.py): through the
database queue with a real `manage.py db_worker`, the progress page counts up while the worker
decides, every declaration is decided exactly once, a failure mid-batch leaves no item
half-decided and is reported, and a retry decides nothing twice. Without a worker (the embedded
ImmediateBackend) the same job runs in-process during the request; run so, the job keeps
what the clerk asked (its title says the decision), and the clerk's address reaches every
decision's audit step."""
import re
import threading
import time

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from hours.models import Declaration
from core import jobs
from core.models import Job, JobKind, JobState
from hours import transitions
from workflow.runner import STALE_MESSAGE
from review import services
from workflow.models import Action, Notification, State
from hours.models import ReviewStep
from tests.helpers import hidden_fields, text_of
from tests.hours.fixtures_views import people
from tests.portal.jobs_support import run_worker, waiting_declarations

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
BATCH = "review:bureau_batch"
PROGRESS = re.compile(r"已处理 <strong>(\d+)</strong> / (\d+) 项")


def bureau_decisions(pks):
    return ReviewStep.objects.filter(declaration_id__in=pks, from_state=State.BUREAU_REVIEW)


class ProgressWatcher(threading.Thread):
    """Reads the job's progress fragment, as the page's htmx polling does, until told to stop."""

    def __init__(self, user, job):
        super().__init__(daemon=True)
        self.client = Client()
        self.client.force_login(user)
        self.url = reverse("portal:job_progress", args=[job.pk])
        self.seen = []
        self.stop = threading.Event()
        self.error = None

    def run(self):
        try:
            while not self.stop.is_set():
                response = self.client.get(self.url)
                assert response.status_code == 200, response.status_code
                match = PROGRESS.search(response.content.decode())
                self.seen.append(int(match[1]))
                time.sleep(0.02)
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            self.error = exc
        finally:
            connection.close()


@pytest.fixture
def province(committed_demo):
    return people(committed_demo)


@pytest.fixture
def database_queue(settings):
    settings.TASKS = DATABASE_TASKS


def waiting_for_the_clerk(client, p, count):
    """`count` declarations waiting at the bureau and their pks, its clerk signed in."""
    waiting = waiting_declarations(p, count)
    client.force_login(p.hn_clerk)
    return waiting, [d.pk for d in waiting]


@pytest.mark.django_db(transaction=True)
def test_600_decisions_in_the_background_with_visible_progress(province, database_queue, client):
    p = province
    waiting, pks = waiting_for_the_clerk(client, p, 600)

    # The 待办列表 shows 15 a page; 全选筛选结果 reaches all 600, after a confirmation.
    todo = client.get(reverse("review:bureau_todo"))
    assert "全选筛选结果（共 600 件）批量审核" in text_of(todo)
    form = {"scope": "filtered", "filters": "", "decision": "approve"}
    confirm = client.post(reverse(BATCH), form)
    assert confirm.status_code == 200 and "将对待办列表当前筛选出的全部 600 件申报批量 审核通过" in text_of(confirm)
    assert not bureau_decisions(pks).exists()

    response = client.post(reverse(BATCH), hidden_fields(confirm))
    job = Job.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("portal:job", args=[job.pk])
    assert (job.kind, job.state, job.total, job.done, job.owner) == (JobKind.BATCH_DECIDE, JobState.QUEUED, 600, 0, p.hn_clerk)
    assert DBTaskResult.objects.count() == 1  # queued for the worker, nothing decided in the request
    assert not bureau_decisions(pks).exists()
    page = client.get(response["Location"])
    assert "排队中" in text_of(page) and 'hx-trigger="every 1s"' in page.content.decode()

    watcher = ProgressWatcher(p.hn_clerk, job)
    watcher.start()
    started = time.monotonic()
    run_worker()
    elapsed = time.monotonic() - started
    watcher.stop.set()
    watcher.join(timeout=10)
    assert watcher.error is None, watcher.error

    seen = watcher.seen
    assert seen == sorted(seen), "progress went backwards"
    during = {n for n in seen if 0 < n < 600}
    assert len(during) >= 3, f"progress seen while running: {sorted(during)} in {elapsed:.1f}s"
    print(f"600 decisions in {elapsed:.1f}s; the page showed {len(set(seen))} different counts")

    job.refresh_from_db()
    assert (job.state, job.done, job.attempts, job.error) == (JobState.SUCCEEDED, 600, 1, "")
    assert (job.result["ok"], job.result["failed"]) == (600, 0)
    assert [item["pk"] for item in job.result["report"]] == pks
    decisions = bureau_decisions(pks)
    assert decisions.count() == 600
    assert set(decisions.values_list("declaration_id", flat=True)) == set(pks)  # one each
    assert set(decisions.values_list("action", "to_state", "actor", "opinion")) == {(Action.APPROVE, State.APPROVED, p.hn_clerk.pk, "批量审核通过")}
    assert all(step.details == {"batch_job": job.pk} for step in decisions)
    assert Declaration.objects.filter(pk__in=pks, state=State.APPROVED).count() == 600
    assert Notification.objects.filter(subject_type__model="declaration", subject_id__in=pks).count() == 600

    done = client.get(reverse("portal:job", args=[job.pk]))
    text = text_of(done)
    assert "已完成" in text and "已处理 600 / 600 项（100%）" in text and "成功 600 件，未处理 0 件" in text
    assert "hx-trigger" not in done.content.decode()  # polling stops once finished

    # The worker has nothing left; running it again decides nothing twice.
    run_worker()
    assert bureau_decisions(pks).count() == 600


def fail_on_decision(monkeypatch, *, after, every_time):
    """The approval's notification (written inside the item's transaction, after the state and the
    step) raises once `after` items have been decided: the transaction of that item must roll back."""
    calls = {"n": 0}
    real = transitions.notify

    def notify(user, title, body, **kwargs):
        calls["n"] += 1
        if calls["n"] == after + 1 or (every_time and calls["n"] > after):
            raise RuntimeError("injected failure")
        return real(user, title, body, **kwargs)

    monkeypatch.setattr(transitions, "notify", notify)


def assert_nothing_half_applied(pks):
    for d in Declaration.objects.filter(pk__in=pks):
        decided = bureau_decisions([d.pk]).count()
        notified = Notification.objects.filter(subject_type__model="declaration", subject_id=d.pk).count()
        if d.state == State.APPROVED:
            assert (decided, notified) == (1, 1), d.pk
        else:
            assert (d.state, decided, notified) == (State.BUREAU_REVIEW, 0, 0), d.pk


@pytest.mark.django_db(transaction=True)
def test_a_failure_mid_batch_is_reported_and_leaves_no_half_applied_item(province, database_queue, client, monkeypatch):
    p = province
    pks = [d.pk for d in waiting_declarations(p, 150)]
    monkeypatch.setattr(jobs, "RETRY_DELAY", None)  # retries at once, within the same worker run
    fail_on_decision(monkeypatch, after=60, every_time=True)
    client.force_login(p.hn_clerk)
    response = client.post(reverse(BATCH), {"ids": pks, "decision": "approve"})
    job = Job.objects.get()
    run_worker()

    job.refresh_from_db()
    assert (job.state, job.attempts) == (JobState.FAILED, 3)  # the kind is retried, up to three attempts
    assert job.error == "处理时发生系统错误（RuntimeError），请稍后重试或联系系统管理员。"
    assert job.finished_at is not None
    assert Declaration.objects.filter(pk__in=pks, state=State.APPROVED).count() == 60
    assert_nothing_half_applied(pks)
    assert list(DBTaskResult.objects.values_list("status", flat=True)) == ["FAILED"] * 3
    # The last attempt's report: the 60 decided by the first attempt are done, then it stopped.
    assert [item["message"] for item in job.result["report"]] == [services.ALREADY_DONE] * 60
    assert job.result["partial"] is True

    page = text_of(client.get(response["Location"]))
    assert "失败" in page and job.error in page
    assert "任务中断前已处理 60 件" in page and "其余申报保持原状态，可重新提交批量审核" in page


@pytest.mark.django_db(transaction=True)
def test_a_retried_batch_decides_nothing_twice(province, database_queue, client, monkeypatch):
    p = province
    pks = [d.pk for d in waiting_declarations(p, 150)]
    fail_on_decision(monkeypatch, after=60, every_time=False)
    client.force_login(p.hn_clerk)
    client.post(reverse(BATCH), {"ids": pks, "decision": "approve"})
    job = Job.objects.get()
    run_worker()

    # The first attempt failed after 60 items and the retry waits (run_after) for a later worker pass.
    job.refresh_from_db()
    assert job.state == JobState.QUEUED and job.attempts == 1
    assert job.error == "第1次执行失败：处理时发生系统错误（RuntimeError），请稍后重试或联系系统管理员。 将自动重试。"
    assert bureau_decisions(pks).count() == 60
    assert_nothing_half_applied(pks)
    retry = DBTaskResult.objects.get(status="READY")
    assert retry.run_after > timezone.now()
    page = text_of(client.get(reverse("portal:job", args=[job.pk])))
    assert "排队中" in page and "将自动重试" in page

    DBTaskResult.objects.filter(pk=retry.pk).update(run_after=timezone.now())  # the delay has passed
    run_worker()
    job.refresh_from_db()
    assert (job.state, job.attempts, job.done, job.error) == (JobState.SUCCEEDED, 2, 150, "")
    messages = [item["message"] for item in job.result["report"]]
    assert messages == [services.ALREADY_DONE] * 60 + ["审核通过"] * 90
    assert (job.result["ok"], job.result["failed"]) == (150, 0)
    decisions = bureau_decisions(pks)
    assert decisions.count() == 150 and set(decisions.values_list("declaration_id", flat=True)) == set(pks)
    assert_nothing_half_applied(pks)


@pytest.mark.django_db(transaction=True)
def test_declarations_decided_by_a_colleague_meanwhile_are_reported_not_decided(province, database_queue, client):
    p = province
    waiting, pks = waiting_for_the_clerk(client, p, 120)
    client.post(reverse(BATCH), {"ids": pks, "decision": "reject", "reason": "材料不清晰"})
    # Before the worker gets to it, two are decided one by one from their case pages.
    transitions.declaration_approve(declaration=waiting[5], user=p.hn_clerk, opinion="同意")
    transitions.declaration_reject(declaration=waiting[7], user=p.hn_clerk, reason="缺少结业证书")
    run_worker()
    job = Job.objects.get()
    assert job.state == JobState.SUCCEEDED
    items = {item["pk"]: item for item in job.result["report"]}
    for pk in (waiting[5].pk, waiting[7].pk):
        assert (items[pk]["ok"], items[pk]["message"]) == (False, STALE_MESSAGE)
    assert (job.result["ok"], job.result["failed"]) == (118, 2)
    assert bureau_decisions(pks).count() == 120  # one each: 118 by the job, two by hand
    assert Declaration.objects.filter(pk__in=pks, state=State.REJECTED, rejection_reason="材料不清晰").count() == 118


# --- without a worker (the embedded default): what the job keeps and what it writes -----------------


@pytest.mark.parametrize(
    "decision, reason, title, state, opinion",
    [
        ("approve", "", "批量审核通过（101 件）", State.APPROVED, "批量审核通过"),
        ("reject", "材料不清晰", "批量审核不通过（101 件）", State.REJECTED, "材料不清晰"),
    ],
    ids=["approve", "reject"],
)
@pytest.mark.django_db(transaction=True)
def test_a_batch_job_keeps_the_clerks_request_and_its_address_reaches_the_audit(province, client, decision, reason, title, state, opinion):
    p = province
    _, pks = waiting_for_the_clerk(client, p, 101)
    response = client.post(reverse(BATCH), {"ids": pks + pks[:3], "decision": decision, "reason": reason}, REMOTE_ADDR="203.0.113.9", follow=True)
    job = Job.objects.get()
    assert (job.kind, job.owner, job.title, job.total, job.state) == (JobKind.BATCH_DECIDE, p.hn_clerk, title, 101, JobState.SUCCEEDED)
    assert job.params == {"ids": pks, "decision": decision, "reason": reason, "ip": "203.0.113.9", "seen": {}}
    assert f"{title} 批量审核" in text_of(client.get(reverse("portal:job_list")))
    assert title in text_of(response) and "成功 101 件，未处理 0 件" in text_of(response)
    steps = bureau_decisions(pks)
    assert steps.count() == 101
    assert set(steps.values_list("to_state", "actor", "opinion", "ip_address")) == {(state, p.hn_clerk.pk, opinion, "203.0.113.9")}


REASON_REQUIRED = "审核不通过时必须填写原因。"


@pytest.mark.parametrize("start", ["enqueue without a reason", "params without a reason"])
@pytest.mark.django_db(transaction=True)
def test_a_batch_rejection_without_a_reason_rejects_nothing(province, start):
    p = province
    pks = [d.pk for d in waiting_declarations(p, 101)]
    if start == "enqueue without a reason":
        job = services.declaration_batch_enqueue(user=p.hn_clerk, ids=pks, decision="reject")
        assert job.params == {"ids": pks, "decision": "reject", "reason": "", "ip": None, "seen": {}}
    else:  # a BATCH_DECIDE job whose stored parameters carry no reason at all
        job = jobs.job_start(
            owner=p.hn_clerk, kind=JobKind.BATCH_DECIDE, title="批量审核不通过（101 件）", params={"ids": pks, "decision": "reject"}, total=101
        )
    job.refresh_from_db()
    assert (job.state, job.done, job.result["ok"], job.result["failed"]) == (JobState.SUCCEEDED, 101, 0, 101)
    assert {(item["ok"], item["message"]) for item in job.result["report"]} == {(False, REASON_REQUIRED)}
    assert not bureau_decisions(pks).exists()
    assert Declaration.objects.filter(pk__in=pks, state=State.BUREAU_REVIEW).count() == 101
