"""What the API changes: keys made and revoked, records pushed and withdrawn. A batch is decided
under a lock on the sending organisation's row, so two identical batches sent at once (a retry
racing its original) are decided one after the other and the second finds the first's records;
the records it holds are locked too, as 确认选择 locks them, so none changes under a claim."""
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from accounts import audit
from accounts.models import AccountAction, Organisation, OrganisationKind, Role, User
from accounts.validators import normalize_id_number, validate_id_number
from core.inputs import normalise_text
from hours import rules
from hours.models import ItemSource, TrainingRecord
from hours.policies import default_rule_set, policy_for
from workflow import jurisdiction

from . import keys
from .models import KEY_SOURCES, SUBJECTS, ApiKey

ACCEPTED, UPDATED, UNCHANGED, REFUSED = "accepted", "updated", "unchanged", "refused"
SUBJECT_LABELS = dict(SUBJECTS)
# The fields a record is compared on: a re-send with the same values changes nothing.
COMPARED = ("id_number", "name", "title", "subject", "hours", "start_date", "end_date", "certificate_no", "year", "source")


@dataclass
class Outcome:
    record_id: str
    status: str
    reason_code: str = ""
    reason: str = ""


class Refusal(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.code, self.message = code, message


# ---------------------------------------------------------------------------------------------- keys

NOT_ISSUER = "您无权为该培训机构创建或停用接口密钥。"


def _issuer(user, organisation, bureau):
    """The check key_create makes: who may issue for `organisation`, with which 报送辖区."""
    issuer = jurisdiction.key_issuer(user, organisation)
    if issuer is None:
        raise PermissionDenied(NOT_ISSUER)
    role, imposed = issuer
    if role == Role.BUREAU_CLERK and bureau != imposed:
        raise PermissionDenied(f"人社部门经办人创建的密钥只能报送本部门辖区（{imposed.name}）的记录。")
    if bureau is not None and bureau.kind != OrganisationKind.BUREAU:
        raise ValidationError({"bureau": "报送辖区必须是人社部门。"})


def key_create(*, user, organisation, name, subjects, bureau=None, source, request=None):
    """A new key for `organisation`: (ApiKey, the key itself, shown once). One active key per name
    and organisation, so the same form sent twice (two tabs, two browsers) makes one key."""
    _issuer(user, organisation, bureau)
    chosen = [s for s, _ in SUBJECTS if s in subjects]
    if not chosen:
        raise ValidationError({"subjects": "请至少选择一个可报送科目。"})
    if source not in dict(KEY_SOURCES):
        raise ValidationError({"source": "请选择来源类别。"})
    with transaction.atomic():
        Organisation.objects.select_for_update().filter(pk=organisation.pk).exists()
        if ApiKey.objects.filter(organisation=organisation, name=name, revoked_at__isnull=True).exists():
            raise ValidationError({"name": f"{organisation.name}已有名为“{name}”的有效密钥；如需新密钥，请换一个名称或先停用原密钥。"})
        prefix, raw = keys.new_key()
        key = ApiKey.objects.create(
            organisation=organisation, name=name, prefix=prefix, key_hash=keys.digest(raw),
            subjects=chosen, bureau=bureau, source=source, created_by=user,
        )
        audit.record(AccountAction.API_KEY_CREATE, actor=user, organisation=organisation, request=request, **_described(key))
    return key, raw


def _described(key):
    """What the audit trail keeps of a key: never the key nor its hash."""
    return {
        "prefix": key.prefix, "name": key.name, "organisation_name": key.organisation.name, "subjects": key.subjects,
        "bureau": key.bureau.name if key.bureau else "全省", "source": key.source,
    }


def key_revoke(*, user, key, request=None):
    """停用: for good (a client needs a new key). A second stop is refused, naming the first."""
    if jurisdiction.key_issuer(user, key.organisation) is None:
        raise PermissionDenied(NOT_ISSUER)
    with transaction.atomic():
        locked = ApiKey.objects.select_for_update(of=("self",)).select_related("organisation", "bureau").get(pk=key.pk)
        if locked.revoked_at is not None:
            raise ValidationError(f"密钥 {locked.prefix}（{locked.name}）已于{timezone.localtime(locked.revoked_at):%Y-%m-%d %H:%M}停用。")
        locked.revoked_at, locked.revoked_by = timezone.now(), user
        locked.save(update_fields=["revoked_at", "revoked_by"])
        audit.record(AccountAction.API_KEY_REVOKE, actor=user, organisation=locked.organisation, request=request, **_described(locked))
    return locked


# ------------------------------------------------------------------------------------------- records

def _text(value, label, max_length, *, required=True):
    try:
        text = normalise_text(value)
    except ValidationError as exc:
        raise Refusal("text_invalid", f"{label}{exc.messages[0]}") from None
    if not text and required:
        raise Refusal("text_invalid", f"{label}不能为空。")
    if len(text) > max_length:
        raise Refusal("text_invalid", f"{label}不能超过{max_length}个字。")
    return text


class _Checker:
    """The checks of one batch, with what they read from the database read once."""

    def __init__(self, key, numbers, today):
        self.key, self.today = key, today
        self.people = {
            p["id_number"]: p
            for p in User.objects.filter(id_number__in=numbers).values("id_number", "name", "organisation__bureau__path")
        }
        self.policy = policy_for(default_rule_set())

    def values(self, record):
        """The row's values for a valid record; Refusal naming the first problem otherwise."""
        number = normalize_id_number(record.id_number)
        try:
            validate_id_number(number)
        except ValidationError as exc:
            raise Refusal("id_number_invalid", exc.messages[0]) from None
        name = _text(record.name, "姓名", 50)
        person = self.people.get(number)
        if person is not None and "".join(person["name"].split()) != "".join(name.split()):
            raise Refusal("name_mismatch", "姓名与本系统中该证件号码登记的姓名不一致。")
        if not self.key.may_report(record.subject):
            raise Refusal("subject_not_scoped", f"本密钥无权报送{SUBJECT_LABELS[record.subject]}学时。")
        if self.key.bureau_id:
            bureau_path = person["organisation__bureau__path"] if person else None
            if bureau_path is None:
                raise Refusal(
                    "outside_jurisdiction",
                    f"无法确认该人员属于本密钥的报送辖区（{self.key.bureau.name}）：其尚未注册或尚未确认所在单位；"
                    "请待其确认单位后重发，或由报送范围为全省的密钥报送。",
                )
            if not bureau_path.startswith(self.key.bureau.path):
                raise Refusal("outside_jurisdiction", f"该人员不在本密钥的报送辖区（{self.key.bureau.name}）内。")
        start, end = record.start_date, record.end_date
        if start > end:
            raise Refusal("dates_invalid", "开始日期晚于结束日期。")
        if end > self.today:
            raise Refusal("dates_invalid", "结束日期晚于今天：只能报送已结业的培训。")
        if start < date(1990, 1, 1):
            raise Refusal("dates_invalid", "开始日期早于1990年。")
        self._check_hours(record.hours, start, end)
        return {
            "id_number": number, "name": name, "title": _text(record.title, "培训名称", 200),
            "subject": record.subject, "hours": record.hours, "start_date": start, "end_date": end,
            "certificate_no": _text(record.certificate_no, "证书编号", 60, required=False), "year": end.year,
            "source": self.key.source,
        }

    def _check_hours(self, hours, start, end):
        """At most what the rule set lets one day of a course give, times the course's calendar days."""
        days = (end - start).days + 1
        most = rules.span_hours(self.policy, days)
        if most is not None and hours > most:
            raise Refusal(
                "hours_exceed", f"学时超出折算细则允许的上限：{start:%Y-%m-%d}至{end:%Y-%m-%d}共{days}天，最多{most.normalize():f}学时。"
            )


def _status_of_use(record):
    declaration = record.item.year_record.declaration
    return f"该记录已被选入{record.item.year_record.year}年度学时申报（{declaration.get_state_display()}），不能修改或撤回；如需更正请联系人社部门。"


def records_push(*, key, records, today=None):
    """Decide each of `records` (schemas.RecordIn): accepted (new), updated, unchanged (the same as
    already held) or refused with the reason. A record already ticked into a declaration is never
    changed: the change is refused, naming the declaration's state."""
    today = today or timezone.localdate()
    checker = _Checker(key, {normalize_id_number(r.id_number) for r in records}, today)
    outcomes, decided, seen = [], [], set()
    for record in records:
        if record.record_id in seen:
            outcomes.append(Outcome(record.record_id, REFUSED, "duplicate_in_batch", "同一批次中记录编号重复，只处理第一条。"))
            continue
        seen.add(record.record_id)
        try:
            decided.append((len(outcomes), record.record_id, checker.values(record)))
            outcomes.append(None)
        except Refusal as refusal:
            outcomes.append(Outcome(record.record_id, REFUSED, refusal.code, refusal.message))
    now = timezone.now()
    with transaction.atomic():
        Organisation.objects.select_for_update().filter(pk=key.organisation_id).exists()
        # Locked as 确认选择 locks them (hours.services.training_records_claim): a record is never
        # changed under a claim that has read its hours.
        held = {
            r.external_id: r
            for r in TrainingRecord.objects.select_for_update(of=("self",)).filter(
                source_org_id=key.organisation_id, external_id__in=[rid for _, rid, _ in decided]
            ).select_related("item__year_record__declaration").order_by("pk")
        }
        imported = _imported(key, [values for _, _, values in decided])
        new, changed = [], []
        for at, record_id, values in decided:
            record = held.get(record_id)
            if (values["id_number"], values["year"], values["title"]) in imported:
                outcomes[at] = Outcome(record_id, REFUSED, "imported_before", IMPORTED_BEFORE)
            elif record is None:
                new.append(TrainingRecord(source_org_id=key.organisation_id, external_id=record_id, updated_at=now, **values))
                outcomes[at] = Outcome(record_id, ACCEPTED)
            elif all(getattr(record, f) == values[f] for f in COMPARED) and record.withdrawn_at is None:
                outcomes[at] = Outcome(record_id, UNCHANGED)
            elif not key.may_report(record.subject):
                outcomes[at] = Outcome(
                    record_id, REFUSED, "subject_not_scoped", f"该记录为{SUBJECT_LABELS[record.subject]}，本密钥无权修改。"
                )
            elif record.item_id is not None:
                outcomes[at] = Outcome(record_id, REFUSED, "record_in_use", _status_of_use(record))
            else:
                for name, value in values.items():
                    setattr(record, name, value)
                record.updated_at, record.withdrawn_at = now, None
                changed.append(record)
                outcomes[at] = Outcome(record_id, UPDATED)
        TrainingRecord.objects.bulk_create(new, batch_size=500)
        _update_rows(changed, [*COMPARED, "updated_at", "withdrawn_at"])
    return outcomes


IMPORTED_BEFORE = "该人员该年度同名培训的记录已由本机构以表格导入，不能再次报送（以免重复计入学时）。"


def _imported(key, values):
    """(证件号码, 年度, 培训名称) of records that came by spreadsheet (hours.imports) among those of the
    batch: the organisation's own, and for a 事业单位工作人员培训平台 key the platform's (a clerk
    imports those without an organisation). The same training sent both ways would be offered twice."""
    if not values:
        return set()
    sender = Q(source_org_id=key.organisation_id)
    if key.source == ItemSource.PLATFORM:
        sender |= Q(source_org__isnull=True, source=ItemSource.PLATFORM)
    return set(
        TrainingRecord.objects.filter(sender, external_id="", id_number__in={v["id_number"] for v in values})
        .values_list("id_number", "year", "title")
    )


def _update_rows(records, fields):
    """Write `fields` of each of `records`: one UPDATE by id, run for all rows at once (executemany;
    psycopg pipelines it). bulk_update's CASE WHEN per field took 5 s for 1,000 changed records,
    most of it building the expressions."""
    if not records:
        return
    columns = [TrainingRecord._meta.get_field(name) for name in fields]
    quote = connection.ops.quote_name
    sql = (
        f"UPDATE {quote(TrainingRecord._meta.db_table)} SET {', '.join(f'{quote(c.column)} = %s' for c in columns)} "
        f"WHERE {quote(TrainingRecord._meta.pk.column)} = %s"
    )
    rows = [[c.get_db_prep_save(getattr(r, c.attname), connection) for c in columns] + [r.pk] for r in records]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def record_withdraw(*, key, record_id):
    """The platform takes a record back: it is offered to no one any more. Refused once ticked in."""
    with transaction.atomic():
        record = (
            TrainingRecord.objects.select_for_update(of=("self",))
            .filter(source_org_id=key.organisation_id, external_id=record_id, subject__in=key.subjects)
            .select_related("item__year_record__declaration")
            .first()
        )
        if record is None:
            raise TrainingRecord.DoesNotExist
        if record.item_id is not None:
            raise PermissionDenied(_status_of_use(record))
        if record.withdrawn_at is None:
            record.withdrawn_at = record.updated_at = timezone.now()
            record.save(update_fields=["withdrawn_at", "updated_at"])
    return record

