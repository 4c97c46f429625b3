"""The engine's exact answers: the prorated requirement and its rounding, the year check's refusals,
the fields of a credit, reviewer-set hours at their bounds, and the wording of what is missing.
Each refusal names the fact a form marks, so the field is asserted with the message."""

import copy
from decimal import Decimal

import pytest

from hours import rules
from hours.rules import Totals
from tests.rules.answers import hours, refusal


# --- the yearly requirement -------------------------------------------------------------------


def test_requirement_without_months_away_is_the_whole_year(hunan, henan):
    # the default: no months away, so also for a rule set without proration
    assert rules.requirement(hunan) == Totals(30, 60, 90)
    assert rules.requirement(henan) == Totals(30, 60, 90)


@pytest.mark.parametrize(("months_away", "expected"), [
    # 30/60/90 × (12 − months away) / 12
    (5, Totals(Decimal("17.5"), Decimal("35"), Decimal("52.5"))),
    (11, Totals(Decimal("2.5"), Decimal("5"), Decimal("7.5"))),
])
def test_henan_requirement_for_months_away(henan, months_away, expected):
    assert rules.requirement(henan, months_away=months_away) == expected


def test_proration_rounds_a_quarter_hour_up_to_the_half(minimal_data):
    minimal_data["requirement"] = {"public": 15, "professional": 15, "total": 30}
    minimal_data["activities"]["course"]["facts"].append(
        {"name": "months_away", "label": "离岗月数", "type": "int", "required": True, "min": 0, "max": 12})
    minimal_data["proration"] = {"activity": "course", "fact": "months_away"}
    # 15 × 5/12 = 6.25, halfway between 6 and 6.5: halves go up (not to the even 6); 30 × 5/12 = 12.5 exactly
    assert rules.requirement(rules.load_policy(minimal_data), months_away=7) == Totals(
        Decimal("6.5"), Decimal("6.5"), Decimal("12.5"))


@pytest.mark.parametrize(("months_away", "message"), [
    (13, "离岗月数须为 0 到 12 的整数，收到 13"),
    ("6", "离岗月数须为 0 到 12 的整数，收到 '6'"),
])
def test_months_away_out_of_range_names_the_field(henan, months_away, message):
    assert refusal(rules.requirement, henan, months_away=months_away) == (message, "months_away")


def test_months_away_without_proration_names_the_field(hunan):
    assert refusal(rules.requirement, hunan, months_away=6) == (
        "湖南省2024年继续教育学时折算细则没有按在岗时间折算学时要求的规定", "months_away")


@pytest.mark.parametrize(("public", "professional", "message", "fact"), [
    (-1, 60, "公需科目学时须为非负数，收到 -1", "public"),
    (30, "abc", "专业科目学时须为非负数，收到 'abc'", "professional"),
])
def test_year_check_refusal_names_the_column(hunan, public, professional, message, fact):
    assert refusal(rules.year_check, hunan, public, professional) == (message, fact)


def test_absence_under_its_threshold_does_not_stop_the_count(henan):
    # six months of sick leave lowers nothing (河南：须超过6个月), the maternity leave after it still counts
    items = [("absence", {"reason": "sick_leave", "months_away": 6}), ("absence", {"reason": "maternity", "months_away": 3})]
    assert rules.absence_months(henan, items) == 3


@pytest.mark.parametrize(("reason", "message"), [
    ("abroad", "境外工作须年度内超过6个月方可按在岗时间折算学时要求，填写的为6个月"),
    ("sick_leave", "病假须年度内超过6个月方可按在岗时间折算学时要求，填写的为6个月"),
])
def test_threshold_refusal_names_the_kind_of_absence(henan, reason, message):
    assert refusal(rules.credit, henan, "absence", {"reason": reason, "months_away": 6}) == (message, "months_away")


def test_days_beyond_a_year_of_unknown_year_cite_the_longest_year(hunan):
    assert refusal(rules.credit, hunan, "training", {"subject": "professional", "days": 366, "half_days": 1}) == ("整天数与半天数合计367天，超过一年的天数（一年最多366天）", "days")


# --- the credit's fields ----------------------------------------------------------------------


def test_credit_names_its_activity_and_no_determiners(hunan):
    result = rules.credit(hunan, "training", {"subject": "public", "days": 1, "half_days": 0})
    assert (result.activity, result.determined_by) == ("training", ())


@pytest.mark.parametrize("empty", ["", "   ", "\u3000"])
def test_an_empty_counted_year_takes_the_year_declared_in(hunan, empty):
    # a form posts an empty field as "", a pasted one may hold spaces (full-width too)
    assert rules.credit(hunan, "paper", {"author_rank": 1, "year": empty}, in_year=2023).year == 2023


@pytest.mark.parametrize(("value", "expected"), [(0, Decimal("0")), (1000, Decimal("1000")), (Decimal("0.1"), Decimal("0.1"))])
def test_determined_hours_take_both_bounds(henan, value, expected):
    assert hours(rules.determined_credit(henan, "other", {"title": "X"}, value)) == (0, expected)


def test_determined_hours_refusal_names_the_hours_field(henan):
    assert refusal(rules.determined_credit, henan, "other", {"title": "X"}, "12") == ("核定学时须为 0 到 1000 之间、最多一位小数的数，收到 '12'", "hours")


@pytest.fixture
def henan_other_by_subject(henan):
    """Henan with its 其他 activity counted in the column the applicant picks (a rule set may say so)."""
    data = copy.deepcopy(henan.data)
    other = data["activities"]["other"]
    other["subject"] = {"fact": "subject"}
    other["facts"].append({"name": "subject", "label": "科目类别", "type": "choice", "required": True,
                           "choices": [["public", "公需科目"], ["professional", "专业科目"]]})
    return rules.load_policy(data)


def test_determined_activity_takes_the_subject_from_its_facts(henan_other_by_subject):
    facts = {"title": "X", "subject": "public"}
    result = rules.credit(henan_other_by_subject, "other", facts)
    assert (result.subject, hours(result)) == ("public", (0, 0))
    assert hours(rules.determined_credit(henan_other_by_subject, "other", facts, Decimal("12.5"))) == (Decimal("12.5"), 0)
    assert hours(rules.determined_credit(henan_other_by_subject, "other", facts | {"subject": "professional"}, 8)) == (0, 8)


# --- materials --------------------------------------------------------------------------------


def test_unknown_material_codes_are_all_listed(hunan):
    assert refusal(rules.missing_materials, hunan, "training", ["video", "photo", "training_notice"])[0] == "未知的材料类型：photo、video"


def test_training_materials_none_given_word_for_word(hunan):
    assert rules.missing_materials(hunan, "training", []) == [
        "需提供以下材料之一：(1) 培训通知、培训课程表或培训日程安排、培训签到表或其他签到形式；"
        "(2) 培训通知或培训签到表或培训课程表或培训日程安排、结业证书"]


def test_training_materials_list_every_need_still_missing(hunan):
    assert rules.missing_materials(hunan, "training", ["training_notice"]) == [
        "需提供以下材料之一：(1) 培训通知、培训课程表或培训日程安排、培训签到表或其他签到形式"
        "（尚缺：培训课程表或培训日程安排、培训签到表或其他签到形式）；"
        "(2) 培训通知或培训签到表或培训课程表或培训日程安排、结业证书（尚缺：结业证书）"]
