"""Property tests: for any valid facts hours are never negative, bad facts only ever raise
RuleError, and more hours never make a year's check worse."""

import calendar
import datetime as dt
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from hours.rules import RuleError, credit, evaluate_case, form_spec, load_builtins, requirement, year_check

POLICIES = load_builtins()
ACTIVITIES = [(code, activity) for code, policy in POLICIES.items() for activity in policy.activities]
DATES = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31))
HOURS = st.decimals(min_value=0, max_value=500, places=1)


def value_of(spec):
    """Values the spec accepts."""
    if spec.type in ("int", "year"):
        low = 0 if spec.min is None else spec.min
        return st.integers(low, low + 1000 if spec.max is None else spec.max)
    if spec.type == "decimal":
        return st.decimals(min_value=spec.min, max_value=spec.max, places=2, allow_nan=False, allow_infinity=False)
    if spec.type == "bool":
        return st.booleans()
    if spec.type == "choice":
        return st.sampled_from([value for value, _ in spec.choices])
    if spec.type == "date":
        return DATES.map(dt.date.isoformat)
    return st.text(min_size=1, max_size=spec.max or 50).filter(str.strip)


def facts_of(policy, activity):
    specs = form_spec(policy, activity)
    return st.fixed_dictionaries({s.name: value_of(s) for s in specs if s.required},
                                 optional={s.name: value_of(s) for s in specs if not s.required})


def consistent(policy, activity, facts):
    """Facts that agree with each other, as a careful applicant gives them: an assignment's dates
    come as an ordered pair (one date alone is rightly an error) around the counted year, with no
    more months than they span in it; day-based items within a year; absences past their threshold."""
    act = policy.activities[activity]
    formula = act.formula
    pair = [facts.pop(formula[key], None) for key in ("start_fact", "end_fact") if key in formula]
    if len(pair) == 2 and None not in pair:
        start, end = sorted(pair)
        facts[formula["start_fact"]], facts[formula["end_fact"]] = start, end
        first, last = dt.date.fromisoformat(start), dt.date.fromisoformat(end)
        year = facts.get(act.counted_year)
        if year is not None:
            year = min(max(year, first.year), last.year)
            facts[act.counted_year] = year
        years = [year] if year is not None else range(first.year, last.year + 1)
        most = max(months_within(first, last, y) for y in years)
        facts[formula["months_fact"]] = min(facts[formula["months_fact"]], most)
    if act.calendar_days:
        days = act.calendar_days
        while sum(facts[name] for name in days) > 365:
            biggest = max(days, key=facts.get)
            facts[biggest] //= 2
    if policy.proration and activity == policy.proration.activity:
        for rule in policy.proration.thresholds:
            if facts.get(rule.fact) == rule.equals:
                facts[policy.proration.fact] = max(facts[policy.proration.fact], rule.more_than + 1)
    return facts


def months_within(first, last, year):
    """Whole months the inclusive period first..last spans within one year."""
    first, last = max(first, dt.date(year, 1, 1)), min(last, dt.date(year, 12, 31))
    months = 0
    while months < 12:
        step = months + 1
        index = first.month - 1 + step
        y, m = first.year + index // 12, index % 12 + 1
        ends = dt.date(y, m, min(first.day, calendar.monthrange(y, m)[1]))
        if ends > last + dt.timedelta(days=1):
            break
        months = step
    return months


@given(st.data(), st.sampled_from(ACTIVITIES))
def test_hours_are_never_negative(data, pair):
    code, activity = pair
    policy = POLICIES[code]
    facts = consistent(policy, activity, data.draw(facts_of(policy, activity)))
    result = credit(policy, activity, facts)
    assert result.public >= 0 and result.professional >= 0
    if result.subject in ("public", "professional"):
        assert (result.public if result.subject == "professional" else result.professional) == 0


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.floats() | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=5)


@given(st.sampled_from(ACTIVITIES), st.data())
def test_any_facts_give_hours_or_a_rule_error(pair, data):
    code, activity = pair
    names = [s.name for s in form_spec(POLICIES[code], activity)]
    facts = data.draw(st.dictionaries(st.sampled_from(names) | st.text(max_size=5), JSON_VALUES, max_size=6))
    try:
        result = credit(POLICIES[code], activity, facts)
    except RuleError as error:
        assert str(error)
    else:
        assert result.public >= 0 and result.professional >= 0


@given(JSON_VALUES | st.dictionaries(st.sampled_from(["id", "policy", "kind", "activity", "facts", "expect"]),
                                     JSON_VALUES, max_size=6))
def test_evaluate_case_never_raises(case):
    result = evaluate_case(case, POLICIES)
    assert not result.ok and result.reason


@given(st.sampled_from(sorted(POLICIES)), HOURS, HOURS, HOURS, HOURS, st.integers(0, 12))
def test_more_hours_never_make_the_year_worse(code, public, professional, extra_public, extra_professional, months):
    policy = POLICIES[code]
    months = months if policy.proration else 0
    before = year_check(policy, public, professional, months_away=months)
    after = year_check(policy, public + extra_public, professional + extra_professional, months_away=months)
    assert after.compliant or not before.compliant
    for column in ("public", "professional", "total"):
        assert getattr(after.shortfall, column) <= getattr(before.shortfall, column)


@given(st.sampled_from(sorted(POLICIES)), HOURS, HOURS)
def test_shortfall_is_what_is_missing_per_column(code, public, professional):
    check = year_check(POLICIES[code], public, professional)
    required = check.required
    assert check.shortfall.public == max(Decimal(0), required.public - public)
    assert check.shortfall.professional == max(Decimal(0), required.professional - professional)
    assert check.shortfall.total == max(Decimal(0), required.total - public - professional)
    assert check.compliant == (check.shortfall.public == check.shortfall.professional == check.shortfall.total == 0)


@given(st.integers(0, 12), st.integers(0, 12))
def test_more_months_away_never_raise_the_requirement(first, second):
    low, high = sorted((first, second))
    fewer, more = requirement(POLICIES["henan-2024"], months_away=low), requirement(POLICIES["henan-2024"], months_away=high)
    assert more.public <= fewer.public and more.professional <= fewer.professional and more.total <= fewer.total


@given(st.data(), st.sampled_from([(code, a) for code, a in ACTIVITIES if POLICIES[code].activities[a].calendar_days]))
def test_a_day_based_item_never_earns_more_than_a_years_days(data, pair):
    code, activity = pair
    policy = POLICIES[code]
    act = policy.activities[activity]
    facts = data.draw(facts_of(policy, activity))
    days = sum(facts[name] for name in act.calendar_days)
    try:
        result = credit(policy, activity, facts)
    except RuleError as error:
        assert days > 365 and error.fact == act.calendar_days[0]
    else:
        assert days <= 366
        assert result.total <= 366 * max(act.formula["units"].values())


@given(st.data())
def test_an_assignment_never_fills_a_year_outside_its_dates(data):
    policy = POLICIES["hunan-2024"]
    facts = data.draw(facts_of(policy, "aid_assignment"))
    start, end = sorted(data.draw(st.lists(DATES, min_size=2, max_size=2)))
    facts |= {"start_date": start.isoformat(), "end_date": end.isoformat()}
    try:
        result = credit(policy, "aid_assignment", facts)
    except RuleError:
        return
    if result.total and "year" in facts:
        assert start.year <= facts["year"] <= end.year
