"""Review queues: plain foreign-key filters on the organisations a reviewer holds (jurisdiction
is a query, never a per-row check), a fixed number of queries per page."""
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db.models import Count, F, Q

from accounts.models import Role
from accounts.roles import organisations_for
from accounts.validators import normalize_id_number
from core.inputs import safe_text
from hours import rules, selectors as hours_selectors
from hours.models import Declaration, Evidence, Item, ItemSource, ReviewStep
from hours.policies import identity_key

from workflow import jurisdiction, periods
from workflow.levels import LEVELS
from workflow.models import Action, Reminder, State

QUEUE_STATES = [
    ("pending", "待审核"),
    ("passed", "已审核通过"),
    ("rejected", "审核不通过"),
    ("all", "全部"),
]


def _base():
    return Declaration.objects.select_related("organisation", "current_org", "accepted_by").order_by("waiting_since", "id")


# 待办列表's 校验 filter: the verdict of the automatic checks run at the level the case waits at
# (Declaration.checks_failed, recorded by review/services.py declaration_checks_record).
CHECKS_FILTERS = [("", "全部"), ("passed", "校验全部通过"), ("failed", "校验未通过"), ("unchecked", "未校验")]
TODO_ORDERS = [("oldest", "等待最久的在前"), ("newest", "最新到达的在前")]
_CHECKED_HERE = Q(checked_at__gte=F("waiting_since"))


def _by_checks(qs, verdict):
    if verdict == "passed":
        return qs.filter(_CHECKED_HERE, checks_failed=0)
    if verdict == "failed":
        return qs.filter(_CHECKED_HERE, checks_failed__gt=0)
    if verdict == "unchecked":
        return qs.exclude(_CHECKED_HERE & Q(checks_failed__isnull=False))
    return qs


def _apply_common(qs, filters):
    if filters.get("year"):
        qs = qs.filter(start_year__lte=filters["year"], end_year__gte=filters["year"])
    if filters.get("name"):
        qs = qs.filter(name__icontains=filters["name"])
    if filters.get("id_number"):
        qs = qs.filter(id_number=normalize_id_number(filters["id_number"]))
    if filters.get("business_no"):
        qs = qs.filter(business_no=filters["business_no"].strip())
    return qs


def _by_status(qs, status, orgs, level_state):
    """待审核: waiting at one of my organisations; 已审核通过/审核不通过: decided here before."""
    if status == "pending":
        return qs.filter(state=level_state, current_org__in=orgs)
    if status == "passed":
        return qs.filter(steps__organisation__in=orgs, steps__from_state=level_state, steps__action="approve").distinct()
    if status == "rejected":
        return qs.filter(steps__organisation__in=orgs, steps__from_state=level_state, steps__action="reject").distinct()
    waiting_here = Q(state=level_state, current_org__in=orgs)
    return qs.filter(waiting_here | Q(steps__organisation__in=orgs, steps__from_state=level_state)).distinct()


def level_queue(*, user, level, filters):
    """The queue of one review level: what waits at, or was decided by, the organisations for which
    the user holds the level's role."""
    orgs = organisations_for(user, level.role)
    return _by_status(_apply_common(_base(), filters), filters.get("status") or "pending", orgs, level.state)


def bureau_todo(*, user, filters):
    bureaus = organisations_for(user, Role.BUREAU_CLERK)
    cutoff = overdue_before(user)
    qs = _base().filter(state=State.BUREAU_REVIEW, current_org__in=bureaus)
    qs = _apply_common(qs, filters)
    if filters.get("applicant"):
        text = filters["applicant"].strip()
        qs = qs.filter(Q(name__icontains=text) | Q(organisation__name__icontains=text))
    if filters.get("received_from"):
        qs = qs.filter(submitted_at__gte=_day_start(filters["received_from"]))
    if filters.get("received_to"):
        qs = qs.filter(submitted_at__lt=_day_start(filters["received_to"] + timedelta(days=1)))
    if filters.get("supervision") == "overdue":
        qs = qs.filter(waiting_since__lt=cutoff)
    elif filters.get("supervision") == "normal":
        qs = qs.filter(waiting_since__gte=cutoff)
    handler = (filters.get("handler") or "").strip()
    if handler == "未受理":
        qs = qs.filter(accepted_by__isnull=True)
    elif handler:
        qs = qs.filter(accepted_by__name__icontains=handler)
    if filters.get("channel") == "self":
        qs = qs.filter(declared_by__isnull=True)
    elif filters.get("channel") == "proxy":
        qs = qs.filter(declared_by__isnull=False)
    qs = _by_checks(qs, filters.get("checks"))
    if filters.get("order") == "newest":
        qs = qs.order_by("-waiting_since", "-id")
    return qs


# The columns the queue pages show: the declaration look-up otherwise reads and builds three whole
# rows (about 70 columns) for each of the 15 on a page (待办列表: 10 % of its Python).
QUEUE_COLUMNS = (
    "id", "state", "name", "id_number", "start_year", "end_year", "education", "total_public", "total_professional",
    "waiting_since", "organisation__name", "current_org__name",
)
TODO_COLUMNS = (
    "id", "state", "name", "id_number", "business_no", "submitted_at", "total_public", "total_professional",
    "waiting_since", "organisation__name", "accepted_by__name", "checks_failed", "checks_summary", "checked_at",
)


def shown(qs, columns):
    """qs reading only these columns (and the related rows they name) for a list page."""
    related = sorted({column.split("__")[0] for column in columns if "__" in column})
    return qs.select_related(None).select_related(*related).only(*columns)


def _day_start(day):
    return periods.start_of(day)


def overdue_before(user):
    """The supervision cutoff for what this reviewer holds: the limit their bureau set. Kept on the
    user object for the request, as the role grants are: the 待办列表 asks three times (its filter,
    the counts, the rows' 督办 marks), each a look-up of the bureau chain and its filing window."""
    cached = getattr(user, "_overdue_before_cache", None)
    if cached is None:
        cached = user._overdue_before_cache = _overdue_before(user)
    return cached


def _overdue_before(user):
    for level in reversed(LEVELS):  # the highest level the user reviews at decides
        orgs = organisations_for(user, level.role)
        if orgs:
            return periods.overdue_before(orgs[0])
    return periods.working_days_before(periods.DEFAULT_SUPERVISION_DAYS)


def is_overdue(declaration):
    if not (declaration.is_pending and declaration.waiting_since and declaration.current_org):
        return False
    return declaration.waiting_since < periods.overdue_before(declaration.current_org)


def pending_counts(*, user):
    """Waiting and overdue counts by level (its state) for the home page and the service tree: one
    query per level whose role the user holds."""
    counts = {}
    cutoff = overdue_before(user)
    for level in LEVELS:
        orgs = organisations_for(user, level.role)
        if orgs:
            counts[level.state] = Declaration.objects.filter(state=level.state, current_org__in=orgs).aggregate(
                # Counted on waiting_since (set on every pending item), not id: the queue index
                # (state, current_org, waiting_since) answers it alone, without reading the table.
                waiting=Count("waiting_since"), overdue=Count("waiting_since", filter=Q(waiting_since__lt=cutoff))
            )
    return counts


@dataclass(frozen=True)
class Check:
    ok: bool
    label: str
    detail: str = ""
    # A failed blocking check keeps the case out of 校验全部通过 and out of any batch approval. A
    # year below its requirement is not one: it is what the 学时认定单 reports (短缺), not a fault.
    blocking: bool = True


def failed_checks(declaration):
    """The blocking checks the declaration fails now (review/services.py keeps the verdict). Reads
    the declaration's files and items, and the other declarations they may repeat."""
    workspace = hours_selectors.declaration_workspace(declaration)
    return [check for check in automatic_checks(declaration, workspace) if check.blocking and not check.ok]


def automatic_checks(declaration, workspace):
    """校验规则: what the rules engine and the database say before a reviewer decides."""
    policy = workspace["policy"]
    checks = [Check(False, "申报数据按折算细则计算", problem) for problem in workspace["data_problems"]]
    for year in workspace["years"]:
        record = year["record"]
        for entry in year["items"]:
            item = entry["item"]
            # A sent record is named by its course (several are one activity, 培训班).
            name = entry["label"] if item.source == ItemSource.APPLICANT else item.title or entry["label"]
            if entry["recognised"] is not None:
                checks.append(Check(True, f"{record.year}年度“{name}”学时来自{_sender(item, entry['record'])}，按规定直接认定", entry["recognised"]))
                continue
            # The applicant's own hours are computed again from the facts (or set by the reviewer);
            # hours sent by a source the rule set does not recognise stand as sent, with files to check.
            if item.source == ItemSource.APPLICANT:
                if entry["determined"]:
                    determined = item.determined_at is not None
                    detail = f"已核定{item.total_hours.normalize():f}学时" if determined else "尚未核定，核定前计0学时"
                    checks.append(Check(determined, f"{record.year}年度“{entry['label']}”学时由审核单位核定", detail))
                    continue
                try:
                    credit = rules.credit(policy, item.activity, item.facts)
                    same = (credit.public, credit.professional) == (item.public_hours, item.professional_hours)
                    detail = "" if same else f"申报 {item.public_hours}/{item.professional_hours}，按折算细则应为 {credit.public}/{credit.professional}"
                    checks.append(Check(same, f"{record.year}年度“{entry['label']}”学时折算", detail))
                except rules.RuleError as exc:
                    checks.append(Check(False, f"{record.year}年度“{entry['label']}”学时折算", str(exc)))
            if entry["missing"]:
                checks.append(Check(False, f"{record.year}年度“{name}”佐证材料", "；".join(entry["missing"])))
        check = year["check"]
        detail = "" if check.compliant else (
            f"公需{check.declared.public}/{check.required.public}，专业{check.declared.professional}/{check.required.professional}，"
            f"合计{check.declared.total}/{check.required.total}"
        )
        checks.append(Check(
            check.compliant, f"{record.year}年度学时达标（公需{check.required.public}+专业{check.required.professional}）", detail,
            blocking=False,
        ))
    # The workspace already holds the declaration's files and items: no second look-up of either.
    checks.extend(_duplicate_evidence(declaration, workspace["evidence"]))
    items = sorted((entry["item"] for year in workspace["years"] for entry in year["items"]), key=lambda i: (i.created_at, i.pk))
    checks.extend(_own_repeats(declaration, policy, items))
    checks.extend(_conflicting_claims(declaration, items))
    return checks


def _sender(item, training_record):
    """Where an item's hours were sent from: the source, and the organisation that sent them."""
    org = training_record.source_org if training_record is not None else None
    return f"{item.get_source_display()}（{org.name}）" if org is not None else item.get_source_display()


def _own_repeats(declaration, policy, items):
    """The applicant's own work counted twice (the rule set's identity: a paper's title, a
    patent's number): twice in one year (stored before the database refused it), in two years of
    this declaration, or in another year of another of their declarations. The same year in another
    declaration is that year declared again and counts once, so it is not reported."""
    keyed = []
    for item in items:
        act = policy.activities.get(item.activity)
        if act is None or act.identity is None:
            continue
        try:  # from the facts, not the stored key: a repeat stored before the fix has none
            key = identity_key(policy, item.activity, item.facts, text=safe_text)
        except (rules.RuleError, ValidationError):
            continue
        keyed.append((item, act.identity.per, key))
    if not keyed:
        return []
    problems = []
    groups = {}
    for item, per, key in keyed:
        groups.setdefault((item.activity, key), (per, []))[1].append(item)
    for (activity, key), (per, group) in groups.items():
        name = group[0].title or group[0].reference_no or key
        years = Counter(i.counted_year for i in group)
        problems += [f"“{name}”在{year}年度申报了{n}次" for year, n in sorted(years.items()) if n > 1]
        if per == "work" and len(years) > 1:
            problems.append(f"“{name}”同时计入{'、'.join(map(str, sorted(years)))}年度")
    works = {(activity, key): group for (activity, key), (per, group) in groups.items() if per == "work"}
    if works:
        same = Q()
        for activity, key in works:
            same |= Q(activity=activity, identity_key=key)
        others = (
            Item.objects.filter(same, applicant_id=declaration.applicant_id)
            .exclude(year_record__declaration=declaration)
            .select_related("year_record__declaration")
            .order_by("year_record__declaration_id", "id")[:50]
        )
        for other in others:
            group = works[(other.activity, other.identity_key)]
            if all(i.counted_year != other.counted_year for i in group):
                name = group[0].title or group[0].reference_no or other.identity_key
                problems.append(f"“{name}”已在申报{other.year_record.declaration.business_no}的{other.counted_year}年度申报")
    if not problems:
        return [Check(True, "成果未重复申报")]
    return [Check(False, "成果重复申报", "；".join(problems))]


def _duplicate_evidence(declaration, mine):
    """The same file (by content hash) already used by another applicant, or for another year."""
    if not mine:
        return [Check(True, "佐证材料未与他人或其他年度重复")]
    by_hash = {}
    for e in mine:
        by_hash.setdefault(e.sha256, []).append(e)
    problems = []
    for group in by_hash.values():
        years = {e.year for e in group if e.year}
        if len(years) > 1:
            problems.append(f"“{group[0].original_name}”在本申报中同时用于{'、'.join(map(str, sorted(years)))}年度")
    others = (
        Evidence.objects.filter(sha256__in=by_hash)
        .exclude(declaration=declaration)
        .select_related("declaration")
        .order_by("id")[:50]
    )
    seen = set()
    for other in others:
        mine_e = by_hash[other.sha256][0]
        foreign = other.declaration.applicant_id != declaration.applicant_id
        other_year = other.year and mine_e.year and other.year != mine_e.year
        key = (other.sha256, other.declaration_id)
        if (foreign or other_year) and key not in seen:
            seen.add(key)
            who = f"{other.declaration.name}（{other.declaration.business_no}）"
            problems.append(f"“{mine_e.original_name}”与{who}{f'{other.year}年度' if other_year and not foreign else ''}的材料相同")
    if not problems:
        return [Check(True, "佐证材料未与他人或其他年度重复")]
    return [Check(False, "佐证材料重复使用", "；".join(problems))]


RANK_FACTS = ("author_rank", "rank")


def _conflicting_claims(declaration, items):
    """The same paper, book, patent or project (by number or title) claimed by another applicant
    with a conflicting rank, e.g. two first authors."""
    mine = [i for i in items if i.title or i.reference_no]
    if not mine:
        return []
    # Only a ranked claim can conflict. Training items have no rank, and their titles repeat by the
    # thousand (“2023年……公需科目培训”): looking those up cost 0.4 s a case at 100,000 declarations.
    ranked = [i for i in mine if any(f in i.facts for f in RANK_FACTS)]
    if not ranked:
        return [Check(True, "成果未与他人冲突")]
    keys = Q()
    for item in ranked:
        if item.reference_no:
            keys |= Q(activity=item.activity, reference_no=item.reference_no)
        if item.title:
            keys |= Q(activity=item.activity, title=item.title)
    others = (
        Item.objects.filter(keys)
        .exclude(year_record__declaration__applicant=declaration.applicant)
        .select_related("year_record__declaration")[:50]
    )
    problems = []
    for item in ranked:
        rank = next((item.facts.get(f) for f in RANK_FACTS if f in item.facts), None)
        for other in others:
            same = other.activity == item.activity and (
                (item.reference_no and other.reference_no == item.reference_no) or (item.title and other.title == item.title)
            )
            if not same:
                continue
            other_rank = next((other.facts.get(f) for f in RANK_FACTS if f in other.facts), None)
            if rank is not None and rank == other_rank:
                who = other.year_record.declaration
                problems.append(f"“{item.title or item.reference_no}”：{who.name}（{who.business_no}）也申报为第{rank}位")
    if not problems:
        return [Check(True, "成果未与他人冲突")]
    return [Check(False, "成果署名冲突", "；".join(problems))]


# --- the case page and 我的经办: case by case without losing the place --------------------------


def list_ids(rows):
    """The declaration ids of a list page's rows (all pages), in the list's order, each once: a
    list of review steps (我的经办) names a declaration as often as it was decided. One query."""
    if rows.model is ReviewStep:
        ids = rows.values_list("declaration_id", flat=True)
    else:
        ids = rows.values_list("pk", flat=True)
    return list(dict.fromkeys(ids))


@dataclass(frozen=True)
class Place:
    """Where a case stands in the list the reviewer opened it from."""

    previous: int | None = None
    next: int | None = None
    position: int | None = None  # 1-based; None when the case is not (or no longer) in the list
    count: int = 0


def place_in(ids, pk):
    if pk not in ids:
        return Place(count=len(ids))
    at = ids.index(pk)
    return Place(
        previous=ids[at - 1] if at > 0 else None, next=ids[at + 1] if at + 1 < len(ids) else None,
        position=at + 1, count=len(ids),
    )


def next_after(before, pk, after):
    """The case to open after deciding `pk`: the first that followed it in the list as it was
    (`before`) and is still in it now (`after`: decided by a colleague meanwhile, it has left)."""
    if pk not in before:
        return None
    still = set(after)
    return next((other for other in before[before.index(pk) + 1:] if other in still), None)


UNIT_DETAILS = ("nature", "on_staff", "principle")


def remembered_unit_details(*, user, organisation):
    """单位性质, 是否在编 and 审核原则 as this reviewer last chose them for a declaration of the same
    unit (their latest unit-level decision that recorded any: a batch or a rejection from before
    may have none); {} before their first."""
    details = (
        ReviewStep.objects.filter(
            actor=user, from_state=State.UNIT_REVIEW, declaration__organisation=organisation,
            action__in=(Action.APPROVE, Action.REJECT), details__has_any_keys=UNIT_DETAILS,
        )
        .order_by("-created_at", "-id")
        .values_list("details", flat=True)
        .first()
    )
    if not isinstance(details, dict):
        return {}
    return {key: details[key] for key in UNIT_DETAILS if isinstance(details.get(key), str) and details[key]}


DECISION_FILTERS = [("", "全部"), (Action.APPROVE, "审核通过"), (Action.REJECT, "审核不通过")]


def my_decisions(*, user, filters):
    """我的经办: the decisions (审核通过, 审核不通过) the user made, newest first, at the organisations
    where they still review (one who has left a unit no longer reads its people's cases)."""
    orgs = jurisdiction.reviewing_organisations(user, *(level.state for level in LEVELS))
    qs = ReviewStep.objects.filter(actor=user, action__in=(Action.APPROVE, Action.REJECT), organisation__in=orgs)
    text = (filters.get("q") or "").strip()
    if text:
        qs = qs.filter(
            Q(declaration__name__icontains=text) | Q(declaration__business_no=text)
            | Q(declaration__id_number=normalize_id_number(text))
        )
    if filters.get("decided_from"):
        qs = qs.filter(created_at__gte=_day_start(filters["decided_from"]))
    if filters.get("decided_to"):
        qs = qs.filter(created_at__lt=_day_start(filters["decided_to"] + timedelta(days=1)))
    if filters.get("decision"):
        qs = qs.filter(action=filters["decision"])
    return qs.select_related("declaration__current_org", "next_org").order_by("-created_at", "-id")


def where_it_went(step):
    """去向: what the decision did with the case, in the words of the success message."""
    if step.action == Action.REJECT:
        return "退回申请人"
    if step.next_org is None:
        return "审核通过，办结"
    return f"送{destination_label(step.next_org)}审核"


def destination_label(org):
    """The next level as the reviewer says it: the superior unit's name, or 人社部门."""
    return "人社部门" if org.is_bureau else org.name


def reminders_sent(*, user, filters):
    """消息推送管理: the reminders sent to people in the clerk's bureau area, newest first, with the
    message, its receiver and unit, and who sent it (nobody: the system)."""
    qs = Reminder.objects.filter(jurisdiction.reminders_q(user)).select_related(
        "user__organisation", "sent_by", "organisation", "notification"
    )
    if filters.get("reason"):
        qs = qs.filter(reason=filters["reason"])
    if filters.get("name"):
        qs = qs.filter(user__name__icontains=filters["name"].strip())
    if filters.get("sent_from"):
        qs = qs.filter(created_at__gte=_day_start(filters["sent_from"]))
    if filters.get("sent_to"):
        qs = qs.filter(created_at__lt=_day_start(filters["sent_to"] + timedelta(days=1)))
    return qs.order_by("-created_at", "-id")
