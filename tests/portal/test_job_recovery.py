"""A worker that dies in the middle of a job (kill -9, a restart) leaves the job RUNNING with a
heartbeat that stops moving. `manage.py recover_jobs` takes up each job silent for
JOB_STALL_SECONDS as a failed attempt: retried where the kind allows, skipping what the dead
attempt finished, or failed with a reason the owner reads on the job page."""
import logging
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from hours.models import Declaration
from core import jobs
from core.models import Job, JobState
from review import services as review_services
from workflow.models import State
from hours.models import ReviewStep
from tests.helpers import text_of
from tests.hours.fixtures_views import *  # noqa: F401,F403
from tests.portal.jobs_support import queue_down, waiting_declarations

DIES_AFTER = 40


@pytest.fixture
def killed_batch(p, monkeypatch):
    """A batch of 101 approvals whose process stops after deciding 40, as a killed worker does: the
    interruption is a BaseException, which no handler catches, so the Job row is left as it was."""
    pks = [d.pk for d in waiting_declarations(p, 101)]
    real = jobs.Progress.advance

    def advance(self, n=1):
        real(self, n)
        if self.done == DIES_AFTER:
            raise KeyboardInterrupt("worker killed")

    monkeypatch.setattr(jobs.Progress, "advance", advance)
    with pytest.raises(KeyboardInterrupt):
        review_services.declaration_batch_enqueue(user=p.hn_clerk, ids=pks, decision="approve")
    monkeypatch.setattr(jobs.Progress, "advance", real)
    job = Job.objects.get()
    assert (job.state, job.done, job.attempts) == (JobState.RUNNING, DIES_AFTER, 1)
    return job, pks


def later(minutes):
    return timezone.now() + timedelta(minutes=minutes)


def test_a_job_whose_worker_died_is_run_again_and_decides_each_declaration_once(client, p, killed_batch, settings):
    job, pks = killed_batch
    assert Declaration.objects.filter(pk__in=pks, state=State.APPROVED).count() == DIES_AFTER

    assert jobs.jobs_recover(now=later(settings.JOB_STALL_SECONDS / 60 - 1)) == []  # not silent long enough
    job.refresh_from_db()
    assert job.state == JobState.RUNNING

    recovered = jobs.jobs_recover(now=later(settings.JOB_STALL_SECONDS / 60 + 1))
    assert [j.pk for j in recovered] == [job.pk]
    job.refresh_from_db()
    assert (job.state, job.attempts, job.done, job.error) == (JobState.SUCCEEDED, 2, 101, "")
    assert Declaration.objects.filter(pk__in=pks, state=State.APPROVED).count() == 101
    assert ReviewStep.objects.filter(declaration_id__in=pks, from_state=State.BUREAU_REVIEW).count() == 101
    client.force_login(p.hn_clerk)
    assert "已完成" in text_of(client.get(reverse("portal:job", args=[job.pk])))


def test_a_retry_the_queue_refuses_fails_the_job_with_the_reason(p, killed_batch, monkeypatch, settings, caplog):
    """Taken up for another attempt while the queue is unreachable: failed with what to do, not left
    排队中 with nothing to run it; the log says failed, not retrying."""
    job, pks = killed_batch
    monkeypatch.setattr(jobs, "_enqueue", queue_down)
    with caplog.at_level(logging.WARNING, logger="core.jobs"):
        recovered = jobs.jobs_recover(now=later(settings.JOB_STALL_SECONDS / 60 + 1))
    assert [(j.pk, j.state) for j in recovered] == [(job.pk, JobState.FAILED)]
    assert [m for m in caplog.messages if "stalled" in m][0].endswith("; now failed")
    job.refresh_from_db()
    assert (job.state, job.error) == (JobState.FAILED, "第1次执行失败：后台处理进程意外中止。 未能再次提交到后台处理队列，"
                                                       f"可能只完成了一部分（已处理 {DIES_AFTER} 项），请核对后重新发起。")
    assert Declaration.objects.filter(pk__in=pks, state=State.APPROVED).count() == DIES_AFTER


def test_a_job_out_of_attempts_fails_with_what_it_managed(client, p, killed_batch):
    job, pks = killed_batch
    Job.objects.filter(pk=job.pk).update(attempts=jobs.HANDLERS[job.kind].attempts)
    out = StringIO()
    call_command("recover_jobs", stdout=out)  # silent for less than JOB_STALL_SECONDS: nothing yet
    assert "共接管 0 个中断的任务" in out.getvalue()

    Job.objects.filter(pk=job.pk).update(heartbeat_at=later(-11))
    out = StringIO()
    call_command("recover_jobs", stdout=out)
    assert f"任务 {job.pk}（批量审核通过（101 件））：失败" in out.getvalue() and "共接管 1 个" in out.getvalue()
    job.refresh_from_db()
    assert job.state == JobState.FAILED and job.finished_at is not None
    client.force_login(p.hn_clerk)
    page = text_of(client.get(reverse("portal:job", args=[job.pk])))
    assert "失败" in page and f"后台处理进程意外中止，可能只完成了一部分（已处理 {DIES_AFTER} 项），请核对后重新发起。" in page
    # The decisions taken before the kill stand; the rest still wait in the 待办列表.
    assert Declaration.objects.filter(pk__in=pks, state=State.BUREAU_REVIEW).count() == 101 - DIES_AFTER


def test_a_worker_that_comes_back_keeps_its_job(p, killed_batch, monkeypatch):
    """The take-over is conditional on the heartbeat it read: progress reported between reading the
    stalled jobs and taking one over wins."""
    job, _ = killed_batch
    real = jobs._attempt_ended

    def worker_reports_first(rows, stalled, **kwargs):
        Job.objects.filter(pk=stalled.pk).update(heartbeat_at=timezone.now())
        return real(rows, stalled, **kwargs)

    monkeypatch.setattr(jobs, "_attempt_ended", worker_reports_first)
    assert jobs.jobs_recover(now=later(30)) == []
    job.refresh_from_db()
    assert (job.state, job.attempts, job.done) == (JobState.RUNNING, 1, DIES_AFTER)


def test_every_systemd_unit_runs_a_command_the_portal_has():
    """deploy/*.service start manage.py commands (the timers' included): a renamed command must
    not leave production's clean-up silently failing."""
    import re
    from pathlib import Path

    from django.core.management import get_commands

    deploy = Path(__file__).resolve().parents[2] / "deploy"
    commands = get_commands()
    started = []
    for unit in sorted(deploy.glob("*.service")):
        for line in unit.read_text(encoding="utf-8").splitlines():
            match = re.match(r"ExecStart=\S+python manage\.py (\S+)", line)
            if match:
                started.append(match[1])
                assert match[1] in commands, f"{unit.name}: no command {match[1]}"
    assert {"db_worker", "recover_jobs", "sweep_files", "prune_db_task_results"} <= set(started)
    for timer in deploy.glob("*.timer"):
        assert (deploy / timer.name.replace(".timer", ".service")).exists(), f"{timer.name} starts no unit"


@pytest.mark.django_db
def test_a_job_running_when_the_heartbeat_arrived_is_taken_up_too():
    """Migration portal 0002 gives jobs already running their start as their last heartbeat, so
    recover_jobs (which reads heartbeat_at only) still sees them."""
    import importlib

    from django.db import connection
    from django.db.migrations.loader import MigrationLoader

    from accounts.models import User

    migration = importlib.import_module("portal.migrations.0002_job_heartbeat")
    owner = User.objects.create(username="job_owner")
    started = timezone.now() - timedelta(hours=1)
    running = Job.objects.create(owner=owner, kind="batch_decide", title="t", state=JobState.RUNNING, started_at=started,
                             params={"ids": [], "decision": "approve", "reason": "", "ip": None})
    queued = Job.objects.create(owner=owner, kind="batch_decide", title="t")
    # The models as they were at that migration (Job was portal's then; core's since, in the same table).
    apps = MigrationLoader(connection).project_state(("portal", "0002_job_heartbeat")).apps
    migration.running_jobs_beat_since_they_started(apps, None)
    assert Job.objects.get(pk=running.pk).heartbeat_at == started
    assert Job.objects.get(pk=queued.pk).heartbeat_at is None
    assert [j.pk for j in jobs.jobs_recover()] == [running.pk]
