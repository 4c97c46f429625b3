"""Fixtures for the rules engine tests: plain Python, no database, no Django settings."""

import copy

import pytest

from hours.rules import load_builtin, load_builtins

MINIMAL_POLICY = {
    "code": "test-2024",
    "region": "测试省",
    "title": "测试省专业技术人员继续教育学时认定单",
    "year": 2024,
    "name": "测试省2024年继续教育学时折算细则",
    "requirement": {"public": 30, "professional": 60, "total": 90},
    "proration": None,
    "materials": {"certificate": "结业证书"},
    "activities": {
        "course": {
            "label": "培训班",
            "facts": [{"name": "days", "label": "天数", "type": "int", "required": True, "min": 0}],
            "formula": {"kind": "per_unit", "units": {"days": 8}},
            "subject": "professional",
            "materials": [["certificate"]],
        }
    },
}


@pytest.fixture(scope="session")
def hunan():
    return load_builtin("hunan-2024")


@pytest.fixture(scope="session")
def henan():
    return load_builtin("henan-2024")


@pytest.fixture(scope="session")
def policies():
    return load_builtins()


@pytest.fixture
def minimal_data():
    """A valid one-activity rule set, deep-copied so a test can break it."""
    return copy.deepcopy(MINIMAL_POLICY)
