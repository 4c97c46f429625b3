"""The hours: facts cleaned against an activity's specs, the credit an item earns, the yearly
requirement and check, and what a form and its materials ask for. Pure computation on a Policy."""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import replace
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from .types import (
    YEAR_RANGE,
    Activity,
    Credit,
    FactSpec,
    OneOf,
    Policy,
    RuleError,
    Totals,
    YearCheck,
    as_decimal,
    is_int,
    plain_number,
    same_value,
)

ZERO = Decimal(0)


# --- facts ---------------------------------------------------------------------------


def _activity(policy: Policy, code: Any) -> Activity:
    act = policy.activities.get(code) if isinstance(code, str) else None
    if act is None:
        known = "、".join(policy.activities)
        raise RuleError(f"未知的继续教育形式：{code!r}（规则集 {policy.code} 可用：{known}）")
    return act


def _named(spec: FactSpec) -> str:
    return f"“{spec.label}”（{spec.name}）"


def _as_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return None  # a timestamp is not a calendar date
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def _clean_value(spec: FactSpec, value: Any) -> Any:
    def bad(expected: str) -> RuleError:
        return RuleError(f"{_named(spec)}须为{expected}，收到 {value!r}", spec.name)

    if spec.type in ("int", "year"):
        if not is_int(value):
            raise bad("整数")
    elif spec.type == "decimal":
        value = as_decimal(value)
        if value is None:
            raise bad("数字")
    elif spec.type == "bool":
        if not isinstance(value, bool):
            raise bad("是或否（true/false）")
    elif spec.type == "choice":
        for choice, _label in spec.choices:
            if same_value(choice, value):
                return choice
        options = "、".join(f"{v}（{label}）" for v, label in spec.choices)
        raise RuleError(f"{_named(spec)}的取值 {value!r} 无效，可选：{options}", spec.name)
    elif spec.type == "text":
        if not isinstance(value, str):
            raise bad("文字")
        value = value.strip()
    elif spec.type == "date":
        parsed = _as_date(value)
        if parsed is None or not YEAR_RANGE[0] <= parsed.year <= YEAR_RANGE[1]:
            raise bad(f"{YEAR_RANGE[0]}–{YEAR_RANGE[1]} 年间的日期（YYYY-MM-DD）")
        value = parsed
    measure = len(value) if spec.type == "text" else value
    unit = "个字" if spec.type == "text" else ""
    if spec.min is not None and measure < spec.min:
        raise RuleError(f"{_named(spec)}不能小于 {spec.min}{unit}，收到 {value!r}", spec.name)
    if spec.max is not None and measure > spec.max:
        raise RuleError(f"{_named(spec)}不能大于 {spec.max}{unit}，收到 {value!r}", spec.name)
    return value


def _blank(value: Any) -> bool:
    """An absent fact: missing, or text of nothing but spaces (a form's empty field)."""
    return value is None or (isinstance(value, str) and not value.strip())


def _clean_facts(act: Activity, facts: Any, only: Iterable[str] | None = None) -> dict[str, Any]:
    """Check facts against the activity's specs; ``only`` limits the check to some facts.
    The result holds the normalised values of the facts given; absent optional facts are left out."""
    if not isinstance(facts, Mapping):
        raise RuleError(f"填报项（facts）须为键值对象，收到 {type(facts).__name__}")
    names = {s.name for s in act.facts}
    unknown = [str(k) for k in facts if k not in names]
    if unknown:
        raise RuleError(f"“{act.label}”没有这些填报项：{'、'.join(unknown)}", unknown[0])
    wanted = set(names if only is None else only)
    cleaned: dict[str, Any] = {}
    for spec in act.facts:
        if spec.name not in wanted:
            continue
        value = facts.get(spec.name)
        if _blank(value):
            if spec.required and only is None:
                raise RuleError(f"缺少必填项{_named(spec)}", spec.name)
        else:
            cleaned[spec.name] = _clean_value(spec, value)
    return cleaned


# --- hours ---------------------------------------------------------------------------


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _lasts(first: dt.date, last: dt.date, months: int) -> bool:
    """Whether the inclusive period first..last spans at least ``months`` calendar months."""
    return _add_months(first, months) <= last + dt.timedelta(days=1)


def _span(act: Activity, facts: Mapping[str, Any]) -> tuple[dt.date, dt.date] | None:
    formula = act.formula
    start, end = facts.get(formula.get("start_fact", "")), facts.get(formula.get("end_fact", ""))
    if start is None and end is None:
        return None
    if start is None or end is None:
        raise RuleError("开始日期与结束日期须同时填写", formula["start_fact"] if start is None else formula["end_fact"])
    if end < start:
        raise RuleError(f"结束日期 {end} 早于开始日期 {start}", formula["end_fact"])
    return start, end


def _over_a_year(span: tuple[dt.date, dt.date] | None) -> bool:
    # "超过1年以上的，视为完成外派期间所有年度": strictly longer than twelve months
    return span is not None and _add_months(span[0], 12) <= span[1]


def _months_in(span: tuple[dt.date, dt.date], year: int) -> int:
    """Whole calendar months the inclusive period spans within one year (0 when it misses it)."""
    first, last = max(span[0], dt.date(year, 1, 1)), min(span[1], dt.date(year, 12, 31))
    if first > last:
        return 0
    return max(m for m in range(13) if _lasts(first, last, m))


def _counted(act: Activity, facts: Mapping[str, Any]) -> int | None:
    year = facts.get(act.counted_year) if act.counted_year else None
    return year.year if isinstance(year, dt.date) else year


def _check_assignment(act: Activity, facts: Mapping[str, Any], span: tuple[dt.date, dt.date]) -> None:
    """An assignment's counted year lies in it, and its months in that year agree with its dates
    (without a counted year: with the year of the period that holds the most months)."""
    formula, year = act.formula, _counted(act, facts)
    months = facts[formula["months_fact"]]
    period = f"{span[0]:%Y-%m-%d}至{span[1]:%Y-%m-%d}"
    if year is not None and not span[0].year <= year <= span[1].year:
        raise RuleError(f"外派期间为{period}，计入年度{year}年不在外派期间内", act.counted_year)
    most = _months_in(span, year) if year is not None else max(
        _months_in(span, y) for y in range(span[0].year, span[1].year + 1))
    if months > most:
        where = f"在{year}年内" if year is not None else "在任一年度内"
        raise RuleError(f"填写的工作月数为{months}个月，但外派期间（{period}）{where}只有{most}个整月",
                        formula["months_fact"])


def days_in_year(year: int | None) -> int:
    """Days of a calendar year; 366 when the year is not known (the most any year has)."""
    return 366 if year is None or calendar.isleap(year) else 365


def _check_calendar_days(act: Activity, facts: Mapping[str, Any]) -> None:
    total = sum(facts.get(name, 0) for name in act.calendar_days)
    year = _counted(act, facts)
    if total > days_in_year(year):
        labels = "与".join(spec.label for spec in act.facts if spec.name in act.calendar_days)
        within = f"{year}年共{days_in_year(year)}天" if year is not None else f"一年最多{days_in_year(None)}天"
        raise RuleError(f"{labels}合计{total}天，超过一年的天数（{within}）", act.calendar_days[0])


def _check_threshold(policy: Policy, act: Activity, facts: Mapping[str, Any]) -> None:
    """An absence that must last more than some months to lower the requirement (河南：境外工作、
    病假须年度内超过6个月) is refused when it does not."""
    proration = policy.proration
    months = facts.get(proration.fact)
    for rule in proration.thresholds:
        if same_value(facts.get(rule.fact), rule.equals) and months is not None and months <= rule.more_than:
            spec = next(s for s in act.facts if s.name == rule.fact)
            kind = dict(spec.choices)[rule.equals]
            raise RuleError(f"{kind}须年度内超过{rule.more_than}个月方可按在岗时间折算学时要求，填写的为{months}个月",
                            proration.fact)


def _hours(formula: Mapping[str, Any], facts: Mapping[str, Any]) -> Decimal:
    kind = formula["kind"]
    if kind == "per_unit":
        return sum((rate * facts[name] for name, rate in formula["units"].items()), ZERO)
    if kind == "stated":
        return Decimal(facts[formula["fact"]])
    if kind == "table":
        key = "|".join(str(facts[name]) for name in formula["keys"])
        return formula["table"].get(key, formula["default"])
    rank = facts[formula["fact"]]  # "rank"
    return next((hours for upto, hours in formula["steps"] if rank <= upto), formula["beyond"])


def credit(policy: Policy, activity: str, facts: Mapping[str, Any], *, in_year: int | None = None) -> Credit:
    """The hours one declared activity earns, split into public and professional columns.

    ``in_year``: the year the item is declared in, its counted year (计入年度) when the facts give
    none, so that what depends on the year is checked (an assignment's dates, the days of the
    year).  A "determined" activity earns 0 here: its hours are the reviewer's (see
    ``determined_credit``)."""
    act = _activity(policy, activity)
    if in_year is not None and act.counted_year and isinstance(facts, Mapping) and _blank(facts.get(act.counted_year)):
        if next(s for s in act.facts if s.name == act.counted_year).type == "year":
            facts = {**facts, act.counted_year: in_year}
    cleaned = _clean_facts(act, facts)
    formula, subject = act.formula, act.subject
    public = professional = ZERO
    if act.calendar_days:
        _check_calendar_days(act, cleaned)
    if policy.proration is not None and act.code == policy.proration.activity:
        _check_threshold(policy, act, cleaned)
    if formula["kind"] == "full_year":
        span = _span(act, cleaned)
        if span is not None:
            _check_assignment(act, cleaned, span)
        long_enough = cleaned[formula["months_fact"]] >= formula["min_months"] or _over_a_year(span)
        if cleaned[formula["passed_fact"]] and long_enough:
            public, professional = policy.requirement.public, policy.requirement.professional
    elif formula["kind"] not in ("none", "determined"):
        hours = _hours(formula, cleaned)
        subject = cleaned[act.subject_fact] if act.subject_fact else subject
        if subject == "public":
            public = hours
        else:
            professional = hours
    elif formula["kind"] == "determined":
        subject = cleaned[act.subject_fact] if act.subject_fact else subject
    return Credit(act.code, subject, public, professional, act.needs_review, _counted(act, cleaned), cleaned,
                  formula.get("by", ()))


def determined_credit(policy: Policy, activity: str, facts: Mapping[str, Any], hours: Any) -> Credit:
    """The credit of a "determined" activity once the reviewing organisation has set its hours."""
    act = _activity(policy, activity)
    if act.formula["kind"] != "determined":
        raise RuleError(f"“{act.label}”的学时按折算细则计算，不由审核单位核定")
    base = credit(policy, activity, facts)
    number = None if isinstance(hours, (str, float)) else as_decimal(hours)
    most = act.formula["max"]
    if number is None or not ZERO <= number <= most or number != number.quantize(Decimal("0.1")):
        raise RuleError(f"核定学时须为 0 到 {plain_number(most)} 之间、最多一位小数的数，收到 {hours!r}", "hours")
    if base.subject == "public":
        return replace(base, public=number)
    return replace(base, professional=number)


def hours_facts(policy: Policy, activity: str) -> tuple[str, ...]:
    """The facts the activity's hours are computed from (where a form shows why an item earns none)."""
    formula = _activity(policy, activity).formula
    kind = formula["kind"]
    if kind == "per_unit":
        return tuple(formula["units"])
    if kind in ("stated", "rank"):
        return (formula["fact"],)
    if kind == "table":
        return formula["keys"]
    if kind == "full_year":
        return formula["months_fact"], formula["passed_fact"]
    return ()


def credits_nothing_by_rule(policy: Policy, activity: str) -> bool:
    """Whether the activity earns no hours by its formula: a record (an absence) or hours the
    reviewer sets.  Any other item that earns 0 hours has nothing to declare."""
    return _activity(policy, activity).formula["kind"] in ("none", "determined")


def identity(policy: Policy, activity: str, facts: Mapping[str, Any]) -> tuple[str, tuple[str, ...]] | None:
    """What makes a declared item the same as another (see ``Identity``): its scope and the
    identifying facts' values as text; None when the activity has none.  The identifying facts are
    required on entry even where the rule set lets the hours be computed without them."""
    act = _activity(policy, activity)
    if act.identity is None:
        return None
    cleaned = _clean_facts(act, facts, only=act.identity.facts)
    values = []
    for name in act.identity.facts:
        if name not in cleaned:
            spec = next(s for s in act.facts if s.name == name)
            raise RuleError(f"缺少必填项{_named(spec)}（同一项目只能申报一次，须据此识别）", name)
        values.append(str(cleaned[name]))
    return act.identity.per, tuple(values)


def calendar_days(policy: Policy, activity: str, facts: Mapping[str, Any]) -> int:
    """The calendar days a day-based item takes (days plus half days); 0 for other activities."""
    act = _activity(policy, activity)
    if not act.calendar_days:
        return 0
    cleaned = _clean_facts(act, facts, only=act.calendar_days)
    return sum(cleaned.get(name, 0) for name in act.calendar_days)


def counted_year(policy: Policy, activity: str, facts: Mapping[str, Any]) -> int | None:
    """The year the activity's hours count in (e.g. a project's conclusion year), if given."""
    act = _activity(policy, activity)
    if act.counted_year is None:
        return None
    value = _clean_facts(act, facts, only=(act.counted_year,)).get(act.counted_year)
    return value.year if isinstance(value, dt.date) else value


def covered_years(policy: Policy, activity: str, facts: Mapping[str, Any]) -> list[int]:
    """Calendar years a full-year assignment from its start and end dates counts for,
    assuming the assessment is passed: every year it touches when it lasts more than a
    year, otherwise the years in which it spans at least ``min_months`` months."""
    act = _activity(policy, activity)
    formula = act.formula
    if formula["kind"] != "full_year" or "start_fact" not in formula:
        raise RuleError(f"“{act.label}”不按外派起止日期认定学时")
    span = _span(act, _clean_facts(act, facts, only=(formula["start_fact"], formula["end_fact"])))
    if span is None:
        raise RuleError("须填写开始日期与结束日期", formula["start_fact"])
    start, end = span
    years = range(start.year, end.year + 1)
    if _over_a_year(span):
        return list(years)
    return [y for y in years
            if _lasts(max(start, dt.date(y, 1, 1)), min(end, dt.date(y, 12, 31)), formula["min_months"])]


# --- the yearly requirement ----------------------------------------------------------


def _half(value: Decimal) -> Decimal:
    return (value * 2).quantize(Decimal(1), rounding=ROUND_HALF_UP) / 2


def requirement(policy: Policy, *, months_away: int = 0) -> Totals:
    """The year's requirement, prorated to the months at post where the rule set allows.

    Each figure is multiplied by (12 − months away) / 12 and rounded to the nearest half
    hour (halves up).  With 30/60/90 every whole month gives an exact multiple of 2.5, so
    half a year away is exactly 15/30/45.
    """
    if not is_int(months_away) or not 0 <= months_away <= 12:
        raise RuleError(f"离岗月数须为 0 到 12 的整数，收到 {months_away!r}", "months_away")
    if months_away and policy.proration is None:
        raise RuleError(f"{policy.name}没有按在岗时间折算学时要求的规定", "months_away")
    req = policy.requirement
    if not months_away:
        return req
    return Totals(*(_half(v * (12 - months_away) / 12) for v in (req.public, req.professional, req.total)))


def absence_months(policy: Policy, items: Iterable[tuple[str, Mapping[str, Any]]]) -> int:
    """Months away from post in a year: the proration fact summed over the year's
    declarations of the rule set's proration activity, capped at 12.  An absence that does not
    pass its threshold (e.g. sick leave of six months or less in Henan) lowers nothing."""
    if policy.proration is None:
        return 0
    act = _activity(policy, policy.proration.activity)
    months = 0
    for code, facts in items:
        if code != act.code:
            continue
        cleaned = _clean_facts(act, facts)
        try:
            _check_threshold(policy, act, cleaned)
        except RuleError:
            continue
        months += cleaned[policy.proration.fact]
    return min(months, 12)


def year_check(policy: Policy, public: Any, professional: Any, *, months_away: int = 0) -> YearCheck:
    """Whether a year's hours meet the requirement.  Surplus in one column never makes up
    for the other; the total is checked on its own as well."""
    required = requirement(policy, months_away=months_away)
    declared = []
    for value, name, label in ((public, "public", "公需科目学时"), (professional, "professional", "专业科目学时")):
        number = as_decimal(value)
        if number is None or number < 0:
            raise RuleError(f"{label}须为非负数，收到 {value!r}", name)
        declared.append(number)
    got = Totals(declared[0], declared[1], declared[0] + declared[1])
    shortfall = Totals(max(ZERO, required.public - got.public), max(ZERO, required.professional - got.professional),
                       max(ZERO, required.total - got.total))
    compliant = not (shortfall.public or shortfall.professional or shortfall.total)
    return YearCheck(compliant, required, got, shortfall)


# --- forms and materials -------------------------------------------------------------


def activity_choices(policy: Policy) -> list[tuple[str, str]]:
    return [(code, act.label) for code, act in policy.activities.items()]


def form_spec(policy: Policy, activity: str) -> tuple[FactSpec, ...]:
    """The activity's facts in form order, to build a web form from; the facts that identify an
    item (see ``identity``) are required there."""
    act = _activity(policy, activity)
    names = act.identity.facts if act.identity else ()
    return tuple(replace(spec, required=True) if spec.name in names else spec for spec in act.facts)


def _extra_needs(act: Activity, facts: Mapping[str, Any]) -> tuple[OneOf, ...]:
    return tuple(need for extra in act.extra_materials if same_value(facts.get(extra.fact), extra.equals)
                 for need in extra.require)


def material_choices(policy: Policy, activity: str, facts: Mapping[str, Any] | None = None) -> list[tuple[str, str]]:
    """The material codes the activity may ask for, in order, for an upload form: with
    ``facts`` only the conditional materials they call for, without them all of them."""
    act = _activity(policy, activity)
    extras = [need for x in act.extra_materials for need in x.require] if facts is None else _extra_needs(act, facts)
    codes = dict.fromkeys(code for need in [*(n for alt in act.materials for n in alt), *extras] for code in need)
    return [(code, policy.materials[code]) for code in codes]


def missing_materials(policy: Policy, activity: str, provided: Iterable[str],
                      facts: Mapping[str, Any] | None = None) -> list[str]:
    """What is still missing, in Chinese; empty when some alternative set is complete.

    ``facts`` switches on conditional materials (e.g. 国外刊物论文须提供检索材料).
    """
    act = _activity(policy, activity)
    given = set(provided)
    unknown = sorted(str(code) for code in given if code not in policy.materials)
    if unknown:
        raise RuleError(f"未知的材料类型：{'、'.join(unknown)}")

    def label(need: OneOf) -> str:
        return "或".join(policy.materials[code] for code in need)

    extras = _extra_needs(act, facts or {})
    alternatives = [alt + extras for alt in act.materials] or ([extras] if extras else [])
    gaps = [[need for need in alt if not given.intersection(need)] for alt in alternatives]
    if not alternatives or not all(gaps):
        return []
    if len(alternatives) == 1:
        return [f"缺少：{label(need)}" for need in gaps[0]]
    options = "；".join(
        f"({i}) {'、'.join(map(label, alt))}" + (f"（尚缺：{'、'.join(map(label, gap))}）" if len(gap) < len(alt) else "")
        for i, (alt, gap) in enumerate(zip(alternatives, gaps), 1))
    return [f"需提供以下材料之一：{options}"]


def span_hours(policy: Policy, days: int) -> Decimal | None:
    """The most hours a course of `days` calendar days may give by the rule set (records.hours_per_day),
    or None where the rule set sets no bound."""
    per_day = policy.records.hours_per_day
    return None if per_day is None else per_day * days


def recognised_basis(policy: Policy, source: str) -> str | None:
    """Why records from `source` count as sent (the notice's words, possibly empty), or None where
    they are an ordinary item: evidence to upload and a reviewer to check it."""
    return policy.records.recognised.get(source)

