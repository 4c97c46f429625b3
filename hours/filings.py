"""Unit training filings while the unit edits them (drafts, files, rosters). Their review goes
through hours/transitions.py like declarations."""
import hashlib

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.db import transaction
from django.utils import timezone

from core import jobs
from core.constraints import refused_on_conflict
from core.models import Job, JobKind
from core.storage import FileWrites, delete_on_commit
from workflow import jurisdiction
from workflow.models import OPEN_STATES, State

from .imports import roster_import, roster_row_count
from .models import TrainingFiling
from .services import AlreadyOpen, assign_changed, draft_delete, open_kind
from .uploads import check_upload

FIELDS = ("year", "name", "training_type", "course_type", "hours", "days", "planned_start", "planned_end")


def _check_admin(user, organisation):
    if not jurisdiction.administers_unit(user, organisation.pk):
        raise PermissionDenied("只有该单位的管理员可以办理培训备案。")


def _check_dates(data):
    if data["planned_end"] < data["planned_start"]:
        raise ValidationError("预计培训结束时间不能早于开始时间。")
    if data["planned_start"].year != data["year"]:
        raise ValidationError("预计培训开始时间应在备案年度内。")


def _open_filing(organisation, data, exclude=None):
    found = TrainingFiling.objects.filter(organisation=organisation, year=data["year"], name=data["name"], state__in=OPEN_STATES)
    return found.exclude(pk=exclude).first() if exclude else found.first()


def _already_open(organisation, data):
    """AlreadyOpen when the unit has an open filing of that name and year, else None."""
    existing = _open_filing(organisation, data)
    if existing is None:
        return None
    then = "；如需修改请先撤销。" if existing.is_pending else "。"
    return AlreadyOpen(
        f"本单位已有{existing.year}年“{existing.name}”{open_kind(existing)}，已为您打开{then}", existing=existing, opens=True
    )


def filing_create(*, user, organisation, data, notice, schedule):
    """A new draft filing; AlreadyOpen when the unit has an open one of that name and year (saved
    twice, or by a second request between this one's look-up and its save: the constraint)."""
    _check_admin(user, organisation)
    _check_dates(data)
    already = _already_open(organisation, data)
    if already:
        raise already
    filing = TrainingFiling(organisation=organisation, created_by=user, **{f: data[f] for f in FIELDS})
    uploads = [(filing.notice, notice, check_upload(notice)), (filing.schedule, schedule, check_upload(schedule))]
    with refused_on_conflict(lambda: _already_open(organisation, data)), FileWrites() as files:
        for field, upload, checked in uploads:
            files.save(field, upload, filename=checked.original_name)
        with files.atomic():
            filing.save()
    return filing


GONE = "该备案已被删除。"


def _lock_editable(filing, user):
    try:
        locked = TrainingFiling.objects.select_for_update(of=("self",)).select_related("organisation").get(pk=filing.pk)
    except TrainingFiling.DoesNotExist:
        # Deleted in another tab (or by the first of a double click) since the page read it.
        raise ValidationError(GONE, code="gone") from None
    _check_admin(user, locked.organisation)
    if not locked.is_editable:
        raise ValidationError(f"该备案当前为“{locked.get_state_display()}”，提交后不能修改；如需修改请先撤销。")
    return locked


def _name_taken(filing, data):
    other = _open_filing(filing.organisation_id, data, exclude=filing.pk)
    if other is None:
        return None
    return ValidationError(f"本单位已有{other.year}年“{other.name}”{open_kind(other)}，请修改该备案或使用其他培训名称。")


def _holds(field, checked):
    """Whether the stored file is byte for byte the upload."""
    if not field or field.size != checked.size:
        return False
    with field.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest() == checked.sha256


def filing_update(*, filing, user, data, notice=None, schedule=None):
    _check_dates(data)
    uploads = {which: (upload, check_upload(upload)) for which, upload in (("notice", notice), ("schedule", schedule)) if upload is not None}
    # A filing of that name may be opened by another request between the check and the save.
    with refused_on_conflict(lambda: _name_taken(filing, data)), FileWrites() as files, files.atomic():
        locked = _lock_editable(filing, user)
        taken = _name_taken(locked, data)
        if taken:
            raise taken
        # The same file chosen again (the form sent twice) keeps the stored one.
        uploads = {which: pair for which, pair in uploads.items() if not _holds(getattr(locked, which), pair[1])}
        if assign_changed(locked, {f: data[f] for f in FIELDS}) or uploads:  # else: nothing to write
            for which, (upload, checked) in uploads.items():
                field = getattr(locked, which)
                delete_on_commit(field)  # the file being replaced, once the new one is committed
                files.save(field, upload, filename=checked.original_name)
            locked.save()
    return locked


def filing_delete(*, filing, user):
    with transaction.atomic():
        locked = _lock_editable(filing, user)
        draft_delete(locked, files=(locked.notice, locked.schedule))


# A roster longer than this is imported by a background job (core/jobs.py).
ROSTER_IN_REQUEST_MAX_ROWS = 500


def _check_roster(filing, user):
    _check_admin(user, filing.organisation)
    if filing.state != State.APPROVED:
        raise ValidationError("培训备案通过后才能上传参训人员名单。")
    if filing.planned_start > timezone.localdate():
        raise ValidationError(f"培训尚未举办（预计{filing.planned_start:%Y年%m月%d日}开始），举办后再上传名单。")


def filing_roster_upload(*, filing, user, upload):
    """The roster's import report, or — for more than ROSTER_IN_REQUEST_MAX_ROWS rows — the
    background job importing it (refusals such as a filing not yet approved come at once either way)."""
    _check_roster(filing, user)
    rows = roster_row_count(upload)
    if rows > ROSTER_IN_REQUEST_MAX_ROWS:
        return jobs.job_start(
            owner=user, kind=JobKind.ROSTER_IMPORT, title=f"参训人员名单导入：{filing.name}（{rows} 行）",
            params={"filing": filing.pk}, total=rows, upload=upload,
        )
    return roster_import(filing=filing, upload=upload, user=user)


def filing_roster_run(*, job, progress):
    """The ROSTER_IMPORT handler: the same checks and import as in the request, on the stored file,
    which is deleted once read."""
    try:
        filing = TrainingFiling.objects.select_related("organisation").get(pk=job.params["filing"])
        _check_roster(filing, job.owner)
        with job.upload.open("rb") as handle:
            report = roster_import(filing=filing, upload=File(handle, name=job.upload.name), user=job.owner)
    except TrainingFiling.DoesNotExist:
        raise jobs.JobFailure("该培训备案已不存在，名单未导入。")
    except (ValidationError, PermissionDenied) as exc:
        raise jobs.JobFailure("；".join(getattr(exc, "messages", None) or [str(exc)]))
    finally:
        job.upload.delete(save=False)
        Job.objects.filter(pk=job.pk).update(upload="")
    progress.advance(job.total)
    return {"created": report.created, "errors": report.errors}
