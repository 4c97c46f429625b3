"""The summary behind the 学时档案, the unit's staff ledger and 查询统计 (hours/models.py PersonYear,
UnitYear, StateTally, LevelDays).

Every declaration transition calls `declaration_moved` inside its own transaction, so the figures
move with the decision: the person's year rows are worked out again from their declarations (a few
rows), and the unit rows change by the difference. `recount()` builds everything afresh from the
raw rows (`manage.py summary_rebuild`; the synthetic seeder, which writes rows in bulk); the tests
prove the two agree after random sequences of decisions.

Counting, as the 学时认定单 counts (certificates/selectors.py approved_span): a year's approved
hours are those of the year record of the declaration approved last (a revoked year record counts
nowhere: YearRecord.objects.counting); the requirement is that
declaration's rule set's, prorated by its months away; with nothing approved yet, the rule set of
the declaration under review. A person-year no declaration covers has no row: a page showing it
(未申报) measures it against hours.policies.reference_rule_set()."""
from collections import Counter, defaultdict, namedtuple
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Count, F, Q
from django.utils import timezone

from accounts.models import Membership, MembershipStatus, Organisation, OrganisationKind, User
from workflow import periods
from workflow.models import PENDING_STATES, FilingPeriod, State

from . import rules
from .models import (
    Declaration, LevelDays, OverdueCount, OverdueTally, PersonYear, ReviewStep, RuleSet, StateTally, UnitStaff, UnitYear, YearRecord,
)
from .policies import policy_for

ZERO = Decimal(0)
COUNTED = (State.APPROVED, *PENDING_STATES)
HOUR_FIELDS = ("public", "professional", "pending_public", "pending_professional",
               "required_public", "required_professional", "required_total")


@dataclass
class Standing:
    """What a PersonYear row holds, before it is written."""

    organisation_id: int | None
    public: Decimal = ZERO
    professional: Decimal = ZERO
    pending_public: Decimal = ZERO
    pending_professional: Decimal = ZERO
    required_public: Decimal = ZERO
    required_professional: Decimal = ZERO
    required_total: Decimal = ZERO
    met: bool = False
    approved_id: int | None = None
    pending_id: int | None = None


def working_days_between(start, end):
    """Working days (Monday–Friday) from one moment to a later one: each weekday after the first
    date up to and including the last, as 督办 counts them (workflow/periods.py)."""
    first, last = timezone.localtime(start).date(), timezone.localtime(end).date()
    if last <= first:
        return 0
    days = (last - first).days
    weeks, rest = divmod(days, 7)
    count = weeks * 5
    for offset in range(1, rest + 1):
        if (first + timedelta(days=weeks * 7 + offset)).weekday() < 5:
            count += 1
    return count


def standings(records, organisation_id):
    """{year: Standing} from a person's year records of submitted and approved declarations (as
    `_records` reads them): a year appears only where one of them covers it."""
    by_year = defaultdict(list)
    for record in records:
        by_year[record.year].append(record)
    out = {}
    for year, rows in by_year.items():
        approved = [r for r in rows if r.state == State.APPROVED]
        pending = [r for r in rows if r.state in PENDING_STATES]
        counting = max(approved, key=lambda r: (r.decided_at, r.declaration_id), default=None)
        waiting = max(pending, key=lambda r: r.declaration_id, default=None)
        standing = Standing(organisation_id)
        measure = counting or waiting
        policy = _policy(measure.rule_set_id, measure.rule_set_updated_at)
        months = measure.months_away if policy.proration is not None else 0
        if counting is not None:
            standing.public, standing.professional = counting.public_hours, counting.professional_hours
            standing.approved_id = counting.declaration_id
        if waiting is not None:
            standing.pending_public, standing.pending_professional = waiting.public_hours, waiting.professional_hours
            standing.pending_id = waiting.declaration_id
        check = rules.year_check(policy, standing.public, standing.professional, months_away=months)
        standing.required_public = check.required.public
        standing.required_professional = check.required.professional
        standing.required_total = check.required.total
        standing.met = check.compliant
        out[year] = standing
    return out


# A year record with what counting it needs of its declaration: plain rows, since building model
# instances is most of the cost of a rebuild.
Counted = namedtuple("Counted", "applicant_id year public_hours professional_hours months_away declaration_id state "
                                "decided_at rule_set_id rule_set_updated_at")


def _records(**filters):
    return (
        Counted(*row)
        for row in YearRecord.objects.counting(COUNTED).filter(**filters).values_list(
            "declaration__applicant_id", "year", "public_hours", "professional_hours", "months_away", "declaration_id",
            "declaration__state", "declaration__decided_at", "declaration__rule_set_id", "declaration__rule_set__updated_at",
        )
    )


_policies = {}


def _policy(rule_set_id, updated_at, rule_set=None):
    """The compiled rule set (hours.policies.policy_for), kept per process and change; read from
    the database only when no caller has offered it."""
    key = (rule_set_id, updated_at)
    if key not in _policies:
        _policies[key] = policy_for(rule_set or RuleSet.objects.get(pk=rule_set_id))
    return _policies[key]


# --- keeping it up to date -------------------------------------------------------------------------


def _unit_delta(sign, standing):
    return {
        "declared": sign,
        "met": sign if standing.met else 0,
        "public": sign * standing.public,
        "professional": sign * standing.professional,
        "pending": sign if standing.pending_id else 0,
    }


def _apply(model, key, changes, years=None):
    """Add `changes` to the row `key` of a counting table (to the row of each of `years`, when
    given), creating it at zero first. F() updates, so two transactions touching one row add up
    rather than overwrite each other."""
    changes = {name: value for name, value in changes.items() if value}
    if not changes:
        return
    if years is None:
        model.objects.bulk_create([model(**key)], ignore_conflicts=True)
        rows = model.objects.filter(**key)
    else:
        model.objects.bulk_create([model(**key, year=year) for year in years], ignore_conflicts=True)
        rows = model.objects.filter(**key, year__in=list(years))
    rows.update(**{name: F(name) + value for name, value in changes.items()})


def _lock_person(person_id):
    """Lock the person's row (their current unit read with it): a person's decisions are worked out
    one after another. FOR NO KEY UPDATE, as the declaration's own lock (workflow.runner.lock), so
    rows written meanwhile that merely point at the person or a declaration are not held up."""
    return User.objects.select_for_update(no_key=True).filter(pk=person_id).values_list("organisation_id", flat=True).first()


def person_refresh(person_id, years=None):
    """Work out the person's year rows again (all their years, or those given) and move the unit
    sums by the difference, inside the caller's transaction."""
    _refresh(person_id, _lock_person(person_id), years)


def _refresh(person_id, organisation_id, years):
    filters = {"declaration__applicant_id": person_id}
    if years is not None:
        filters["year__in"] = list(years)
    new = standings(_records(**filters), organisation_id)
    existing = PersonYear.objects.filter(person_id=person_id)
    if years is not None:
        existing = existing.filter(year__in=list(years))
    old = {row.year: row for row in existing}
    deltas = defaultdict(Counter)
    for year in sorted(old.keys() | new.keys()):
        before, after = old.get(year), new.get(year)
        if before is not None and after is not None and _row_fields(after) == _row_fields(before):
            continue  # sent on from one level to the next: nothing it counts has changed
        if before is not None and before.organisation_id:
            deltas[(before.organisation_id, year)].update(_unit_delta(-1, before))
        if after is not None and after.organisation_id:
            deltas[(after.organisation_id, year)].update(_unit_delta(1, after))
        if after is None:
            before.delete()
        elif before is None:
            PersonYear.objects.create(person_id=person_id, year=year, **_row_fields(after))
        else:
            PersonYear.objects.filter(pk=before.pk).update(updated_at=timezone.now(), **_row_fields(after))
    # In key order, so that two people's decisions touching the same unit rows never wait on each
    # other in a circle.
    for org_id, year in sorted(deltas):
        _apply(UnitYear, {"organisation_id": org_id, "year": year}, deltas[(org_id, year)])


def _row_fields(standing):
    return {
        "organisation_id": standing.organisation_id, "met": standing.met, "approved_id": standing.approved_id,
        "pending_id": standing.pending_id, **{name: getattr(standing, name) for name in HOUR_FIELDS},
    }


def declaration_moved(declaration, *, from_state):
    """Called by every declaration transition, after its step is saved, in its transaction. The time
    spent at the level it leaves runs from the step that brought it there to the step just saved
    (as recount() reads them), not from waiting_since, which the demo's history may set apart."""
    years = range(declaration.start_year, declaration.end_year + 1)
    to_state = declaration.state
    organisation_id = _lock_person(declaration.applicant_id)  # first, before any shared row
    arrived_at = now = None
    if from_state in PENDING_STATES:
        last_two = list(
            ReviewStep.objects.filter(declaration=declaration).order_by("-created_at", "-id").values_list("to_state", "created_at")[:2]
        )
        if len(last_two) == 2 and last_two[1][0] == from_state:
            now, arrived_at = last_two[0][1], last_two[1][1]
    unit = {"organisation_id": declaration.organisation_id}
    if from_state != State.DRAFT:
        _apply(StateTally, {**unit, "state": from_state}, {"count": -1}, years)
    if to_state != State.DRAFT:
        _apply(StateTally, {**unit, "state": to_state}, {"count": 1}, years)
    if arrived_at is not None:
        _apply(LevelDays, {**unit, "state": from_state, "days": working_days_between(arrived_at, now)}, {"count": 1}, years)
    if from_state in COUNTED or to_state in COUNTED:
        rule_set = declaration.rule_set  # offered, so that counting its years does not read it again
        _policy(rule_set.pk, rule_set.updated_at, rule_set)
        _refresh(declaration.applicant_id, organisation_id, years)


def rule_set_changed(rule_set_id):
    """An administrator changed a rule set (hours.rulesets.rule_set_update): the years it measures
    are worked out again, person by person (rare, and bounded by the people it applies to)."""
    people = PersonYear.objects.filter(Q(approved__rule_set_id=rule_set_id) | Q(pending__rule_set_id=rule_set_id))
    for person_id in people.values_list("person_id", flat=True).distinct().order_by("person_id"):
        person_refresh(person_id)


def person_moved(sender, *, person_id, organisation_id, previous_id, **kwargs):
    """A unit confirmed the person (accounts.signals.person_moved): they are its staff now, and
    their years count there."""
    if previous_id:
        _apply(UnitStaff, {"organisation_id": previous_id}, {"staff": -1})
    _apply(UnitStaff, {"organisation_id": organisation_id}, {"staff": 1})
    person_refresh(person_id)


# --- building it afresh --------------------------------------------------------------------------


def _counted_person_years():
    """((person_id, year), row fields) for every person-year, one person at a time, streamed."""
    organisation_of = dict(User.objects.filter(declarations__isnull=False).distinct().values_list("pk", "organisation_id"))
    for rule_set in RuleSet.objects.all():
        _policy(rule_set.pk, rule_set.updated_at, rule_set)
    rows = YearRecord.objects.counting(COUNTED).order_by("declaration__applicant_id").values_list(
        "declaration__applicant_id", "year", "public_hours", "professional_hours", "months_away", "declaration_id",
        "declaration__state", "declaration__decided_at", "declaration__rule_set_id", "declaration__rule_set__updated_at",
    )
    person_id, mine = None, []

    def flush():
        for year, standing in standings(mine, organisation_of.get(person_id)).items():
            yield (person_id, year), _row_fields(standing)

    for row in rows.iterator(chunk_size=5000):
        record = Counted(*row)
        if record.applicant_id != person_id:
            yield from flush()
            person_id, mine = record.applicant_id, []
        mine.append(record)
    yield from flush()


def _counted_tallies():
    tallies = Counter()
    declarations = Declaration.objects.exclude(state=State.DRAFT).values_list("organisation_id", "start_year", "end_year", "state")
    for org, start, end, state in declarations.iterator(chunk_size=20000):
        for year in range(start, end + 1):
            tallies[(org, year, state)] += 1
    return tallies


def _counted_level_days():
    """Each pass through a level: from the step that brought the declaration there to the next."""
    level_days = Counter()
    steps = ReviewStep.objects.order_by("declaration_id", "created_at", "id").values_list(
        "declaration_id", "from_state", "to_state", "created_at",
        "declaration__organisation_id", "declaration__start_year", "declaration__end_year",
    )
    current, arrived = None, None
    for declaration_id, from_state, to_state, at, org, start, end in steps.iterator(chunk_size=20000):
        if declaration_id != current:
            current, arrived = declaration_id, None
        if from_state in PENDING_STATES and arrived is not None:
            for year in range(start, end + 1):
                level_days[(org, year, from_state, working_days_between(arrived, at))] += 1
        arrived = at if to_state in PENDING_STATES else None
    return level_days


def _counted_staff():
    return Counter(Membership.objects.filter(status=MembershipStatus.ACTIVE).values_list("organisation_id", flat=True))


def _unit_rows(unit_years):
    return {key: dict(counts) for key, counts in unit_years.items()}


def recount():
    """The five tables as the raw rows say they should be: {model: {key: values}}. Reads everything,
    so it is for the tests (and rebuild's parts), never for a page."""
    person_years, unit_years = {}, defaultdict(Counter)
    for key, fields in _counted_person_years():
        person_years[key] = fields
        if fields["organisation_id"]:
            unit_years[(fields["organisation_id"], key[1])].update(_unit_delta(1, Standing(**fields)))
    return {
        UnitStaff: {(org,): {"staff": n} for org, n in _counted_staff().items()},
        PersonYear: person_years,
        UnitYear: _unit_rows(unit_years),
        StateTally: {key: {"count": n} for key, n in _counted_tallies().items() if n},
        LevelDays: {key: {"count": n} for key, n in _counted_level_days().items() if n},
    }


KEYS = {
    UnitStaff: ("organisation_id",),
    PersonYear: ("person_id", "year"),
    UnitYear: ("organisation_id", "year"),
    StateTally: ("organisation_id", "year", "state"),
    LevelDays: ("organisation_id", "year", "state", "days"),
}
UNIT_YEAR_FIELDS = ("declared", "met", "public", "professional", "pending")


def stored():
    """The five tables as stored, in recount()'s shape (zero rows left out), for comparing."""
    out = {}
    for model, key in KEYS.items():
        fields = {
            UnitStaff: ("staff",),
            PersonYear: ("organisation_id", "met", "approved_id", "pending_id", *HOUR_FIELDS),
            UnitYear: UNIT_YEAR_FIELDS,
            StateTally: ("count",),
            LevelDays: ("count",),
        }[model]
        rows = {}
        for values in model.objects.values(*key, *fields):
            ident = tuple(values.pop(k) for k in key)
            if model is not PersonYear and not any(values.values()):
                continue
            rows[ident] = values
        out[model] = rows
    return out


def rebuild(batch_size=5000):
    """Replace the five tables with a recount (the seeder's bulk rows, an upgrade), person rows
    written as they are counted."""
    written = Counter()
    with transaction.atomic():
        for model in KEYS:
            model.objects.all().delete()
        unit_years, batch = defaultdict(Counter), []
        for (person_id, year), fields in _counted_person_years():
            batch.append(PersonYear(person_id=person_id, year=year, **fields))
            if fields["organisation_id"]:
                unit_years[(fields["organisation_id"], year)].update(_unit_delta(1, Standing(**fields)))
            if len(batch) >= batch_size:
                written[PersonYear] += len(PersonYear.objects.bulk_create(batch))
                batch = []
        written[PersonYear] += len(PersonYear.objects.bulk_create(batch))
        counted = {
            UnitStaff: {(org,): {"staff": n} for org, n in _counted_staff().items()},
            UnitYear: _unit_rows(unit_years),
            StateTally: {key: {"count": n} for key, n in _counted_tallies().items() if n},
            LevelDays: {key: {"count": n} for key, n in _counted_level_days().items() if n},
        }
        for model, rows in counted.items():
            key = KEYS[model]
            model.objects.bulk_create(
                (model(**dict(zip(key, ident)), **values) for ident, values in rows.items()), batch_size=batch_size
            )
            written[model] = len(rows)
    overdue_refresh()
    return {model._meta.verbose_name: written[model] for model in KEYS}


# --- 督办, counted by a job ---------------------------------------------------------------------


def overdue_refresh(now=None):
    """Count again the declarations waiting beyond the supervision days of the bureau over whoever
    holds them (as the queues' 督办 says: review.selectors.is_overdue), per unit, year covered and
    level, in one grouped query, and stamp the time."""
    now = now or timezone.now()
    counts = Counter()
    waiting = Declaration.objects.filter(overdue_q(now), state__in=PENDING_STATES).values_list(
        "organisation_id", "state", "start_year", "end_year"
    ).annotate(n=Count("id")).order_by()
    for org_id, state, start, end, n in waiting:
        for year in range(start, end + 1):
            counts[(org_id, year, state)] += n
    with transaction.atomic():
        # Two runs at once (two machines' timers): the second waits here, then counts afresh.
        OverdueCount.objects.select_for_update().first()
        OverdueTally.objects.all().delete()
        OverdueTally.objects.bulk_create(
            OverdueTally(organisation_id=org, year=year, state=state, count=n) for (org, year, state), n in counts.items()
        )
        OverdueCount.objects.all().delete()
        OverdueCount.objects.create(counted_at=now)
    return sum(counts.values())


def overdue_q(now):
    """Declarations waiting beyond the supervision days of the bureau over whoever holds them, as at
    `now`: one condition per distinct limit. 查询统计's count and the reviewers' digest both ask here."""
    late = Q(pk__in=[])
    for days, holders in _holders_by_limit(now).items():
        late |= Q(current_org_id__in=holders, waiting_since__lt=periods.working_days_before(days, now))
    return late


def _holders_by_limit(now):
    """{supervision days: [ids of organisations holding pending declarations]}: each holder's limit is
    its bureau's for this year (itself, for a bureau), from the nearest bureau up the chain that set
    one, else the default, as workflow.periods.supervision_days says one organisation at a time."""
    year = timezone.localtime(now).year
    set_limits = dict(FilingPeriod.objects.filter(year=year).values_list("bureau_id", "supervision_days"))
    bureaus = dict(Organisation.objects.filter(kind=OrganisationKind.BUREAU).values_list("pk", "path"))
    by_path = {path: pk for pk, path in bureaus.items()}
    step = Organisation.steplen

    def limit(bureau_id):
        path = bureaus.get(bureau_id, "")
        chain = [by_path.get(path[:i]) for i in range(len(path), 0, -step)]
        return next((set_limits[b] for b in chain if b in set_limits), periods.DEFAULT_SUPERVISION_DAYS)

    holding = Declaration.objects.filter(state__in=PENDING_STATES).values("current_org")
    grouped = defaultdict(list)
    for pk, kind, bureau_id in Organisation.objects.filter(pk__in=holding).values_list("pk", "kind", "bureau_id"):
        grouped[limit(pk if kind == OrganisationKind.BUREAU else bureau_id)].append(pk)
    return grouped


def overdue_counted_at():
    stamp = OverdueCount.objects.first()
    return stamp.counted_at if stamp else None
