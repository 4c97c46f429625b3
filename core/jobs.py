"""Background jobs: work that may outlast a request (batch decisions, zip packaging, roster
imports, certificate rendering) runs in a django-tasks task while the person who asked watches a
Job row fill up.

- job_start creates the Job and queues the task after the caller's transaction commits, so the
  worker (`manage.py db_worker`, TASKS_BACKEND=database) never looks for a row it cannot see yet.
  With the embedded ImmediateBackend there is no worker: the task runs right there, in-process.
  A queue that refuses the task fails the job at once, with the reason on its page.
- The task claims the Job (QUEUED → RUNNING with a conditional UPDATE, so a job never runs twice
  at once), calls the kind's handler with a Progress to report through, and finishes or fails it.
- A handler that raises is retried only if its kind is safe to run again (the handler then skips
  what an earlier attempt finished); JobFailure is a refusal and never retried. The owner sees the
  failure in Chinese on the job page.
- A worker that dies mid-job (killed, the machine restarted) leaves its job RUNNING with a
  heartbeat that stops moving: jobs_recover (`manage.py recover_jobs`, on a timer in production)
  counts that as a failed attempt, so it is retried or failed as above.
"""
import logging
import re
import uuid
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db.models import F
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks import task
from django_tasks.backends.immediate import ImmediateBackend

from .commits import after_commit
from .models import Job, JobState
from .storage import FileWrites

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Handler:
    path: str  # function(*, job, progress) -> result dict
    attempts: int  # more than one only where running the handler again is harmless


# kind → Handler; each app registers its kinds in its AppConfig.ready(), so this module knows no feature.
HANDLERS = {}


def register(kind, path, *, attempts):
    HANDLERS[kind] = Handler(path, attempts)


RETRY_DELAY = timedelta(seconds=30)  # where the backend can defer (the database backend)


class JobFailure(Exception):
    """A handler's refusal, with the Chinese message the owner sees: retrying would not help."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


@dataclass
class Progress:
    """What a handler reports while it runs: each finished item moves the counter on the Job row
    at once (one UPDATE), so the progress page shows it; the item report is saved at the end, or
    with the failure."""

    job: Job
    done: int = 0
    report: list = field(default_factory=list)

    def item(self, entry):
        self.report.append(entry)
        self.advance()

    def advance(self, n=1):
        self.done += n
        Job.objects.filter(pk=self.job.pk).update(done=self.done, heartbeat_at=timezone.now())

    def set_total(self, total):
        self.job.total = total
        Job.objects.filter(pk=self.job.pk).update(total=total, heartbeat_at=timezone.now())


def job_start(*, owner, kind, title, params, total=0, upload=None):
    """Create the job (with the uploaded file it works on, if any) and queue it."""
    job = Job(owner=owner, kind=kind, title=title[:200], params=params, total=total)
    with FileWrites() as files:
        if upload is not None:
            files.save(job.upload, upload, filename=_stored_name(upload.name))
        with files.atomic():
            job.save()
    if runs_in_process():
        # Same connection, so nothing to wait for: the job runs now, and what it writes commits or
        # rolls back with the caller's transaction.
        _enqueue(job.pk)
    else:
        after_commit(_enqueue_or_fail, job.pk, attempts=0)
    return job


def _stored_name(name):
    """A server-made name for an uploaded file, keeping the extension its handler reads the format
    from: the uploader's own name may be longer than the filesystem allows (255 bytes, 85 Chinese
    characters) or anything else."""
    suffix = "." + name.rsplit(".", 1)[-1].lower() if "." in (name or "") else ""
    return uuid.uuid4().hex + (suffix if re.fullmatch(r"\.[a-z0-9]{1,10}", suffix) else "")


def runs_in_process():
    """True for the embedded default (no worker): enqueueing a task runs it there and then."""
    return isinstance(run_job.get_backend(), ImmediateBackend)


ENQUEUE_FAILED = "未能提交到后台处理队列，请稍后重新发起；如仍不成功，请联系系统管理员。"


def _enqueue_or_fail(job_pk, *, attempts, delay=None, reason=ENQUEUE_FAILED):
    """Queue the job's task; a queue that refuses it (the task cannot be written or is invalid, the
    backend down) fails the job with `reason`, which its owner reads, instead of leaving it 排队中
    with nothing to run it. Only the job as it was queued (`attempts` made so far): a task written
    before the refusal may have been taken up by a worker meanwhile."""
    try:
        _enqueue(job_pk, delay=delay)
    except Exception:  # noqa: BLE001 - whatever the backend raises, the job cannot run
        logger.exception("job %s could not be queued", job_pk)
        _failed(Job.objects.filter(pk=job_pk, state=JobState.QUEUED, attempts=attempts), reason)


def _failed(rows, reason, **fields):
    """Fail the job `rows` selects for good, with the reason its owner reads; returns whether it did."""
    return bool(rows.update(state=JobState.FAILED, error=reason[:500], finished_at=timezone.now(), **fields))


def _enqueue(job_pk, *, delay=None):
    job_task = run_job
    if delay and job_task.get_backend().supports_defer:
        job_task = job_task.using(run_after=timezone.now() + delay)
    job_task.enqueue(job_pk)


@task(takes_context=True)
def run_job(context, job_pk):
    now = timezone.now()
    claimed = Job.objects.filter(pk=job_pk, state=JobState.QUEUED).update(
        state=JobState.RUNNING, attempts=F("attempts") + 1, started_at=now, heartbeat_at=now, done=0,
        task_id=context.task_result.id,
    )
    if not claimed:
        # Finished, running elsewhere or deleted: a duplicate delivery does nothing.
        logger.warning("job %s not queued any more; task %s skipped", job_pk, context.task_result.id)
        return None
    job = Job.objects.select_related("owner").get(pk=job_pk)
    handler = HANDLERS[job.kind]
    progress = Progress(job)
    try:
        result = import_string(handler.path)(job=job, progress=progress)
    except Exception as exc:
        _job_failed(job, exc, progress, handler)
        raise  # the task backend records the traceback too
    Job.objects.filter(pk=job.pk).update(
        state=JobState.SUCCEEDED, result=result or {}, done=progress.done, error="", finished_at=timezone.now()
    )
    return job.pk


def failure_message(exc):
    if isinstance(exc, JobFailure):
        return exc.message
    return f"处理时发生系统错误（{type(exc).__name__}），请稍后重试或联系系统管理员。"


def _job_failed(job, exc, progress, handler):
    reason = failure_message(exc)
    retry = not isinstance(exc, JobFailure) and job.attempts < handler.attempts
    if isinstance(exc, JobFailure):
        logger.warning("job %s (%s) refused: %s", job.pk, job.kind, reason)
    else:
        logger.exception("job %s (%s) attempt %s failed%s", job.pk, job.kind, job.attempts, "; retrying" if retry else "")
    _attempt_ended(Job.objects.filter(pk=job.pk), job, retry=retry, reason=reason,
                   result={"report": progress.report, "partial": True}, done=progress.done)


def _attempt_ended(rows, job, *, retry, reason, result, done):
    """An attempt that did not finish: queued again (after RETRY_DELAY) or failed for good. `rows`
    is the conditional UPDATE's filter; returns whether it still matched."""
    if retry:
        updated = rows.update(state=JobState.QUEUED, result=result, error=f"第{job.attempts}次执行失败：{reason} 将自动重试。")
        if updated:
            _enqueue_or_fail(job.pk, attempts=job.attempts, delay=RETRY_DELAY, reason=(
                f"第{job.attempts}次执行失败：{reason} 未能再次提交到后台处理队列，可能只完成了一部分"
                f"（已处理 {done} 项），请核对后重新发起。"))
        return bool(updated)
    return _failed(rows, reason, result=result, done=done)


STALLED_REASON = "后台处理进程意外中止"


def jobs_recover(*, now=None):
    """Running jobs that have reported nothing for JOB_STALL_SECONDS lost their worker: each such
    attempt ends as a failed one (retried where its kind allows, with the handler skipping what the
    attempt finished). Returns the jobs taken up. A job its worker is still running reports at
    every item, so it is never taken up while alive. Each job is returned as it is now."""
    cutoff = (now or timezone.now()) - timedelta(seconds=settings.JOB_STALL_SECONDS)
    recovered = []
    for job in Job.objects.filter(state=JobState.RUNNING, heartbeat_at__lt=cutoff).order_by("pk"):
        handler = HANDLERS[job.kind]
        # Conditional on the heartbeat read: a worker that comes back to life in between wins.
        rows = Job.objects.filter(pk=job.pk, state=JobState.RUNNING, heartbeat_at=job.heartbeat_at)
        retry = job.attempts < handler.attempts
        reason = f"{STALLED_REASON}。" if retry else f"{STALLED_REASON}，可能只完成了一部分（已处理 {job.done} 项），请核对后重新发起。"
        result = {**job.result, "partial": True}
        if _attempt_ended(rows, job, retry=retry, reason=reason, result=result, done=job.done):
            stalled_since = job.heartbeat_at
            job.refresh_from_db()  # queued again, or failed: out of attempts, or the queue refused the retry
            logger.warning("job %s (%s) stalled since %s; now %s", job.pk, job.kind, stalled_since, job.state)
            recovered.append(job)
    return recovered


def job_get_for_user(*, user, pk):
    """The job if `user` started it; anyone else gets 404, as for every object in the portal."""
    return get_object_or_404(Job, pk=pk, owner=user)


def jobs_of(user, limit=50):
    return Job.objects.filter(owner=user).defer("params", "result")[:limit]
