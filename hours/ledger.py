"""本单位人员学时情况: an administrator's confirmed staff with their hours for a year or a span of
years, read from the summary (PersonYear) — never from the declarations — with each person's
latest declaration and last 催报 beside them. Every figure comes in the one query of the page's
rows (correlated subqueries on indexed columns), so a page costs the same for 2 people as for 500."""
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Exists, F, IntegerField, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce, Greatest

from accounts.models import Membership, MembershipStatus, Organisation, User
from workflow import jurisdiction
from workflow.models import Reminder, ReminderReason, State

from . import rules
from .models import Declaration, PersonYear
from .policies import policy_for, reference_rule_set

# The tabs: a partition of 全部 (每个年度都达标 / 有申报但未全部达标 / 所选年度均无申报).
STATUSES = [("all", "全部"), ("met", "已达标"), ("short", "未达标"), ("undeclared", "未申报")]
ZERO = Decimal(0)
HOURS = PersonYear._meta.get_field("public")


@dataclass(frozen=True)
class Span:
    start: int
    end: int

    @property
    def years(self):
        return self.end - self.start + 1

    def __str__(self):
        return f"{self.start}年度" if self.start == self.end else f"{self.start}—{self.end}年度"


def span_of(filters, today):
    start = filters.get("start_year") or today.year
    return Span(start, filters.get("end_year") or start)


def reference_total():
    """The yearly requirement a year nobody declared is measured against (hours/summary.py)."""
    rule_set = reference_rule_set()
    return rules.requirement(policy_for(rule_set)).total if rule_set else ZERO


def units(user):
    """The units whose staff `user` follows, for the 单位 filter: those with someone on the ledger."""
    return Organisation.objects.filter(pk__in=_staff(user).values("organisation_id")).order_by("path")


def _staff(user):
    confirmed = Membership.objects.filter(person=OuterRef("pk"), organisation=OuterRef("organisation"), status=MembershipStatus.ACTIVE)
    return User.objects.filter(jurisdiction.staff_q(user), Exists(confirmed))


def _years(span, field, *, where=None):
    """Per person, `field` summed (a count when None) over their PersonYear rows of the span."""
    rows = PersonYear.objects.filter(person=OuterRef("pk"), year__gte=span.start, year__lte=span.end)
    if where is not None:
        rows = rows.filter(where)
    total = Count("pk") if field is None else Sum(field)
    kind = IntegerField() if field is None else HOURS
    return Coalesce(Subquery(rows.order_by().values("person").annotate(v=total).values("v")), Value(0), output_field=kind)


def _short(required, got):
    return Greatest(F(required) - got, Value(ZERO, output_field=HOURS))


# A year's shortfall as hours still to learn: each column on its own (surplus in one never makes up for
# the other, as rules.year_check says), and the total on its own: 20 公需 + 80 专业 against 30 + 60 still
# lacks 10. PersonYear.shortfall says the same for one row.
_SHORTFALL = Greatest(
    _short("required_total", F("public") + F("professional")),
    _short("required_public", F("public")) + _short("required_professional", F("professional")),
)


def staff(*, user, filters, span):
    """The staff `user` follows, with their figures for `span`, filtered by 单位, 姓名, 证件号码 and
    the tab (`filters` as the form cleaned them). Nobody outside jurisdiction.staff_q, whatever is asked."""
    covering = Declaration.objects.filter(applicant=OuterRef("pk"), start_year__lte=span.end, end_year__gte=span.start).order_by("-created_at", "-pk")
    reminded = Reminder.objects.filter(user=OuterRef("pk"), reason=ReminderReason.URGE).order_by("-created_at", "-pk")
    qs = _staff(user).annotate(
        years_declared=_years(span, None),
        years_met=_years(span, None, where=Q(met=True)),
        public=_years(span, "public"),
        professional=_years(span, "professional"),
        pending=_years(span, F("pending_public") + F("pending_professional")),
        required_declared=_years(span, "required_total"),
        short_declared=_years(span, _SHORTFALL),
        latest_state=Subquery(covering.values("state")[:1]),
        reminded_at=Subquery(reminded.values("created_at")[:1]),
        reminded_by=Subquery(reminded.values("sent_by__name")[:1]),
    )
    if filters.get("unit"):
        qs = qs.filter(organisation_id=filters["unit"])
    if filters.get("name"):
        qs = qs.filter(name__icontains=filters["name"])
    if filters.get("id_number"):
        qs = qs.filter(id_number=filters["id_number"])
    return qs.filter(_status_q(filters.get("status") or "all", span)).select_related("organisation").order_by("organisation__path", "name", "pk")


def _status_q(status, span):
    return {
        "all": Q(),
        "met": Q(years_met=span.years),
        "short": Q(years_declared__gt=0) & ~Q(years_met=span.years),
        "undeclared": Q(years_declared=0),
    }[status]


def counts(rows, span):
    """{tab: people} for the list before its tab is applied."""
    found = rows.aggregate(
        all=Count("pk"), met=Count("pk", filter=_status_q("met", span)), undeclared=Count("pk", filter=_status_q("undeclared", span))
    )
    found["short"] = found["all"] - found["met"] - found["undeclared"]
    return found


def figured(rows, span, reference):
    """The rows with what the page derives from the stored figures: the total, the requirement and
    the shortfall counting each undeclared year at the reference requirement, the years short, and
    the latest declaration's state label."""
    labels = dict(State.choices)
    out = []
    for row in rows:
        missing = span.years - row.years_declared
        row.total = row.public + row.professional
        row.required = row.required_declared + missing * reference
        row.shortfall = row.short_declared + missing * reference
        row.years_short = span.years - row.years_met
        row.latest_label = labels.get(row.latest_state, "无申报")
        out.append(row)
    return out
