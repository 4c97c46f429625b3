"""A small, generic engine for continuing-education hour rules (学时折算细则).

A rule set (one region and year) is plain data, see ``data/*.json``: the yearly
requirement, the activities one may declare, the facts each activity asks for, a formula
of one of a few generic kinds, and the supporting materials.  Next year's table is a new
JSON file, not new code.  The engine is pure Python with no Django or database imports,
so web forms, the shared cases file and the ``rules_check`` command all run the same code.

Hours are ``Decimal``.  Bad facts raise ``RuleError`` (a ``ValueError``) with a Chinese
message naming the fact; malformed rule-set data raises ``PolicyDataError``.
"""

from __future__ import annotations

import calendar
import copy
import datetime as dt
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).with_name("data")
SUBJECTS = {"public": "公需科目", "professional": "专业科目"}
FACT_TYPES = ("int", "decimal", "bool", "choice", "year", "text", "date")
FORMULA_KINDS = ("per_unit", "stated", "table", "rank", "full_year", "determined", "none")
# Who may set the hours of a "determined" activity (由审核单位核定): what the reviewing
# organisation holding the declaration is. The portal tells them apart (hours/policies.py).
DETERMINERS = {"bureau": "人社部门", "department": "主管部门", "provincial_department": "省业务主管部门"}
IDENTITY_SCOPES = ("work", "year")
YEAR_RANGE = (1900, 2100)  # also bounds dates, so date arithmetic never overflows
ZERO = Decimal(0)


class PolicyDataError(ValueError):
    """The rule-set data itself is malformed."""


class RuleError(ValueError):
    """Facts or arguments a rule set cannot accept; ``fact`` names the offending fact."""

    def __init__(self, message: str, fact: str | None = None) -> None:
        super().__init__(message)
        self.fact = fact


class CasesFileError(ValueError):
    """A cases file cannot be read at all (as opposed to a single bad case)."""


@dataclass(frozen=True)
class Totals:
    public: Decimal
    professional: Decimal
    total: Decimal


@dataclass(frozen=True)
class FactSpec:
    name: str
    label: str
    type: str
    required: bool
    min: int | Decimal | None = None  # for text: length bounds
    max: int | Decimal | None = None
    choices: tuple[tuple[str | int, str], ...] = ()
    help: str = ""


OneOf = tuple[str, ...]  # material codes any one of which satisfies a requirement


@dataclass(frozen=True)
class Identity:
    """What makes two declared items one and the same, so it is counted once.

    ``per="work"``: the facts name a work (a paper's title, a patent's number) that is declared
    once, in one year.  ``per="year"``: the activity is declared once a year (for each value of the
    facts, e.g. once per kind of absence); with no facts, simply once a year."""

    facts: tuple[str, ...]
    per: str


@dataclass(frozen=True)
class ExtraMaterials:
    """Materials added to every alternative when a fact has a given value."""

    fact: str
    equals: Any
    require: tuple[OneOf, ...]
    note: str = ""


@dataclass(frozen=True)
class Activity:
    code: str
    label: str
    facts: tuple[FactSpec, ...]
    formula: Mapping[str, Any]
    subject: str | None  # "public", "professional", "both" (full_year), None (from a fact, or "none")
    subject_fact: str | None
    counted_year: str | None
    materials: tuple[tuple[OneOf, ...], ...]  # alternatives; any one complete set suffices
    extra_materials: tuple[ExtraMaterials, ...]
    needs_review: bool
    note: str
    identity: Identity | None = None
    calendar_days: tuple[str, ...] = ()  # facts that together count calendar days (days, half days)


@dataclass(frozen=True)
class Threshold:
    """An absence of this kind lowers the requirement only when it lasts more than ``more_than`` months."""

    fact: str
    equals: Any
    more_than: int


@dataclass(frozen=True)
class Proration:
    activity: str
    fact: str
    thresholds: tuple[Threshold, ...] = ()


@dataclass(frozen=True)
class Policy:
    code: str
    region: str
    title: str
    year: int
    name: str
    requirement: Totals
    proration: Proration | None
    materials: Mapping[str, str]
    activities: Mapping[str, Activity]
    data: Mapping[str, Any] = field(repr=False)  # the source JSON, to store beside results


@dataclass(frozen=True)
class Credit:
    activity: str
    subject: str | None
    public: Decimal
    professional: Decimal
    needs_review: bool
    year: int | None
    facts: Mapping[str, Any]
    determined_by: tuple[str, ...] = ()  # set by the reviewing organisations of these kinds, 0 until then

    @property
    def total(self) -> Decimal:
        return self.public + self.professional


@dataclass(frozen=True)
class YearCheck:
    compliant: bool
    required: Totals
    declared: Totals
    shortfall: Totals


@dataclass(frozen=True)
class CaseResult:
    ok: bool
    id: str
    expected: Any
    got: Any
    reason: str


# --- loading and validating rule-set data ------------------------------------------


def _keys(obj: Any, where: str, required: Iterable[str], optional: Iterable[str] = ()) -> Mapping:
    if not isinstance(obj, Mapping):
        raise PolicyDataError(f"{where} 须为 JSON 对象")
    required, optional = tuple(required), tuple(optional)
    missing = [k for k in required if k not in obj]
    if missing:
        raise PolicyDataError(f"{where} 缺少：{'、'.join(missing)}")
    unknown = sorted(str(k) for k in obj if k not in required and k not in optional)
    if unknown:
        raise PolicyDataError(f"{where} 含未知的键：{'、'.join(unknown)}")
    return obj


def _mapping(obj: Any, where: str) -> Mapping:
    if not isinstance(obj, Mapping):
        raise PolicyDataError(f"{where} 须为 JSON 对象")
    return obj


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise PolicyDataError(f"{where} 须为非空字符串")
    return value


def _optional_text(raw: Mapping, key: str, where: str) -> str:
    return _text(raw[key], f"{where}.{key}") if raw.get(key) is not None else ""


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _as_decimal(value: Any) -> Decimal | None:
    """A finite Decimal from a number or numeric string (JSON has no decimal type)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, Decimal)):
        number = Decimal(value)
    elif isinstance(value, float):
        number = Decimal(repr(value))  # repr, so 0.1 stays 0.1
    elif isinstance(value, str):
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            return None
    else:
        return None
    return number if number.is_finite() else None


def _hours_value(value: Any, where: str) -> Decimal:
    number = None if isinstance(value, str) else _as_decimal(value)
    if number is None or number < 0:
        raise PolicyDataError(f"{where} 须为非负数，收到 {value!r}")
    return number


def _same(a: Any, b: Any) -> bool:
    # type-strict, so True never matches 1 and "1" never matches 1
    return type(a) is type(b) and a == b


def _parse_fact(raw: Any, where: str) -> FactSpec:
    _keys(raw, where, ("name", "label", "type", "required"), ("min", "max", "choices", "help"))
    name = _text(raw["name"], f"{where}.name")
    if not (name.isascii() and name.isidentifier()):
        raise PolicyDataError(f"{where}.name 须为英文标识符，收到 {name!r}")
    kind = raw["type"]
    if kind not in FACT_TYPES:
        raise PolicyDataError(f"{where}.type 未知：{kind!r}（可用：{'、'.join(FACT_TYPES)}）")
    if not isinstance(raw["required"], bool):
        raise PolicyDataError(f"{where}.required 须为 true 或 false")
    choices: tuple[tuple[str | int, str], ...] = ()
    if kind == "choice":
        pairs = raw.get("choices")
        if not isinstance(pairs, list) or not pairs:
            raise PolicyDataError(f"{where}.choices 须为非空的 [值, 名称] 列表")
        for pair in pairs:
            if not (isinstance(pair, list) and len(pair) == 2 and (isinstance(pair[0], str) or _is_int(pair[0]))):
                raise PolicyDataError(f"{where}.choices 的每一项须为 [值, 名称]，收到 {pair!r}")
            _text(pair[1], f"{where}.choices 的名称")
        choices = tuple((value, label) for value, label in pairs)
        if len({(type(v), v) for v, _ in choices}) != len(choices):
            raise PolicyDataError(f"{where}.choices 有重复的值")
    elif "choices" in raw:
        raise PolicyDataError(f"{where}：只有 choice 类型可以有 choices")
    bounds: list[int | Decimal | None] = [raw.get("min"), raw.get("max")]
    if kind in ("int", "year", "text"):
        if any(b is not None and not _is_int(b) for b in bounds):
            raise PolicyDataError(f"{where}.min/max 须为整数")
        if kind == "year":
            bounds = [YEAR_RANGE[0] if bounds[0] is None else bounds[0], YEAR_RANGE[1] if bounds[1] is None else bounds[1]]
    elif kind == "decimal":
        bounds = [None if b is None else _as_decimal(b) for b in bounds]
        if any(b is None for b, given in zip(bounds, (raw.get("min"), raw.get("max"))) if given is not None):
            raise PolicyDataError(f"{where}.min/max 须为数字")
    elif any(b is not None for b in bounds):
        raise PolicyDataError(f"{where}：{kind} 类型不能有 min/max")
    if bounds[0] is not None and bounds[1] is not None and bounds[0] > bounds[1]:
        raise PolicyDataError(f"{where}.min 大于 max")
    return FactSpec(name, _text(raw["label"], f"{where}.label"), kind, raw["required"],
                    bounds[0], bounds[1], choices, _optional_text(raw, "help", where))


def _fact_ref(name: Any, facts: Mapping[str, FactSpec], types: tuple[str, ...], where: str,
              *, required: bool = True, least: int | None = None) -> str:
    """A fact the formula reads; ``least`` demands a lower bound, so hours cannot go negative."""
    spec = facts.get(name) if isinstance(name, str) else None
    if spec is None:
        raise PolicyDataError(f"{where} 须指向本形式的一个填报项，收到 {name!r}")
    if spec.type not in types:
        raise PolicyDataError(f"{where}：填报项 {name} 须为 {'/'.join(types)} 类型")
    if required and not spec.required:
        raise PolicyDataError(f"{where}：填报项 {name} 须为必填项")
    if least is not None and (spec.min is None or spec.min < least):
        raise PolicyDataError(f"{where}：填报项 {name} 须设 min ≥ {least}")
    return name


def _parse_formula(raw: Any, facts: Mapping[str, FactSpec], where: str) -> dict[str, Any]:
    kind = raw.get("kind") if isinstance(raw, Mapping) else None
    if kind not in FORMULA_KINDS:
        raise PolicyDataError(f"{where}.kind 未知：{kind!r}（可用：{'、'.join(FORMULA_KINDS)}）")
    if kind == "per_unit":  # hours = Σ fact × rate, e.g. days × 8 + half days × 4
        _keys(raw, where, ("kind", "units"))
        units = _mapping(raw["units"], f"{where}.units")
        if not units:
            raise PolicyDataError(f"{where}.units 不能为空")
        return {"kind": kind, "units": {
            _fact_ref(n, facts, ("int", "decimal"), f"{where}.units", least=0): _hours_value(r, f"{where}.units.{n}")
            for n, r in units.items()}}
    if kind == "stated":  # hours as the certificate states them
        _keys(raw, where, ("kind", "fact"))
        return {"kind": kind, "fact": _fact_ref(raw["fact"], facts, ("int", "decimal"), f"{where}.fact", least=0)}
    if kind == "table":  # hours looked up by "value|value" of the key facts
        _keys(raw, where, ("kind", "keys", "table", "default"))
        keys = raw["keys"]
        if not isinstance(keys, list) or not keys:
            raise PolicyDataError(f"{where}.keys 须为非空列表")
        specs = [facts[_fact_ref(k, facts, ("choice", "int"), f"{where}.keys")] for k in keys]
        table = {}
        for key, hours in _mapping(raw["table"], f"{where}.table").items():
            parts = key.split("|")
            valid = len(parts) == len(specs) and all(
                any(str(v) == part for v, _ in spec.choices) if spec.type == "choice" else part.isdigit()
                for spec, part in zip(specs, parts))
            if not valid:
                raise PolicyDataError(f"{where}.table 的键 {key!r} 与 keys {keys} 的取值不符")
            table[key] = _hours_value(hours, f"{where}.table.{key}")
        return {"kind": kind, "keys": tuple(keys), "table": table,
                "default": _hours_value(raw["default"], f"{where}.default")}
    if kind == "rank":  # steps [[up to rank, hours], ...] ascending, "beyond" for later ranks
        _keys(raw, where, ("kind", "fact", "steps", "beyond"))
        name = _fact_ref(raw["fact"], facts, ("int",), f"{where}.fact", least=1)
        steps, last = [], 0
        for step in raw["steps"] if isinstance(raw["steps"], list) and raw["steps"] else [None]:
            if not (isinstance(step, list) and len(step) == 2 and _is_int(step[0]) and step[0] > last):
                raise PolicyDataError(f"{where}.steps 须为名次递增的 [名次, 学时] 列表，收到 {step!r}")
            last = step[0]
            steps.append((step[0], _hours_value(step[1], f"{where}.steps")))
        return {"kind": kind, "fact": name, "steps": tuple(steps),
                "beyond": _hours_value(raw["beyond"], f"{where}.beyond")}
    if kind == "full_year":  # a long enough, passed assignment counts as the whole requirement
        _keys(raw, where, ("kind", "min_months", "months_fact", "passed_fact"), ("start_fact", "end_fact"))
        if not (_is_int(raw["min_months"]) and 1 <= raw["min_months"] <= 12):
            raise PolicyDataError(f"{where}.min_months 须为 1 到 12 的整数")
        formula = {"kind": kind, "min_months": raw["min_months"],
                   "months_fact": _fact_ref(raw["months_fact"], facts, ("int",), f"{where}.months_fact"),
                   "passed_fact": _fact_ref(raw["passed_fact"], facts, ("bool",), f"{where}.passed_fact")}
        if ("start_fact" in raw) != ("end_fact" in raw):
            raise PolicyDataError(f"{where}：start_fact 与 end_fact 须同时给出")
        for key in ("start_fact", "end_fact"):
            if key in raw:
                formula[key] = _fact_ref(raw[key], facts, ("date",), f"{where}.{key}", required=False)
        return formula
    if kind == "determined":  # hours set by the reviewing organisation, 0 until it does
        _keys(raw, where, ("kind", "by", "max"))
        by = raw["by"]
        if not (isinstance(by, list) and by and all(isinstance(b, str) and b in DETERMINERS for b in by)):
            raise PolicyDataError(f"{where}.by 须为非空列表，取值为 {'、'.join(DETERMINERS)}，收到 {by!r}")
        most = _hours_value(raw["max"], f"{where}.max")
        if not most:
            raise PolicyDataError(f"{where}.max 须大于 0")
        return {"kind": kind, "by": tuple(dict.fromkeys(by)), "max": most}
    _keys(raw, where, ("kind",))  # "none": the activity records something but credits no hours
    return {"kind": kind}


def _parse_subject(raw: Mapping, kind: str, facts: Mapping[str, FactSpec], where: str) -> tuple[str | None, str | None]:
    subject = raw.get("subject")
    if kind == "full_year":
        if subject != "both":
            raise PolicyDataError(f"{where}.subject：full_year 公式须写 \"both\"")
        return "both", None
    if kind == "none":
        if subject is not None:
            raise PolicyDataError(f"{where}.subject：不计学时的形式不能有 subject")
        return None, None
    if isinstance(subject, str) and subject in SUBJECTS:
        return subject, None
    if isinstance(subject, Mapping) and set(subject) == {"fact"}:
        name = _fact_ref(subject["fact"], facts, ("choice",), f"{where}.subject.fact")
        if any(v not in SUBJECTS for v, _ in facts[name].choices):
            raise PolicyDataError(f"{where}.subject.fact 的取值须为 public/professional")
        return None, name
    raise PolicyDataError(f"{where}.subject 须为 public、professional、both 或 {{\"fact\": 填报项}}，收到 {subject!r}")


def _parse_need(raw: Any, materials: Mapping[str, str], where: str) -> OneOf:
    if isinstance(raw, str):
        codes: OneOf = (raw,)
    elif isinstance(raw, Mapping) and set(raw) == {"one_of"} and isinstance(raw["one_of"], list) and len(raw["one_of"]) >= 2:
        codes = tuple(raw["one_of"])
    else:
        raise PolicyDataError(f"{where} 须为材料代码或 {{\"one_of\": [两个以上代码]}}，收到 {raw!r}")
    unknown = [str(c) for c in codes if not isinstance(c, str) or c not in materials]
    if unknown:
        raise PolicyDataError(f"{where} 引用了未定义的材料代码：{'、'.join(unknown)}")
    return codes


def _parse_needs(raw: Any, materials: Mapping[str, str], where: str) -> tuple[OneOf, ...]:
    if not isinstance(raw, list) or not raw:
        raise PolicyDataError(f"{where} 须为非空的材料列表")
    return tuple(_parse_need(item, materials, f"{where}[{i}]") for i, item in enumerate(raw))


def _parse_activity(code: str, raw: Any, materials: Mapping[str, str], where: str) -> Activity:
    _keys(raw, where, ("label", "facts", "formula", "materials"),
          ("subject", "counted_year", "extra_materials", "needs_review", "note", "identity", "calendar_days"))
    if not isinstance(raw["facts"], list):
        raise PolicyDataError(f"{where}.facts 须为列表")
    specs = tuple(_parse_fact(f, f"{where}.facts[{i}]") for i, f in enumerate(raw["facts"]))
    facts = {s.name: s for s in specs}
    if len(facts) != len(specs):
        raise PolicyDataError(f"{where}.facts 有重名的填报项")
    formula = _parse_formula(raw["formula"], facts, f"{where}.formula")
    subject, subject_fact = _parse_subject(raw, formula["kind"], facts, where)
    counted_year = raw.get("counted_year")
    if counted_year is not None:
        _fact_ref(counted_year, facts, ("year", "date"), f"{where}.counted_year", required=False)
    if not isinstance(raw["materials"], list):
        raise PolicyDataError(f"{where}.materials 须为备选材料组的列表")
    alternatives = tuple(_parse_needs(alt, materials, f"{where}.materials[{i}]") for i, alt in enumerate(raw["materials"]))
    if not isinstance(raw.get("extra_materials", []), list):
        raise PolicyDataError(f"{where}.extra_materials 须为列表")
    extras = []
    for i, item in enumerate(raw.get("extra_materials", [])):
        at = f"{where}.extra_materials[{i}]"
        _keys(item, at, ("when", "require"), ("note",))
        when = _keys(item["when"], f"{at}.when", ("fact", "equals"))
        spec = facts[_fact_ref(when["fact"], facts, ("bool", "choice"), f"{at}.when.fact", required=False)]
        if not (isinstance(when["equals"], bool) if spec.type == "bool" else any(_same(v, when["equals"]) for v, _ in spec.choices)):
            raise PolicyDataError(f"{at}.when.equals 不是 {spec.name} 的有效取值：{when['equals']!r}")
        extras.append(ExtraMaterials(spec.name, when["equals"], _parse_needs(item["require"], materials, f"{at}.require"),
                                     _optional_text(item, "note", at)))
    if not isinstance(raw.get("needs_review", False), bool):
        raise PolicyDataError(f"{where}.needs_review 须为 true 或 false")
    return Activity(code, _text(raw["label"], f"{where}.label"), specs, formula, subject, subject_fact,
                    counted_year, alternatives, tuple(extras), raw.get("needs_review", False),
                    _optional_text(raw, "note", where), _parse_identity(raw.get("identity"), facts, f"{where}.identity"),
                    _parse_calendar_days(raw.get("calendar_days"), facts, f"{where}.calendar_days"))


def _parse_identity(raw: Any, facts: Mapping[str, FactSpec], where: str) -> Identity | None:
    if raw is None:
        return None
    _keys(raw, where, ("facts", "per"))
    if raw["per"] not in IDENTITY_SCOPES:
        raise PolicyDataError(f"{where}.per 须为 {'、'.join(IDENTITY_SCOPES)}，收到 {raw['per']!r}")
    names = raw["facts"]
    if not isinstance(names, list) or (raw["per"] == "work" and not names):
        raise PolicyDataError(f"{where}.facts 须为填报项列表（per 为 work 时不能为空）")
    names = [_fact_ref(n, facts, ("text", "choice", "int"), f"{where}.facts", required=False) for n in names]
    if len(set(names)) != len(names):
        raise PolicyDataError(f"{where}.facts 有重复的填报项")
    return Identity(tuple(names), raw["per"])


def _parse_calendar_days(raw: Any, facts: Mapping[str, FactSpec], where: str) -> tuple[str, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or not raw:
        raise PolicyDataError(f"{where} 须为非空的填报项列表")
    names = tuple(_fact_ref(n, facts, ("int",), where, least=0) for n in raw)
    if len(set(names)) != len(names):
        raise PolicyDataError(f"{where} 有重复的填报项")
    return names


def load_policy(data: Mapping[str, Any]) -> Policy:
    """Validate rule-set data (as stored in JSON) and build a Policy from it."""
    where = f"规则集 {data.get('code', '?')}" if isinstance(data, Mapping) else "规则集"
    _keys(data, where, ("code", "region", "title", "year", "name", "requirement", "materials", "activities"),
          ("proration", "source"))
    if not (_is_int(data["year"]) and YEAR_RANGE[0] <= data["year"] <= YEAR_RANGE[1]):
        raise PolicyDataError(f"{where}.year 须为年份整数")
    req = _keys(data["requirement"], f"{where}.requirement", ("public", "professional", "total"))
    requirement = Totals(*(_hours_value(req[k], f"{where}.requirement.{k}") for k in ("public", "professional", "total")))
    if requirement.total < requirement.public + requirement.professional:
        raise PolicyDataError(f"{where}.requirement.total 小于公需与专业之和")
    materials = _mapping(data["materials"], f"{where}.materials")
    for code, label in materials.items():
        _text(label, f"{where}.materials.{code}")
    raw_activities = _mapping(data["activities"], f"{where}.activities")
    if not raw_activities:
        raise PolicyDataError(f"{where}.activities 不能为空")
    activities = {code: _parse_activity(code, raw, materials, f"{where}.activities.{code}")
                  for code, raw in raw_activities.items()}
    proration = None
    if data.get("proration") is not None:
        proration = _parse_proration(data["proration"], activities, f"{where}.proration")
    return Policy(_text(data["code"], f"{where}.code"), _text(data["region"], f"{where}.region"),
                  _text(data["title"], f"{where}.title"), data["year"], _text(data["name"], f"{where}.name"),
                  requirement, proration, dict(materials), activities, copy.deepcopy(dict(data)))


def _parse_proration(raw: Any, activities: Mapping[str, Activity], where: str) -> Proration:
    _keys(raw, where, ("activity", "fact"), ("thresholds",))
    if raw["activity"] not in activities:
        raise PolicyDataError(f"{where}.activity 不是本规则集的形式：{raw['activity']!r}")
    act = activities[raw["activity"]]
    facts = {s.name: s for s in act.facts}
    _fact_ref(raw["fact"], facts, ("int",), f"{where}.fact", least=0)
    thresholds = []
    if not isinstance(raw.get("thresholds", []), list):
        raise PolicyDataError(f"{where}.thresholds 须为列表")
    for i, item in enumerate(raw.get("thresholds", [])):
        at = f"{where}.thresholds[{i}]"
        _keys(item, at, ("when", "more_than"))
        when = _keys(item["when"], f"{at}.when", ("fact", "equals"))
        spec = facts[_fact_ref(when["fact"], facts, ("choice",), f"{at}.when.fact")]
        if not any(_same(v, when["equals"]) for v, _ in spec.choices):
            raise PolicyDataError(f"{at}.when.equals 不是 {spec.name} 的有效取值：{when['equals']!r}")
        if not (_is_int(item["more_than"]) and 0 <= item["more_than"] < 12):
            raise PolicyDataError(f"{at}.more_than 须为 0 到 11 的整数（月数）")
        thresholds.append(Threshold(spec.name, when["equals"], item["more_than"]))
    return Proration(raw["activity"], raw["fact"], tuple(thresholds))


def builtin_codes() -> list[str]:
    return sorted(path.stem for path in DATA_DIR.glob("*.json"))


def load_builtin(code: str) -> Policy:
    """The rule set shipped in ``data/<code>.json``."""
    codes = builtin_codes()
    if code not in codes:
        raise PolicyDataError(f"没有名为 {code!r} 的内置规则集（现有：{'、'.join(codes)}）")
    path = DATA_DIR / f"{code}.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise PolicyDataError(f"{path.name} 不是有效的 JSON：第 {exc.lineno} 行第 {exc.colno} 列 {exc.msg}") from exc
    policy = load_policy(data)
    if policy.code != code:
        raise PolicyDataError(f"{path.name} 中的 code 为 {policy.code!r}，与文件名不符")
    return policy


def load_builtins() -> dict[str, Policy]:
    return {code: load_builtin(code) for code in builtin_codes()}


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
        if not _is_int(value):
            raise bad("整数")
    elif spec.type == "decimal":
        value = _as_decimal(value)
        if value is None:
            raise bad("数字")
    elif spec.type == "bool":
        if not isinstance(value, bool):
            raise bad("是或否（true/false）")
    elif spec.type == "choice":
        for choice, _label in spec.choices:
            if _same(choice, value):
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
        if value is None or (isinstance(value, str) and not value.strip()):
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
        if _same(facts.get(rule.fact), rule.equals) and months is not None and months <= rule.more_than:
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
    if in_year is not None and act.counted_year and isinstance(facts, Mapping) and facts.get(act.counted_year) in (None, ""):
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
    number = None if isinstance(hours, (str, float)) else _as_decimal(hours)
    most = act.formula["max"]
    if number is None or not ZERO <= number <= most or number != number.quantize(Decimal("0.1")):
        raise RuleError(f"核定学时须为 0 到 {_plain(most)} 之间、最多一位小数的数，收到 {hours!r}", "hours")
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
    if not _is_int(months_away) or not 0 <= months_away <= 12:
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
        number = _as_decimal(value)
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
    return tuple(need for extra in act.extra_materials if _same(facts.get(extra.fact), extra.equals)
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


# --- worked cases (the shared cases file and the rules_check command) ---------------


class _CaseError(ValueError):
    pass


def _plain(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def _expected_number(value: Any, where: str) -> Decimal:
    number = None if isinstance(value, str) else _as_decimal(value)
    if number is None:
        raise _CaseError(f"{where} 须为数字，收到 {value!r}")
    return number


def _compare_totals(expect: Any, got: Totals, where: str, keys: tuple[str, ...]) -> tuple[dict, list[str]]:
    _case_keys(expect, where, (), keys)
    plain = {k: _plain(getattr(got, k)) for k in keys}
    return plain, [f"{where}.{k}" for k in keys if k in expect
                   and _expected_number(expect[k], f"{where}.{k}") != getattr(got, k)]


def _case_keys(obj: Any, where: str, required: tuple[str, ...], optional: tuple[str, ...] = ()) -> Mapping:
    try:
        return _keys(obj, where, required, optional)
    except PolicyDataError as exc:
        raise _CaseError(str(exc)) from None


def _run_case(case: Any, policies: Mapping[str, Policy]) -> tuple[dict[str, Any], list[str]]:
    _case_keys(case, "用例", ("id", "policy", "kind", "facts", "expect"), ("activity", "note"))
    if not isinstance(case["id"], str) or not case["id"]:
        raise _CaseError("用例 id 须为非空字符串")
    policy = policies.get(case["policy"]) if isinstance(case["policy"], str) else None
    if policy is None:
        raise _CaseError(f"未知的规则集：{case['policy']!r}（可用：{'、'.join(policies) or '无'}）")
    facts, expect = case["facts"], case["expect"]
    if case["kind"] == "credit":
        if "activity" not in case:
            raise _CaseError("credit 用例缺少“activity”")
        _case_keys(expect, "expect", ("public", "professional"))
        result = credit(policy, case["activity"], facts)
        return _compare_totals(expect, Totals(result.public, result.professional, result.total),
                               "expect", ("public", "professional"))
    if case["kind"] == "year_check":
        _case_keys(facts, "facts", ("public", "professional"), ("months_away",))
        _case_keys(expect, "expect", ("compliant",), ("shortfall", "required"))
        if not isinstance(expect["compliant"], bool):
            raise _CaseError("expect.compliant 须为 true 或 false")
        check = year_check(policy, facts["public"], facts["professional"], months_away=facts.get("months_away", 0))
        got: dict[str, Any] = {"compliant": check.compliant}
        diffs = [] if expect["compliant"] == check.compliant else ["expect.compliant"]
        for key in ("shortfall", "required"):
            if key in expect:
                got[key], more = _compare_totals(expect[key], getattr(check, key), f"expect.{key}",
                                                 ("public", "professional", "total"))
                diffs += more
        return got, diffs
    raise _CaseError(f"未知的用例类型：{case['kind']!r}（可用：credit、year_check）")


def _has_id(case: Any) -> bool:
    return isinstance(case, Mapping) and isinstance(case.get("id"), str) and bool(case["id"])


def evaluate_case(case: Any, policies: Mapping[str, Policy]) -> CaseResult:
    """Check one worked case; never raises, a case it cannot run is a failure with a reason."""
    case_id = case["id"] if _has_id(case) else "（无 id）"
    expected = case.get("expect") if isinstance(case, Mapping) else None
    try:
        got, diffs = _run_case(case, policies)
    except (RuleError, _CaseError) as exc:
        return CaseResult(False, case_id, expected, None, str(exc))
    except Exception as exc:  # one broken case must not stop the report on all the others
        return CaseResult(False, case_id, expected, None, f"内部错误：{type(exc).__name__}: {exc}")
    reason = f"与预期不符：{'、'.join(diffs)}" if diffs else ""
    return CaseResult(not diffs, case_id, expected, got, reason)


def evaluate_file(path: str | Path, policies: Mapping[str, Policy] | None = None) -> list[CaseResult]:
    """Check every case of a cases file (a JSON list) against the built-in rule sets.

    Raises CasesFileError when the file cannot be read or is not a JSON list of cases.
    """
    try:
        cases = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise CasesFileError(f"无法读取用例文件 {path}：{exc}") from exc
    except json.JSONDecodeError as exc:
        raise CasesFileError(f"用例文件 {path} 不是有效的 JSON：第 {exc.lineno} 行第 {exc.colno} 列 {exc.msg}") from exc
    if not isinstance(cases, list):
        raise CasesFileError(f"用例文件 {path} 的顶层须为用例列表（JSON 数组）")
    policies = load_builtins() if policies is None else policies
    results = []
    for number, case in enumerate(cases, 1):
        result = evaluate_case(case, policies)
        if not _has_id(case):
            result = replace(result, id=f"第 {number} 条")
        results.append(result)
    return results
