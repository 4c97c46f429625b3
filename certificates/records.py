"""学时档案: an applicant's standing year by year, read from the summary (hours.models.PersonYear)
with the training records not yet ticked in and the current 学时认定单 covering each year; and the
home page's part of it (this year's meter, the years a senior title's application looks at).
A fixed number of queries whatever the number of years: nothing here counts declarations."""
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Sum
from django.utils import timezone

from hours import rules
from hours.models import ItemSource, PersonYear, TrainingRecord
from hours.policies import policy_for, reference_rule_set
from hours.years import FIRST_YEAR

from .models import Certificate, CertificateStatus

ZERO = Decimal("0")
NOTHING = rules.Totals(ZERO, ZERO, ZERO)

# A senior title's application looks at the five years before the year it is made in (2024 notice:
# applying in 2024, 2019–2023), as 学时证书打印's default span does.
TITLE_SPAN_YEARS = 5


@dataclass(frozen=True)
class RecordYear:
    year: int
    approved: rules.Totals  # approved hours (the declaration approved last counts)
    pending: rules.Totals  # hours of the declaration under review
    required: rules.Totals  # prorated where the rule set allows (PersonYear holds it)
    met: bool
    declared: bool  # a submitted or approved declaration covers the year (else 未申报)
    approved_declaration: object = None
    pending_declaration: object = None
    training_count: int = 0  # imported training records not yet ticked into a declaration
    training_hours: Decimal = ZERO
    training_from: tuple = ()  # who sent them: the sending organisations' names (else the sources')
    certificates: list = field(default_factory=list)  # the current 学时认定单 covering the year

    @property
    def shortfall(self):
        return rules.Totals(*(max(ZERO, r - a) for r, a in zip(
            (self.required.public, self.required.professional, self.required.total),
            (self.approved.public, self.approved.professional, self.approved.total),
        )))

    @property
    def in_hand(self):
        """Approved and under review together: what the year will have if the pending one passes."""
        return rules.Totals(*(a + p for a, p in zip(
            (self.approved.public, self.approved.professional, self.approved.total),
            (self.pending.public, self.pending.professional, self.pending.total),
        )))


def _totals(public, professional):
    return rules.Totals(public, professional, public + professional)


def _reference_requirement():
    """What a year nobody declared (no PersonYear row) is measured against."""
    rule_set = reference_rule_set()
    return rules.requirement(policy_for(rule_set)) if rule_set else NOTHING


def _year(year, row, reference, training=None, certificates=()):
    count, hours, senders = training or (0, ZERO, ())
    extra = {"training_count": count, "training_hours": hours, "training_from": tuple(senders), "certificates": list(certificates)}
    if row is None:  # 未申报: nothing approved, measured against the reference rule set
        met = not (reference.public or reference.professional or reference.total)
        return RecordYear(year, NOTHING, NOTHING, reference, met, False, **extra)
    return RecordYear(
        year,
        _totals(row.public, row.professional),
        _totals(row.pending_public, row.pending_professional),
        rules.Totals(row.required_public, row.required_professional, row.required_total),
        row.met,
        True,
        approved_declaration=row.approved,
        pending_declaration=row.pending,
        **extra,
    )


def _person_years(applicant, **filters):
    return {
        row.year: row
        for row in PersonYear.objects.filter(person=applicant, **filters).select_related("approved", "pending").only(
            "year", "public", "professional", "pending_public", "pending_professional", "required_public",
            "required_professional", "required_total", "met", "approved__business_no", "pending__business_no",
            "approved__state", "pending__state",  # read as a declaration loads (ConcurrentTransitionMixin)
        )
    }


def senior_title_span(this_year):
    return this_year - TITLE_SPAN_YEARS, this_year - 1


@dataclass(frozen=True)
class Record:
    this_year: int
    rows: list  # newest first

    @property
    def title_span(self):
        return senior_title_span(self.this_year)


def applicant_record(*, applicant, today=None):
    """学时档案: a row per year from the person's first year with hours (a declared year or an
    imported training record) to this year, newest first. Four queries."""
    this_year = (today or timezone.localdate()).year
    person_years = _person_years(applicant, year__lte=this_year)
    training = {}
    if applicant.id_number:
        unticked = (
            TrainingRecord.objects.offered().filter(id_number=applicant.id_number, item__isnull=True, year__lte=this_year)
            .values("year", "source", "source_org__name").annotate(count=Count("id"), hours=Sum("hours"))
            .order_by("year", "source", "source_org__name")
        )
        sources = dict(ItemSource.choices)
        for t in unticked:
            count, hours, senders = training.get(t["year"], (0, ZERO, []))
            sender = t["source_org__name"] or sources.get(t["source"], t["source"])
            training[t["year"]] = (count + t["count"], hours + (t["hours"] or ZERO), [*senders, sender] if sender not in senders else senders)
    covering = {}
    for certificate in Certificate.objects.filter(applicant=applicant, status=CertificateStatus.CURRENT).only(
        "number", "start_year", "end_year", "issued_at"
    ).order_by("-issued_at", "-id"):
        for year in range(certificate.start_year, certificate.end_year + 1):
            covering.setdefault(year, []).append(certificate)
    reference = _reference_requirement()
    first = max(FIRST_YEAR, min([*person_years, *training, this_year]))
    rows = [
        _year(year, person_years.get(year), reference, training.get(year), covering.get(year, ()))
        for year in range(this_year, first - 1, -1)
    ]
    return Record(this_year, rows)


@dataclass(frozen=True)
class Standing:
    """The home page's figures: this year, and the years of a senior title's span that are met."""

    current: RecordYear
    span: tuple
    met_years: int

    @property
    def short_years(self):
        return self.span[1] - self.span[0] + 1 - self.met_years


def home_standing(*, applicant, today=None):
    """This year's row and how many of the five years before it are met. Two queries."""
    this_year = (today or timezone.localdate()).year
    start, end = senior_title_span(this_year)
    person_years = _person_years(applicant, year__gte=start, year__lte=this_year)
    reference = _reference_requirement()
    rows = {year: _year(year, person_years.get(year), reference) for year in range(start, this_year + 1)}
    met = sum(1 for year in range(start, end + 1) if rows[year].met)
    return Standing(rows[this_year], (start, end), met)
