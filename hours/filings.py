"""Unit training filings while the unit edits them (drafts, files, rosters). Their review goes
through review/workflow.py like declarations."""
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.db import transaction
from django.utils import timezone

from accounts.models import Role
from accounts.roles import organisations_for
from portal import jobs
from portal.models import Job, JobKind
from portal.storage import FileWrites, delete_on_commit
from review.models import State

from .imports import roster_import, roster_row_count
from .models import TrainingFiling
from .uploads import check_upload

FIELDS = ("year", "name", "training_type", "course_type", "hours", "days", "planned_start", "planned_end")


def _check_admin(user, organisation):
    if organisation not in organisations_for(user, Role.UNIT_ADMIN):
        raise PermissionDenied("只有该单位的管理员可以办理培训备案。")


def _check_dates(data):
    if data["planned_end"] < data["planned_start"]:
        raise ValidationError("预计培训结束时间不能早于开始时间。")
    if data["planned_start"].year != data["year"]:
        raise ValidationError("预计培训开始时间应在备案年度内。")


def filing_create(*, user, organisation, data, notice, schedule):
    _check_admin(user, organisation)
    _check_dates(data)
    filing = TrainingFiling(organisation=organisation, created_by=user, **{f: data[f] for f in FIELDS})
    uploads = [(filing.notice, notice, check_upload(notice)), (filing.schedule, schedule, check_upload(schedule))]
    with FileWrites() as files:
        for field, upload, checked in uploads:
            files.save(field, upload, filename=checked.original_name)
        with files.atomic():
            filing.save()
    return filing


def _lock_editable(filing, user):
    locked = TrainingFiling.objects.select_for_update(of=("self",)).select_related("organisation").get(pk=filing.pk)
    _check_admin(user, locked.organisation)
    if not locked.is_editable:
        raise ValidationError(f"该备案当前为“{locked.get_state_display()}”，提交后不能修改；如需修改请先撤销。")
    return locked


def filing_update(*, filing, user, data, notice=None, schedule=None):
    _check_dates(data)
    uploads = {which: (upload, check_upload(upload)) for which, upload in (("notice", notice), ("schedule", schedule)) if upload is not None}
    with FileWrites() as files, files.atomic():
        locked = _lock_editable(filing, user)
        for f in FIELDS:
            setattr(locked, f, data[f])
        for which, (upload, checked) in uploads.items():
            field = getattr(locked, which)
            delete_on_commit(field)  # the file being replaced, once the new one is committed
            files.save(field, upload, filename=checked.original_name)
        locked.save()
    return locked


def filing_delete(*, filing, user):
    with transaction.atomic():
        locked = _lock_editable(filing, user)
        if locked.submitted_at is not None:
            raise ValidationError("该备案已提交过，审核记录须保留，不能删除。")
        delete_on_commit(locked.notice, locked.schedule)
        locked.delete()


# A roster longer than this is imported by a background job (portal/jobs.py).
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
