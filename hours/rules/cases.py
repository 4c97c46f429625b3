"""Worked cases (the shared cases file and the ``rules_check`` command): each case runs through
the same credit and year_check as the web forms, and is reported, never raised."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

from .evaluation import credit, year_check
from .parsing import json_object, load_builtins
from .types import Policy, PolicyDataError, RuleError, Totals, as_decimal, plain_number


class CasesFileError(ValueError):
    """A cases file cannot be read at all (as opposed to a single bad case)."""


@dataclass(frozen=True)
class CaseResult:
    ok: bool
    id: str
    expected: Any
    got: Any
    reason: str


class _CaseError(ValueError):
    pass


def _expected_number(value: Any, where: str) -> Decimal:
    number = None if isinstance(value, str) else as_decimal(value)
    if number is None:
        raise _CaseError(f"{where} 须为数字，收到 {value!r}")
    return number


def _compare_totals(expect: Any, got: Totals, where: str, keys: tuple[str, ...]) -> tuple[dict, list[str]]:
    _case_keys(expect, where, (), keys)
    plain = {k: plain_number(getattr(got, k)) for k in keys}
    return plain, [f"{where}.{k}" for k in keys if k in expect
                   and _expected_number(expect[k], f"{where}.{k}") != getattr(got, k)]


def _case_keys(obj: Any, where: str, required: tuple[str, ...], optional: tuple[str, ...] = ()) -> Mapping:
    try:
        return json_object(obj, where, required, optional)
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
