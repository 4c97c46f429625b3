"""Unit training filings while the unit edits them (drafts, files, rosters). Their review goes
through review/workflow.py like declarations."""
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import Role
from accounts.roles import organisations_for
from review.models import State

from .imports import roster_import
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


def _store(field, upload):
    """Write an uploaded file after checking its content; the caller removes it if the row is not saved."""
    checked = check_upload(upload)
    field.name = field.storage.save(field.field.generate_filename(field.instance, checked.original_name), upload)
    return field.name


def filing_create(*, user, organisation, data, notice, schedule):
    _check_admin(user, organisation)
    _check_dates(data)
    filing = TrainingFiling(organisation=organisation, created_by=user, **{f: data[f] for f in FIELDS})
    written = [_store(filing.notice, notice), _store(filing.schedule, schedule)]
    try:
        with transaction.atomic():
            filing.save()
    except BaseException:
        for name in written:
            filing.notice.storage.delete(name)
        raise
    return filing


def _lock_editable(filing, user):
    locked = TrainingFiling.objects.select_for_update(of=("self",)).select_related("organisation").get(pk=filing.pk)
    _check_admin(user, locked.organisation)
    if not locked.is_editable:
        raise ValidationError(f"该备案当前为“{locked.get_state_display()}”，提交后不能修改；如需修改请先撤销。")
    return locked


def filing_update(*, filing, user, data, notice=None, schedule=None):
    _check_dates(data)
    old = []
    with transaction.atomic():
        locked = _lock_editable(filing, user)
        for f in FIELDS:
            setattr(locked, f, data[f])
        for field, upload in ((locked.notice, notice), (locked.schedule, schedule)):
            if upload is not None:
                old.append(field.name)
                _store(field, upload)
        locked.save()
        storage = locked.notice.storage
        transaction.on_commit(lambda: [storage.delete(name) for name in old])
    return locked


def filing_delete(*, filing, user):
    with transaction.atomic():
        locked = _lock_editable(filing, user)
        if locked.submitted_at is not None:
            raise ValidationError("该备案已提交过，审核记录须保留，不能删除。")
        names = [locked.notice.name, locked.schedule.name]
        storage = locked.notice.storage
        locked.delete()
        transaction.on_commit(lambda: [storage.delete(name) for name in names])


def filing_roster_upload(*, filing, user, upload):
    _check_admin(user, filing.organisation)
    if filing.state != State.APPROVED:
        raise ValidationError("培训备案通过后才能上传参训人员名单。")
    if filing.planned_start > timezone.localdate():
        raise ValidationError(f"培训尚未举办（预计{filing.planned_start:%Y年%m月%d日}开始），举办后再上传名单。")
    return roster_import(filing=filing, upload=upload, user=user)
