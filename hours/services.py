"""Changes to a declaration while the applicant (or the administrator declaring for them) edits
it: drafts, year records, items, evidence, imported training records. State changes are in
hours/transitions.py."""
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from accounts.models import MembershipStatus, Role
from accounts.validators import gender_from_id_number
from core.constraints import refused_on_conflict
from core.storage import FileWrites, delete_on_commit
from core.wording import hours as hours_text
from workflow import jurisdiction
from workflow.models import OPEN_STATES, ReminderReason, State
from workflow.reminders import remind
from workflow.runner import WorkflowError

from . import rules, selectors
from .models import Declaration, Evidence, EvidenceCategory, Item, TrainingRecord, YearRecord
from .policies import default_rule_set, identity_key, policy_for
from .uploads import check_upload
from .years import allowed_years, previous_certificate_problem

APPLICANT_FIELDS = ("name", "id_number", "gender", "ethnicity", "phone", "education", "title_sought", "category", "specialty", "remark")
# What the account already holds: never typed on the declaration, whatever is posted.
IDENTITY_FIELDS = ("name", "id_number", "gender")
DECLARED_FIELDS = tuple(f for f in APPLICANT_FIELDS if f not in IDENTITY_FIELDS)
def _check_span(start_year, end_year):
    years = allowed_years()
    if start_year not in years or end_year not in years:
        raise ValidationError(f"申报年度应在{years.start}年至{years.stop - 1}年之间。")
    if end_year < start_year:
        raise ValidationError("终止年度不能早于起始年度。")


def identity_of(applicant):
    """姓名, 证件号码 and 性别 as the account holds them: the declaration states the person, so the
    certificate printed from it carries the registered name beside the real number."""
    return {
        "name": applicant.name,
        "id_number": applicant.id_number,
        "gender": applicant.gender or gender_from_id_number(applicant.id_number),
    }


class AlreadyOpen(ValidationError):
    """A second declaration (or training filing) where one is open already — a double click, the
    back button and 保存 again, two tabs. `existing` is the open one; `opens` says whether the
    user may open it (then the page goes there, else the message stays on the form)."""

    def __init__(self, message, *, existing, opens):
        super().__init__(message, code="already_open")
        self.existing = existing
        self.opens = opens


def open_kind(obj):
    """的暂存申报, 正在审核的备案 …: an open declaration or filing as the messages name it, after
    “2019–2023年度” or “2024年“某培训””."""
    if obj.state == State.DRAFT:
        return f"的暂存{obj.noun}"
    return f"{'审核不通过' if obj.state == State.REJECTED else '正在审核'}的{obj.noun}"


def _open_declaration(*, applicant, start_year, end_year, exclude=None):
    """The applicant's open declaration for the span (other than `exclude`), or None."""
    found = Declaration.objects.filter(applicant=applicant, start_year=start_year, end_year=end_year, state__in=OPEN_STATES)
    if exclude is not None:
        found = found.exclude(pk=exclude)
    return found.select_related("declared_by").first()


def _already_open(*, user, applicant, start_year, end_year):
    """AlreadyOpen when the applicant has an open declaration for the span, else None."""
    existing = _open_declaration(applicant=applicant, start_year=start_year, end_year=end_year)
    if existing is None:
        return None
    where = f"{existing.years_label}年度{open_kind(existing)}（业务编号 {existing.business_no}"
    if jurisdiction.edits(existing, user):
        then = "；如需修改请先撤销。" if existing.is_pending else "。"
        return AlreadyOpen(f"您已有{where}），已为您打开{then}", existing=existing, opens=True)
    if existing.applicant_id == user.pk:
        message = f"您已有{where}，由{existing.declared_by.name}代为申报），不能重复申报。"
    else:
        message = f"{applicant.name}已有{where}），不能重复申报。"
    return AlreadyOpen(message, existing=existing, opens=False)


def declaration_create(*, user, applicant, data, start_year, end_year, rule_set=None, with_years=False):
    """A new draft; AlreadyOpen when the applicant has an open declaration for the span (also when
    a second request made it between this one's look-up and its save: the unique constraint).
    `with_years`: a year record for each year of the span too, so the applicant goes straight to
    adding items (the pages do; scripts and tests add the years they want)."""
    who = jurisdiction.declaring_role(user, applicant)
    if who is None:
        raise PermissionDenied("您无权为该人员申报。")
    if not applicant.id_number:
        raise ValidationError("该账号没有登记证件号码，不能申报学时；请联系系统管理员补充。")
    unit = applicant.organisation
    if unit is None or not applicant.memberships.filter(status=MembershipStatus.ACTIVE, organisation=unit).exists():
        raise ValidationError("您的工作单位尚未确认，请等待单位管理员确认后再申报。")
    _check_span(start_year, end_year)
    span = {"applicant": applicant, "start_year": start_year, "end_year": end_year}
    already = _already_open(user=user, **span)
    if already:
        raise already
    with refused_on_conflict(lambda: _already_open(user=user, **span)), transaction.atomic():
        declaration = Declaration(
            applicant=applicant,
            declared_by=None if who[0] == Role.APPLICANT else user,
            organisation=unit,
            rule_set=rule_set or default_rule_set(),
            start_year=start_year,
            end_year=end_year,
            **{f: data.get(f, "") for f in DECLARED_FIELDS},
            **identity_of(applicant),
        )
        declaration.save()
        # 业务编号: the day it was opened and its number, e.g. 202406130000021.
        declaration.business_no = f"{timezone.localdate():%Y%m%d}{declaration.pk:07d}"
        Declaration.objects.filter(pk=declaration.pk).update(business_no=declaration.business_no)
        if with_years:
            YearRecord.objects.bulk_create(YearRecord(declaration=declaration, year=y) for y in declaration.years)
    return declaration


# The declaration, or a part of it, was deleted since the page read it: in another tab, or by the
# first click of a double click. Code "gone": the views then answer on the list.
GONE = "该申报已被删除。"
YEAR_GONE = "该年度明细已被删除，请刷新页面。"
ITEM_GONE = "该学习项目已被删除，请刷新页面。"


def _lock_editable(declaration, user):
    """Re-read the declaration with a row lock and make sure `user` may still change it."""
    # of=("self",): lock the declaration only, not its unit and rule set, which every other
    # declaration of the unit (or the province) shares.
    try:
        locked = (
            Declaration.objects.select_for_update(of=("self",))
            .select_related("rule_set", "organisation")
            .get(pk=declaration.pk)
        )
    except Declaration.DoesNotExist:
        raise ValidationError(GONE, code="gone") from None
    if not jurisdiction.edits(locked, user):
        raise PermissionDenied("您无权修改该申报。")
    if not locked.is_editable:
        raise ValidationError(f"该申报当前为“{locked.get_state_display()}”，提交后不能修改；如需修改请先撤销。")
    return locked


def _span_taken(declaration, start_year, end_year):
    other = _open_declaration(applicant=declaration.applicant_id, start_year=start_year, end_year=end_year, exclude=declaration.pk)
    if other is None:
        return None
    return ValidationError(
        f"已有{other.years_label}年度{open_kind(other)}（业务编号 {other.business_no}），"
        "同一年度只能有一份未审核通过的申报，请修改该申报或选择其他年度。"
    )


def assign_changed(instance, values):
    """Set the values (name → value) that differ from the instance's; the names set, none if nothing is to be written."""
    changed = [name for name, value in values.items() if getattr(instance, name) != value]
    for name in changed:
        setattr(instance, name, values[name])
    return changed


def draft_delete(locked, *, files):
    """Delete a locked declaration or filing, its files once that is committed: only one never
    submitted, as one submitted once keeps its review record."""
    if locked.submitted_at is not None:
        raise ValidationError(f"该{locked.noun}已提交过，审核记录须保留，不能删除。")
    delete_on_commit(*files)
    locked.delete()


def declaration_update(*, declaration, user, data, start_year, end_year, with_years=False):
    """The step-6 data and the span; `with_years`: the years the span gains get their year records
    (those of the old span that were deleted stay deleted)."""
    _check_span(start_year, end_year)
    # Another request may open a declaration for the new span between the check and the save.
    with refused_on_conflict(lambda: _span_taken(declaration, start_year, end_year)), transaction.atomic():
        locked = _lock_editable(declaration, user)
        beyond = locked.year_records.exclude(year__range=(start_year, end_year))
        # A year left with nothing in it (made with the span) goes with the span; one with items is the applicant's to delete.
        beyond.filter(items__isnull=True).delete()
        outside = beyond.values_list("year", flat=True)
        if outside:
            raise ValidationError(f"已填写{'、'.join(map(str, outside))}年度明细，不在新的申报年度范围内，请先删除。")
        taken = _span_taken(locked, start_year, end_year)
        if taken:
            raise taken
        values = {f: data.get(f, getattr(locked, f)) for f in DECLARED_FIELDS}
        # A name corrected on the account since the draft was made reaches it now.
        values.update(identity_of(locked.applicant), start_year=start_year, end_year=end_year)
        gained = [y for y in range(start_year, end_year + 1) if y not in locked.years]
        if assign_changed(locked, values):  # the same form again writes nothing
            locked.save()
        if with_years and gained:
            YearRecord.objects.bulk_create(YearRecord(declaration=locked, year=y) for y in gained)
    return locked


def declaration_delete(*, declaration, user):
    with transaction.atomic():
        locked = _lock_editable(declaration, user)
        # Undone with the rest if the deletion is refused.
        TrainingRecord.objects.filter(item__year_record__declaration=locked).update(item=None, updated_at=timezone.now())
        draft_delete(locked, files=(evidence.file for evidence in Evidence.objects.filter(declaration=locked)))


def year_record_add(*, declaration, user, year):
    with transaction.atomic():
        locked = _lock_editable(declaration, user)
        if not locked.start_year <= year <= locked.end_year:
            raise ValidationError(f"年度应在申报年度{locked.start_year}–{locked.end_year}年之内。")
        if locked.year_records.filter(year=year).exists():
            raise ValidationError(f"{year}年度明细已存在，请直接在该年度下添加学习项目。")
        return YearRecord.objects.create(declaration=locked, year=year)


def year_record_delete(*, year_record, user):
    with transaction.atomic():
        locked = _lock_editable(year_record.declaration, user)
        delete_on_commit(*(evidence.file for evidence in Evidence.objects.filter(declaration=locked, item__year_record=year_record)))
        TrainingRecord.objects.filter(item__year_record=year_record).update(item=None, updated_at=timezone.now())
        year_record.delete()
        _recompute(locked)


NO_HOURS = "按折算细则，该项目折算为0学时，无需申报；请检查填写的内容。"


def item_add(*, year_record, user, activity, facts):
    """Hours come from the rules engine; the counted year (计入年度) is the record's year unless
    given, and must be it. Refused, beside the field, with nothing stored: what the rules refuse,
    an item that earns no hours (unless the rules credit it none, as an absence), more days than
    the year has, and a second item of the same work (or of what is declared once a year) in the
    year — the database's unique constraint decides when two requests race."""
    with transaction.atomic():
        locked = _lock_editable(year_record.declaration, user)
        _check_year_exists(locked, year_record)
        policy = policy_for(locked.rule_set)
        try:
            result = rules.credit(policy, activity, facts, in_year=year_record.year)
            key = identity_key(policy, activity, facts)
            days = rules.calendar_days(policy, activity, facts)
        except rules.RuleError as exc:
            raise ValidationError({exc.fact: str(exc)} if exc.fact else str(exc)) from exc
        if result.year is not None and result.year != year_record.year:
            raise ValidationError(f"该项目计入{result.year}年度，请在{result.year}年度明细中填写。")
        if not result.total and not rules.credits_nothing_by_rule(policy, activity):
            raise ValidationError(dict.fromkeys(rules.hours_facts(policy, activity) or ["__all__"], NO_HOURS))
        if days:
            _check_year_days(policy, year_record, activity, days)
        taken = _identity_taken(policy, year_record, activity, key, result.facts)
        if taken:
            raise taken
        item = Item(
            year_record=year_record,
            applicant_id=locked.applicant_id,
            activity=activity,
            facts=_jsonable(result.facts),
            title=str(result.facts.get("title", ""))[:200],
            reference_no=str(result.facts.get("number", ""))[:100],
            public_hours=result.public,
            professional_hours=result.professional,
            counted_year=result.year or year_record.year,
            identity_key=key,
        )
        if key:  # only an identified item can meet the unique constraint: a savepoint to catch it
            with refused_on_conflict(lambda: _identity_refusal(policy, year_record, activity, result.facts)), transaction.atomic():
                item.save()
        else:
            item.save()
        _recompute(locked)
    return item


def _check_year_days(policy, year_record, activity, days):
    """The year's day-based items together (this one included) take no more days than the year has."""
    day_based = [code for code, act in policy.activities.items() if act.calendar_days]
    used = 0
    for code, facts in Item.objects.filter(year_record=year_record, activity__in=day_based).values_list("activity", "facts"):
        try:
            used += rules.calendar_days(policy, code, facts)
        except rules.RuleError:
            continue  # facts the rule set no longer accepts: the item's problem, shown beside it
    limit = rules.days_in_year(year_record.year)
    if used + days > limit:
        raise ValidationError({policy.activities[activity].calendar_days[0]: (
            f"{year_record.year}年度按天折算的学习项目已计{used}天，加上本项目{days}天，超过全年{limit}天。")})


def _identity_taken(policy, year_record, activity, key, facts):
    """The refusal when the year already holds an item with this identity, else None."""
    if key and Item.objects.filter(year_record=year_record, activity=activity, identity_key=key).exists():
        return _identity_refusal(policy, year_record, activity, facts)
    return None


def _identity_refusal(policy, year_record, activity, facts):
    act = policy.activities[activity]
    names = act.identity.facts
    specs = {s.name: s for s in act.facts}
    if act.identity.per == "work":
        value = " / ".join(str(facts[n]) for n in names)
        return ValidationError({names[0]: f"“{value}”已在{year_record.year}年度申报，同一{specs[names[0]].label}只能申报一次。"})
    shown = "、".join(str(dict((str(v), label) for v, label in specs[n].choices).get(str(facts[n]), facts[n])) for n in names)
    message = f"{year_record.year}年度已申报“{act.label}”{f'（{shown}）' if shown else ''}，每年度只能申报一次；如需修改请先删除原项目。"
    return ValidationError({names[0]: message} if names else message)


def determined_hours_set(*, declaration, hours):
    """由审核单位核定: the hours the reviewer holding the declaration sets for its items of an
    activity the rule set has the reviewing organisation determine ({item id: hours}). Run by the
    approval under the declaration's lock, before the transition (hours/transitions.py);
    returns what the approval step records. At the final level every such item the bureau may
    set must have hours by then (set at this level or an earlier one)."""
    entries = {entry["item"].pk: entry for entry in selectors.determinable_items(declaration)}
    if set(hours) - set(entries):
        raise WorkflowError("您所在的审核单位不能核定这些项目的学时。", "forbidden")
    policy = policy_for(declaration.rule_set)
    now = timezone.now()
    recorded = []
    for pk, value in hours.items():
        item = entries[pk]["item"]
        try:
            result = rules.determined_credit(policy, item.activity, item.facts, value)
        except rules.RuleError as exc:
            raise WorkflowError(f"{entries[pk]['label']}：{exc}", "invalid") from exc
        if item.determined_at and (item.public_hours, item.professional_hours) == (result.public, result.professional):
            continue  # kept as an earlier level set them
        item.public_hours, item.professional_hours, item.determined_at = result.public, result.professional, now
        item.save(update_fields=["public_hours", "professional_hours", "determined_at"])
        recorded.append({"item": pk, "year": item.year_record.year, "title": item.title, "hours": f"{result.total.normalize():f}"})
    if declaration.state == State.BUREAU_REVIEW:
        missing = [entry["label"] for entry in entries.values() if entry["item"].determined_at is None]
        if missing:
            raise WorkflowError(f"请先核定以下项目的学时：{'、'.join(missing)}（请在办理页面逐件核定）", "determination_required")
    if recorded:
        _recompute(declaration)
    return {"determined_hours": recorded} if recorded else {}


def _check_year_exists(locked, year_record):
    # Years are deleted under the declaration's lock, which the caller holds: this answer stands.
    if not locked.year_records.filter(pk=year_record.pk).exists():
        raise ValidationError(YEAR_GONE)


def item_delete(*, item, user):
    with transaction.atomic():
        locked = _lock_editable(item.year_record.declaration, user)
        delete_on_commit(*(evidence.file for evidence in item.evidence.all()))
        TrainingRecord.objects.filter(item=item).update(item=None, updated_at=timezone.now())
        item.delete()
        _recompute(locked)


def _jsonable(facts):
    return {k: (v.isoformat() if hasattr(v, "isoformat") else (str(v) if isinstance(v, Decimal) else v)) for k, v in facts.items()}


def _recompute(declaration):
    """Year and declaration totals are sums of item hours, and a year's months away from post
    come from the absences declared in it; recomputed after every item change."""
    sums = {
        row["year_record"]: row
        for row in Item.objects.filter(year_record__declaration=declaration)
        .values("year_record")
        .annotate(p=Sum("public_hours"), q=Sum("professional_hours"))
    }
    away = _months_away(declaration)
    total_p = total_q = Decimal("0")
    for record in declaration.year_records.all():
        row = sums.get(record.pk, {})
        values = {
            "public_hours": row.get("p") or Decimal("0"),
            "professional_hours": row.get("q") or Decimal("0"),
            "months_away": away.get(record.pk, 0),
        }
        changed = assign_changed(record, values)
        if changed:  # only the year that changed is written
            record.save(update_fields=changed)
        total_p += record.public_hours
        total_q += record.professional_hours
    Declaration.objects.filter(pk=declaration.pk).update(total_public=total_p, total_professional=total_q)
    declaration.total_public, declaration.total_professional = total_p, total_q


def _months_away(declaration):
    """Months away from post per year record, from the absences declared in it; none where the
    rule set does not prorate the requirement (and a stored figure there is cleared)."""
    policy = policy_for(declaration.rule_set)
    if policy.proration is None:
        return {}
    by_record = {}
    for record_pk, facts in Item.objects.filter(
        year_record__declaration=declaration, activity=policy.proration.activity
    ).values_list("year_record", "facts"):
        by_record.setdefault(record_pk, []).append(facts)
    away = {}
    for record_pk, absences in by_record.items():
        months = 0
        for facts in absences:
            try:
                months += rules.absence_months(policy, [(policy.proration.activity, facts)])
            except rules.RuleError:
                continue  # facts the rule set no longer accepts: the item's problem, shown beside it
        away[record_pk] = min(months, 12)
    return away


def evidence_add(*, declaration, user, category, upload, item=None, year=None, year_to=None, material="", materials=(), join=False):
    """One uploaded file, checked by its content (hours/uploads.py). An item's file serves the
    materials given (`materials`, or the one `material`): one scan may be a paper's cover, issue
    number and contents page at once. The same file again in the same place is refused as a
    repeat; with `join` (the applicant's upload), the same file again for an item with materials it
    does not serve yet serves them too, stored once (`added` on the returned row says which
    materials it took on). Without it (scripts attaching a file per material) each is a row."""
    codes = list(dict.fromkeys([*materials] or ([material] if material else [])))
    if category == EvidenceCategory.PREVIOUS_CERTIFICATE:
        # 2024 notice 三(三): an earlier 学时认定单 is the evidence for every year it covers.
        if not (year and year_to and year <= year_to):
            raise ValidationError("请填写该学时认定单所覆盖的起始年度和终止年度。")
        problem = previous_certificate_problem(year, year_to)
        if problem:
            raise ValidationError(problem)
    else:
        year_to = None
    checked = check_upload(upload)
    evidence = Evidence(
        declaration_id=declaration.pk,
        item=item,
        year=year or (item.year_record.year if item else None),
        year_to=year_to,
        category=category,
        material=codes[0] if codes else "",
        materials=codes,
        original_name=checked.original_name,
        extension=checked.extension,
        content_type=checked.content_type,
        size=checked.size,
        sha256=checked.sha256,
        uploaded_by=user,
    )
    # The file is written before the row is locked, so no lock waits on the upload; if the
    # database work then fails, FileWrites deletes it again.
    with FileWrites() as files:
        files.save(evidence.file, upload, filename=checked.original_name)
        with files.atomic():
            locked = _lock_editable(declaration, user)
            if item is not None and item.year_record.declaration_id != locked.pk:
                raise PermissionDenied
            if item is not None and not Item.objects.filter(pk=item.pk).exists():
                raise ValidationError(ITEM_GONE)
            duplicate = ValidationError(f"文件“{checked.original_name}”已上传过，无需重复上传。", code="duplicate")
            same = list(Evidence.objects.filter(declaration=locked, sha256=checked.sha256, category=category, item=item))
            served = {code for e in same for code in e.material_codes}
            new = [code for code in codes if code not in served]
            if same and (item is None or not new):
                raise duplicate
            if same and join:
                # The stored file serves these materials too; the copy just written is not needed.
                joined = same[0]
                joined.materials, joined.added = joined.material_codes + new, new
                joined.save(update_fields=["materials"])
                delete_on_commit(evidence.file)
                return joined
            if same:
                evidence.material, evidence.materials = new[0], new
            # Or the same file sent at the same moment from another tab.
            with refused_on_conflict(lambda: duplicate), transaction.atomic():
                evidence.save()
    evidence.added = evidence.material_codes
    return evidence


def evidence_delete(*, evidence, user):
    with transaction.atomic():
        _lock_editable(evidence.declaration, user)
        delete_on_commit(evidence.file)
        evidence.delete()


def training_records_claim(*, year_record, user, record_ids):
    """确认选择: imported, filed or pushed training hours become items (needing evidence only where the
    rule set does not recognise their source). A record can be claimed once: the OneToOne link to
    its item is taken under a row lock; one its platform withdrew is offered to no one."""
    with transaction.atomic():
        locked = _lock_editable(year_record.declaration, user)
        _check_year_exists(locked, year_record)
        records = list(
            TrainingRecord.objects.select_for_update()
            .filter(pk__in=record_ids, id_number=locked.id_number, year=year_record.year)
            .order_by("pk")
        )
        if len(records) != len(set(record_ids)):
            raise ValidationError("所选培训记录不存在或不属于本人该年度。")
        withdrawn = [r.title for r in records if r.withdrawn_at is not None]
        if withdrawn:
            raise ValidationError(f"以下培训记录已被培训机构撤回，不能选择：{'、'.join(withdrawn)}")
        taken = [r.title for r in records if r.item_id is not None]
        if taken:
            raise ValidationError(f"以下培训记录已被申报，不能重复选择：{'、'.join(taken)}")
        empty = [r.title for r in records if not r.hours]
        if empty:
            raise ValidationError(f"以下培训记录为0学时，无需申报：{'、'.join(empty)}")
        items = []
        for record in records:
            item = Item.objects.create(
                year_record=year_record,
                applicant_id=locked.applicant_id,
                activity="training",
                facts={"subject": record.subject, "hours": str(record.hours), "title": record.title},
                title=record.title[:200],
                reference_no=record.certificate_no,
                public_hours=record.hours if record.subject == "public" else Decimal("0"),
                professional_hours=record.hours if record.subject == "professional" else Decimal("0"),
                counted_year=record.year,
                source=record.source,
            )
            # A platform polling its records by updated_since sees the record ticked in.
            record.item, record.updated_at = item, timezone.now()
            record.save(update_fields=["item", "updated_at"])
            items.append(item)
        _recompute(locked)
    return items


def staff_remind(*, user, people, span, today):
    """催报: a reminder to each of `people` (ledger rows of ledger.staff, within the administrator's
    jurisdiction) naming the span, their shortfall and their unit, at most once a day each — the
    Reminder's constraint decides, so a double click or two tabs send once. (sent, already today)."""
    senders = [jurisdiction.administering(user, person.organisation) for person in people]
    if None in senders:  # all or nothing: never a part of the list sent before the refusal
        raise PermissionDenied("不在本单位管理范围内的人员不能催报。")
    sent = skipped = 0
    for person, (_, sender) in zip(people, senders):
        if person.shortfall > 0:
            standing = f"已认定{hours_text(person.total)}学时，尚差{hours_text(person.shortfall)}学时（要求{hours_text(person.required)}学时）"
        else:
            standing = f"已认定{hours_text(person.total)}学时，已达到要求"
        if person.pending:
            standing += f"，另有{hours_text(person.pending)}学时正在审核"
        body = (
            f"{person.organisation.name}提醒您：您{span}的继续教育学时{standing}。"
            "请及时参加学习，并通过“学时核认申报”提交申报。"
        )
        reminder = remind(
            user=person, reason=ReminderReason.URGE, period=today.isoformat(), sent_by=user, organisation=sender,
            title=f"{person.organisation.name}催报：请申报{span}继续教育学时", body=body,
        )
        if reminder is None:
            skipped += 1
        else:
            sent += 1
    return sent, skipped

