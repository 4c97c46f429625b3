"""The rule set's `records`: the hours a day of a course may give, and the sources whose records are
recognised as sent (with the notice's words), or none of it for a rule set that predates it."""
from decimal import Decimal

import pytest

from hours import rules


def test_shipped_rule_sets_bound_a_day_and_recognise_the_platform_bases_and_filings(hunan, henan):
    for policy in (hunan, henan):
        assert rules.span_hours(policy, 1) == Decimal(8) and rules.span_hours(policy, 3) == Decimal(24)
        assert rules.recognised_basis(policy, "other_platform") is None
        assert rules.recognised_basis(policy, "applicant") is None
    assert rules.recognised_basis(hunan, "training_base").startswith("通知三（一）")
    assert rules.recognised_basis(henan, "platform") == ""  # recognised, with no words to quote


def test_a_rule_set_without_records_recognises_the_old_sources_and_bounds_no_day(minimal_data):
    policy = rules.load_policy(minimal_data)
    assert rules.span_hours(policy, 30) is None
    assert all(rules.recognised_basis(policy, s) == "" for s in ("platform", "training_base", "unit_filing"))
    assert rules.recognised_basis(policy, "other_platform") is None
    assert rules.recognised_basis(policy, "applicant") is None


def test_records_parsed(minimal_data):
    minimal_data["records"] = {"hours_per_day": 6.5, "recognised": {"platform": "通知第三条"}}
    policy = rules.load_policy(minimal_data)
    assert rules.span_hours(policy, 2) == Decimal("13.0")
    assert rules.recognised_basis(policy, "platform") == "通知第三条"
    assert rules.recognised_basis(policy, "training_base") is None


@pytest.mark.parametrize("records, message", [
    ({"recognised": {"applicant": ""}}, r"records\.recognised 的来源须为 platform、training_base、unit_filing、other_platform 之一，收到 'applicant'"),
    ({"recognised": {"wechat": ""}}, "收到 'wechat'"),
    ({"recognised": {"platform": 1}}, r"records\.recognised\.platform 须为文字"),
    ({"hours_per_day": 0, "recognised": {}}, r"records\.hours_per_day 须大于0且不超过24"),
    ({"hours_per_day": 25, "recognised": {}}, "须大于0且不超过24"),
    ({"hours_per_day": "8", "recognised": {}}, r"records\.hours_per_day 须为非负数"),
    ({"hours_per_day": 8}, "recognised"),
    ({"recognised": {}, "days": 3}, "days"),
])
def test_bad_records_refused_naming_the_place(minimal_data, records, message):
    minimal_data["records"] = records
    with pytest.raises(rules.PolicyDataError, match=message):
        rules.load_policy(minimal_data)
