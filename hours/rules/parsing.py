"""Reading a rule set's JSON into a Policy, refusing malformed data with a PolicyDataError that
names the place; and the rule sets shipped in ``data/``."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

from .types import (
    ALL_RECOGNISED,
    DETERMINERS,
    FACT_TYPES,
    FORMULA_KINDS,
    IDENTITY_SCOPES,
    SUBJECTS,
    YEAR_RANGE,
    Activity,
    ExtraMaterials,
    FactSpec,
    Identity,
    OneOf,
    Policy,
    PolicyDataError,
    Proration,
    RECORD_SOURCES,
    RecordRules,
    Threshold,
    Totals,
    as_decimal,
    is_int,
    same_value,
)

DATA_DIR = Path(__file__).with_name("data")


def json_object(obj: Any, where: str, required: Iterable[str], optional: Iterable[str] = ()) -> Mapping:
    """``obj`` as a JSON object with every required key and no key beyond the optional ones."""
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


def _hours_value(value: Any, where: str) -> Decimal:
    number = None if isinstance(value, str) else as_decimal(value)
    if number is None or number < 0:
        raise PolicyDataError(f"{where} 须为非负数，收到 {value!r}")
    return number


def _parse_fact(raw: Any, where: str) -> FactSpec:
    json_object(raw, where, ("name", "label", "type", "required"), ("min", "max", "choices", "help"))
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
            if not (isinstance(pair, list) and len(pair) == 2 and (isinstance(pair[0], str) or is_int(pair[0]))):
                raise PolicyDataError(f"{where}.choices 的每一项须为 [值, 名称]，收到 {pair!r}")
            _text(pair[1], f"{where}.choices 的名称")
        choices = tuple((value, label) for value, label in pairs)
        if len({(type(v), v) for v, _ in choices}) != len(choices):
            raise PolicyDataError(f"{where}.choices 有重复的值")
    elif "choices" in raw:
        raise PolicyDataError(f"{where}：只有 choice 类型可以有 choices")
    bounds: list[int | Decimal | None] = [raw.get("min"), raw.get("max")]
    if kind in ("int", "year", "text"):
        if any(b is not None and not is_int(b) for b in bounds):
            raise PolicyDataError(f"{where}.min/max 须为整数")
        if kind == "year":
            bounds = [YEAR_RANGE[0] if bounds[0] is None else bounds[0], YEAR_RANGE[1] if bounds[1] is None else bounds[1]]
    elif kind == "decimal":
        bounds = [None if b is None else as_decimal(b) for b in bounds]
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
        json_object(raw, where, ("kind", "units"))
        units = _mapping(raw["units"], f"{where}.units")
        if not units:
            raise PolicyDataError(f"{where}.units 不能为空")
        return {"kind": kind, "units": {
            _fact_ref(n, facts, ("int", "decimal"), f"{where}.units", least=0): _hours_value(r, f"{where}.units.{n}")
            for n, r in units.items()}}
    if kind == "stated":  # hours as the certificate states them
        json_object(raw, where, ("kind", "fact"))
        return {"kind": kind, "fact": _fact_ref(raw["fact"], facts, ("int", "decimal"), f"{where}.fact", least=0)}
    if kind == "table":  # hours looked up by "value|value" of the key facts
        json_object(raw, where, ("kind", "keys", "table", "default"))
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
        json_object(raw, where, ("kind", "fact", "steps", "beyond"))
        name = _fact_ref(raw["fact"], facts, ("int",), f"{where}.fact", least=1)
        steps, last = [], 0
        for step in raw["steps"] if isinstance(raw["steps"], list) and raw["steps"] else [None]:
            if not (isinstance(step, list) and len(step) == 2 and is_int(step[0]) and step[0] > last):
                raise PolicyDataError(f"{where}.steps 须为名次递增的 [名次, 学时] 列表，收到 {step!r}")
            last = step[0]
            steps.append((step[0], _hours_value(step[1], f"{where}.steps")))
        return {"kind": kind, "fact": name, "steps": tuple(steps),
                "beyond": _hours_value(raw["beyond"], f"{where}.beyond")}
    if kind == "full_year":  # a long enough, passed assignment counts as the whole requirement
        json_object(raw, where, ("kind", "min_months", "months_fact", "passed_fact"), ("start_fact", "end_fact"))
        if not (is_int(raw["min_months"]) and 1 <= raw["min_months"] <= 12):
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
        json_object(raw, where, ("kind", "by", "max"))
        by = raw["by"]
        if not (isinstance(by, list) and by and all(isinstance(b, str) and b in DETERMINERS for b in by)):
            raise PolicyDataError(f"{where}.by 须为非空列表，取值为 {'、'.join(DETERMINERS)}，收到 {by!r}")
        most = _hours_value(raw["max"], f"{where}.max")
        if not most:
            raise PolicyDataError(f"{where}.max 须大于 0")
        return {"kind": kind, "by": tuple(dict.fromkeys(by)), "max": most}
    json_object(raw, where, ("kind",))  # "none": the activity records something but credits no hours
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
    json_object(raw, where, ("label", "facts", "formula", "materials"),
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
        json_object(item, at, ("when", "require"), ("note",))
        when = json_object(item["when"], f"{at}.when", ("fact", "equals"))
        spec = facts[_fact_ref(when["fact"], facts, ("bool", "choice"), f"{at}.when.fact", required=False)]
        if not (isinstance(when["equals"], bool) if spec.type == "bool" else any(same_value(v, when["equals"]) for v, _ in spec.choices)):
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
    json_object(raw, where, ("facts", "per"))
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
    json_object(data, where, ("code", "region", "title", "year", "name", "requirement", "materials", "activities"),
          ("proration", "source", "records"))
    if not (is_int(data["year"]) and YEAR_RANGE[0] <= data["year"] <= YEAR_RANGE[1]):
        raise PolicyDataError(f"{where}.year 须为年份整数")
    req = json_object(data["requirement"], f"{where}.requirement", ("public", "professional", "total"))
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
    records = ALL_RECOGNISED if data.get("records") is None else _parse_records(data["records"], f"{where}.records")
    return Policy(_text(data["code"], f"{where}.code"), _text(data["region"], f"{where}.region"),
                  _text(data["title"], f"{where}.title"), data["year"], _text(data["name"], f"{where}.name"),
                  requirement, proration, dict(materials), activities, copy.deepcopy(dict(data)), records)


def _parse_records(raw: Any, where: str) -> RecordRules:
    json_object(raw, where, ("recognised",), ("hours_per_day",))
    per_day = None
    if raw.get("hours_per_day") is not None:
        per_day = _hours_value(raw["hours_per_day"], f"{where}.hours_per_day")
        if not 0 < per_day <= 24:
            raise PolicyDataError(f"{where}.hours_per_day 须大于0且不超过24")
    recognised = _mapping(raw["recognised"], f"{where}.recognised")
    for source, basis in recognised.items():
        if source not in RECORD_SOURCES:
            raise PolicyDataError(f"{where}.recognised 的来源须为 {'、'.join(RECORD_SOURCES)} 之一，收到 {source!r}")
        if not isinstance(basis, str):
            raise PolicyDataError(f"{where}.recognised.{source} 须为文字（认定依据）")
    return RecordRules(per_day, dict(recognised))


def _parse_proration(raw: Any, activities: Mapping[str, Activity], where: str) -> Proration:
    json_object(raw, where, ("activity", "fact"), ("thresholds",))
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
        json_object(item, at, ("when", "more_than"))
        when = json_object(item["when"], f"{at}.when", ("fact", "equals"))
        spec = facts[_fact_ref(when["fact"], facts, ("choice",), f"{at}.when.fact")]
        if not any(same_value(v, when["equals"]) for v, _ in spec.choices):
            raise PolicyDataError(f"{at}.when.equals 不是 {spec.name} 的有效取值：{when['equals']!r}")
        if not (is_int(item["more_than"]) and 0 <= item["more_than"] < 12):
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
