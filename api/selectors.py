"""The read side for a client: what it sent and what became of each record."""
from typing import Literal

from hours.models import TrainingRecord
from workflow.models import State

Status = Literal["waiting", "in_declaration", "approved", "revoked", "withdrawn"]
STATUS_LABELS = {
    "waiting": "待本人确认选择",
    "in_declaration": "已选入申报，审核中",
    "approved": "已认定",
    "revoked": "认定已撤销",
    "withdrawn": "已撤回",
}


def status_of(record):
    if record.withdrawn_at is not None:
        return "withdrawn"
    if record.item_id is None:
        return "waiting"
    year_record = record.item.year_record
    if year_record.revocation_id is not None:
        return "revoked"
    if year_record.declaration.state == State.APPROVED:
        return "approved"
    return "in_declaration"


def sent(key, *, status=None, updated_since=None):
    """The records of the key's organisation in the key's subjects (a 公需-only key sees no 专业
    record another key sent), newest change first; `status` filters on status_of's codes."""
    records = TrainingRecord.objects.filter(source_org_id=key.organisation_id, subject__in=key.subjects).exclude(external_id="")
    if updated_since is not None:
        records = records.filter(updated_at__gte=updated_since)
    if status == "withdrawn":
        records = records.filter(withdrawn_at__isnull=False)
    elif status == "waiting":
        records = records.filter(withdrawn_at__isnull=True, item__isnull=True)
    elif status == "approved":
        records = records.filter(
            item__year_record__declaration__state=State.APPROVED, item__year_record__revocation__isnull=True
        )
    elif status == "revoked":
        records = records.filter(item__year_record__revocation__isnull=False)
    elif status == "in_declaration":
        records = records.filter(item__isnull=False).exclude(item__year_record__declaration__state=State.APPROVED)
    return records.select_related("item__year_record__declaration").order_by("-updated_at", "-id")


def one(key, record_id):
    return sent(key).filter(external_id=record_id).first()

