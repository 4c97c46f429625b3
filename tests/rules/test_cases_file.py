"""Every worked example of the shared cases file must pass through evaluate_case, the
same code path (credit, year_check) the web forms and the rules_check command use."""

import json
from pathlib import Path

import pytest

from hours.rules import evaluate_case, evaluate_file

# the shared documents live beside the checkout: ../shared/rules/cases.json
CASES_PATH = Path(__file__).resolve().parents[2].parent / "shared" / "rules" / "cases.json"
MISSING = f"!!! 共享用例文件不存在，跳过全部折算用例：{CASES_PATH} !!!"
CASES = json.loads(CASES_PATH.read_text(encoding="utf-8")) if CASES_PATH.exists() else []

needs_file = pytest.mark.skipif(not CASES_PATH.exists(), reason=MISSING)


@needs_file
def test_cases_file_holds_32_distinct_cases():
    assert len(CASES) == 32
    assert len({case["id"] for case in CASES}) == 32


@needs_file
@pytest.mark.parametrize("case", CASES, ids=[case["id"] for case in CASES])
def test_case(case, policies):
    result = evaluate_case(case, policies)
    assert result.ok, f"{result.id}: expected {result.expected}, got {result.got} ({result.reason})"


@needs_file
def test_evaluate_file_passes_all_32():
    results = evaluate_file(CASES_PATH)
    failed = [(r.id, r.expected, r.got, r.reason) for r in results if not r.ok]
    assert (len(results), failed) == (32, [])
