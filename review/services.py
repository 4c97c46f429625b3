"""Decisions that span many declarations, and the review work that runs as background jobs
(core/jobs.py): a batch of more than 100 and the zip of a large case. Each item of a batch is
decided in its own transaction through hours/transitions.py, so a batch never leaves an item
half-done and reports every item's fate."""
import tempfile
from dataclasses import asdict, dataclass
from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.http import Http404
from django.utils import timezone

from accounts.models import Role
from accounts.roles import organisations_for
from core import jobs
from core.models import Job, JobKind, JobState
from hours import selectors as hours_selectors, transitions
from hours.models import Declaration, ReviewStep
from workflow import jurisdiction
from workflow.models import FilingPeriod, State
from workflow.runner import STALE_MESSAGE, WorkflowError

from . import checks, exports


# More than this many items go to a background job (core/jobs.py); up to it, the clerk waits
# for the results page as before.
BATCH_IN_REQUEST_MAX = 100
BATCH_OPINION = "批量审核通过"
ALREADY_DONE = "本任务此前的执行中已处理"
CHECKS_REFUSED = "校验未通过，请逐件办理"
SUMMARY_MAX = Declaration._meta.get_field("checks_summary").max_length


@dataclass(frozen=True)
class BatchResult:
    pk: int
    business_no: str
    name: str
    ok: bool
    message: str


def declaration_batch_decide(*, user, ids, decision, reason="", ip=None, job=None, on_item=None, seen=None):
    """Decide each declaration on its own (one transaction per item, through the workflow with the
    case as the batch found it: its state and its arrival at the bureau), so a failure or a crash
    between items never leaves one half-decided, and a case sent back and resubmitted meanwhile is
    not decided unseen. `seen` ({id: arrival}) is each case as the clerk's list showed it: a case
    that has arrived again since is refused as stale, not decided as the batch finds it.
    Run as `job`, each decision's step carries the job's id: a retried job finds the items it has
    already decided and reports them as done instead of deciding them again."""
    # Only what the clerk may see: an id from outside their jurisdiction reads as missing, so the
    # report never shows another bureau's applicant names or case numbers.
    visible = Declaration.objects.filter(jurisdiction.declarations_q(user), pk__in=ids).select_related("rule_set")
    found = {d.pk: d for d in visible}
    details = {"batch_job": job.pk} if job else None
    earlier = set()
    if job is not None:
        earlier = set(
            ReviewStep.objects.filter(declaration_id__in=list(found), details__batch_job=job.pk).values_list("declaration_id", flat=True)
        )
    results = []
    for pk in dict.fromkeys(ids):
        declaration = found.get(pk)
        if declaration is None:
            result = BatchResult(pk, "", "", False, "申报不存在")
        elif pk in earlier:
            result = BatchResult(pk, declaration.business_no, declaration.name, True, ALREADY_DONE)
        else:
            since = (seen or {}).get(pk) or declaration.waiting_since
            result = _decide_one(declaration, since=since, user=user, decision=decision, reason=reason, ip=ip, details=details)
        results.append(result)
        if on_item:
            on_item(result)
    return results


def _decide_one(declaration, *, since, user, decision, reason, ip, details):
    if since != declaration.waiting_since:
        # Arrived again since the list showed it: neither checked nor decided unseen.
        return BatchResult(declaration.pk, declaration.business_no, declaration.name, False, STALE_MESSAGE)
    if decision == "approve" and _waits_for(declaration, user):
        # The checks run again now, whatever the list showed: another applicant may have uploaded
        # the same file since the case arrived. A case that fails one is decided case by case.
        failed = checks.failed_checks(declaration)
        _keep_verdict(declaration, failed)
        if failed:
            return BatchResult(declaration.pk, declaration.business_no, declaration.name, False, _refusal(failed))
    try:
        if decision == "approve":
            # Hours a reviewer must determine are set case by case: a batch sets none, so refuses those cases.
            transitions.declaration_approve(
                declaration=declaration, user=user, ip=ip, expected_state=State.BUREAU_REVIEW, opinion=BATCH_OPINION, details=details,
                expected_since=since,
            )
            message = "审核通过"
        else:
            transitions.declaration_reject(
                declaration=declaration, user=user, reason=reason, ip=ip, expected_state=State.BUREAU_REVIEW, details=details,
                expected_since=since,
            )
            message = "审核不通过，已退回申请人"
    except WorkflowError as exc:
        return BatchResult(declaration.pk, declaration.business_no, declaration.name, False, exc.message)
    return BatchResult(declaration.pk, declaration.business_no, declaration.name, True, message)


def _waits_for(declaration, user):
    """Waiting at one of the clerk's bureaus (else the transition says why not, and nothing is checked)."""
    mine = {org.pk for org in organisations_for(user, Role.BUREAU_CLERK)}
    return declaration.state == State.BUREAU_REVIEW and declaration.current_org_id in mine


def _refusal(failed):
    return f"{CHECKS_REFUSED}：" + "；".join(check.label for check in failed)


def _keep_verdict(declaration, failed):
    """Record the verdict for the level the declaration waits at (nothing if it has moved on)."""
    summary = "；".join(check.label for check in failed)
    if len(summary) > SUMMARY_MAX:
        summary = summary[: SUMMARY_MAX - 1] + "…"
    now = max(timezone.now(), declaration.waiting_since)
    Declaration.objects.filter(pk=declaration.pk, state=declaration.state, waiting_since=declaration.waiting_since).update(
        checks_failed=len(failed), checks_summary=summary, checked_at=now
    )


def declaration_checks_record(pk):
    """校验: run the automatic checks on a declaration waiting at a level and keep the verdict for
    the 待办列表 (its 校验 column and the filter 校验全部通过). Called after commit whenever a
    declaration arrives at a level (workflow/runner.py on_arrival, registered in review/apps.py),
    by every batch approval, and by `manage.py checks_refresh`.

    How fresh it is: the declaration's own files and items cannot change while it waits, but two of
    the checks look at other declarations (the same file used by another applicant, a work claimed
    twice), which may change after the verdict was kept. So the list's verdict is as of the case's
    arrival at its level (or its last batch attempt); the batch decision runs the checks again and
    approves nothing that fails them. Returns the failed checks, or None for a case not waiting."""
    declaration = Declaration.objects.select_related("rule_set").filter(pk=pk).first()
    if declaration is None or not declaration.is_pending:
        return None
    failed = checks.failed_checks(declaration)
    _keep_verdict(declaration, failed)
    return failed


def declaration_batch_enqueue(*, user, ids, decision, reason="", ip=None, seen=None):
    """The same batch as a background job; the clerk follows it on the job's page."""
    ids = list(dict.fromkeys(ids))
    ticked = set(ids)
    seen = {str(pk): since.isoformat() for pk, since in (seen or {}).items() if pk in ticked and since}
    verb = "通过" if decision == "approve" else "不通过"
    return jobs.job_start(
        owner=user,
        kind=JobKind.BATCH_DECIDE,
        title=f"批量审核{verb}（{len(ids)} 件）",
        params={"ids": ids, "decision": decision, "reason": reason, "ip": ip, "seen": seen},
        total=len(ids),
    )


def declaration_batch_run(*, job, progress):
    """The BATCH_DECIDE handler (core/jobs.py)."""
    params = job.params
    results = declaration_batch_decide(
        user=job.owner, ids=params["ids"], decision=params["decision"], reason=params.get("reason", ""), ip=params.get("ip"),
        job=job, on_item=lambda r: progress.item(asdict(r)),
        seen={int(pk): datetime.fromisoformat(since) for pk, since in params.get("seen", {}).items()},
    )
    done = sum(r.ok for r in results)
    return {"report": progress.report, "ok": done, "failed": len(results) - done}


def case_zip_enqueue(*, user, declaration):
    """Pack a large case's materials in the background. A second click while the first job is still
    on its way leads to that job instead of starting another."""
    waiting = Job.objects.filter(
        owner=user, kind=JobKind.CASE_ZIP, params__declaration=declaration.pk, state__in=(JobState.QUEUED, JobState.RUNNING)
    ).first()
    if waiting:
        return waiting
    return jobs.job_start(
        owner=user, kind=JobKind.CASE_ZIP, title=f"材料打包：{declaration.business_no} {declaration.name}",
        params={"declaration": declaration.pk}, total=declaration.evidence.count(),
    )


def case_zip_run(*, job, progress):
    """The CASE_ZIP handler: the zip goes to storage as the job's file. Writing it again on a retry
    is harmless."""
    try:
        # Checked again here: the reviewer may have lost the case between the click and the run.
        declaration = hours_selectors.declaration_get_for_user(user=job.owner, pk=job.params["declaration"])
    except Http404:
        raise jobs.JobFailure("该申报不存在或您已无权查看，未能打包。")
    progress.set_total(declaration.evidence.count())
    filename = exports.case_zip_filename(declaration)
    with tempfile.TemporaryFile() as handle:
        exports.case_zip_write(declaration, handle, on_file=progress.advance)
        size = handle.tell()
        handle.seek(0)
        job.file.save(f"{job.pk}-materials.zip", File(handle), save=False)
    Job.objects.filter(pk=job.pk).update(file=job.file.name)
    return {"filename": filename, "size": size, "content_type": "application/zip"}


def filing_period_problem(year, opens_on, closes_on):
    """Why a window cannot be the year's, or None. Within the year: the window that applies on a
    day is looked up by that day's year (workflow/periods.py), so days past 31 December would belong
    to the next year's window, and a window reaching back or on for centuries is a typing error."""
    if opens_on.year == closes_on.year == year:
        return None
    return f"集中办理时间应在{year}年内：开始日期和截止日期都应在{year}年1月1日至12月31日之间。"


def filing_period_set(*, bureau, year, opens_on, closes_on, supervision_days, user):
    """Set (or change) a bureau's filing window for a year; only that bureau's clerks may."""
    if bureau not in organisations_for(user, Role.BUREAU_CLERK):
        raise PermissionDenied("只有该人社部门的经办人可以设置集中办理时间。")
    if closes_on < opens_on:
        raise ValidationError("截止日期不能早于开始日期。")
    problem = filing_period_problem(year, opens_on, closes_on)
    if problem:
        raise ValidationError(problem)
    current = FilingPeriod.objects.filter(bureau=bureau, year=year).first()
    if current and (current.opens_on, current.closes_on, current.supervision_days) == (opens_on, closes_on, supervision_days):
        return current  # the same window sent again: nothing to write
    period, _ = FilingPeriod.objects.update_or_create(
        bureau=bureau, year=year,
        defaults={"opens_on": opens_on, "closes_on": closes_on, "supervision_days": supervision_days, "updated_by": user},
    )
    user.__dict__.pop("_overdue_before_cache", None)  # the setter's own cutoff follows the new limit (review/selectors.py)
    return period
