"""Review queues: plain foreign-key filters on the organisations a reviewer holds (jurisdiction
is a query, never a per-row check), a fixed number of queries per page."""
from dataclasses import dataclass
from types import SimpleNamespace
from datetime import timedelta

from django.db.models import Count, F, Q

from accounts.models import Role
from accounts.roles import organisations_for
from accounts.validators import normalize_id_number
from hours.models import Declaration, ReviewStep

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


# The columns the queue pages show, read as rows (values()), not as model instances: building three
# instances per row (the case, its unit, its holder) was a tenth of the 待办列表's Python. A related
# row's column is shown under the relation's name ("organisation" is the unit's name).
QUEUE_COLUMNS = (
    "id", "state", "name", "id_number", "start_year", "end_year", "education", "total_public", "total_professional",
    "waiting_since", "organisation__name", "current_org__name",
)
TODO_COLUMNS = (
    "id", "state", "name", "id_number", "business_no", "submitted_at", "total_public", "total_professional",
    "waiting_since", "organisation__name", "accepted_by__name", "checks_failed", "checks_summary", "checked_at",
)


class Row(SimpleNamespace):
    """One declaration of a list page: the columns read, and what the model derives from them."""

    total_hours = Declaration.total_hours
    checks_passed = Declaration.checks_passed
    is_pending = Declaration.is_pending

    def get_state_display(self):
        return State(self.state).label


def _row(values):
    for column in [c for c in values if "__" in c]:
        values[column.split("__")[0]] = values.pop(column)
    return Row(pk=values["id"], **values)


class Rows:
    """A list page's rows for the Paginator: counted and cut into pages by the database, each row of
    the page made once."""

    def __init__(self, values):
        self.values = values

    def count(self):
        return self.values.count()

    def __getitem__(self, index):
        return [_row(values) for values in self.values[index]]


def shown(qs, columns):
    """The rows of qs a list page shows: these columns only (and the related rows they name)."""
    return Rows(qs.values(*columns))


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
