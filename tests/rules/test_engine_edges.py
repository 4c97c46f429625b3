"""Edges of the rules engine's facts cleaning, assignment dates, identity, calendar days and counted
year: the exact messages an applicant reads, the fact each refusal names, and the boundaries
(1900/2100 dates, a one-day assignment, twelve months and a day)."""

import pytest

from hours import rules
from tests.rules.answers import refusal

HUNAN_KNOWN = ("training、practice、conference、online_course、research_project、book、paper、invention_patent、"
               "utility_patent、award、digital_exam、aid_assignment、degree_course、qualification_exam、overseas_exchange")


def aid(**facts):
    return {"months": 6, "passed": True} | facts


# --- activities and the shape of the facts --------------------------------------------------


@pytest.mark.parametrize(("code", "shown"), [("trainig", "'trainig'"), (None, "None"), (["training"], "['training']")])
def test_an_unknown_activity_lists_the_rule_sets_activities(hunan, code, shown):
    # a list is no activity code, even one holding a known code (not a TypeError from a dict look-up)
    assert refusal(rules.credit, hunan, code, {}) == (
        f"未知的继续教育形式：{shown}（规则集 hunan-2024 可用：{HUNAN_KNOWN}）", None)


def test_facts_must_be_a_mapping_naming_what_came(hunan):
    assert refusal(rules.credit, hunan, "training", "days=2") == ("填报项（facts）须为键值对象，收到 str", None)
    assert refusal(rules.credit, hunan, "training", [("days", 2)]) == ("填报项（facts）须为键值对象，收到 list", None)


def test_every_unknown_fact_is_listed_and_the_first_named(hunan):
    facts = {"subject": "public", "days": 1, "half_days": 0, "dayz": 1, "hourz": 2}
    assert refusal(rules.credit, hunan, "training", facts) == ("“培训班、研修班、进修班”没有这些填报项：dayz、hourz", "dayz")


def test_a_partial_check_looks_only_at_the_facts_it_needs(hunan):
    # the counted year of a paper whose rank is not filled in yet (or wrongly): the rank is not looked at
    assert rules.counted_year(hunan, "paper", {"year": 2023, "author_rank": "first"}) == 2023
    assert rules.identity(hunan, "paper", {"title": "湘西铅锌矿", "author_rank": 0}) == ("work", ("湘西铅锌矿",))


# --- one value against its spec -------------------------------------------------------------


@pytest.mark.parametrize(("activity", "facts", "message", "fact"), [
    ("aid_assignment", aid(passed="yes"), "“考核合格”（passed）须为是或否（true/false），收到 'yes'", "passed"),
    ("training", {"subject": "public", "days": 1, "half_days": 0, "title": 5}, "“培训名称”（title）须为文字，收到 5", "title"),
    ("aid_assignment", aid(start_date="2024-02-30", end_date="2024-06-01"),
     "“外派开始日期”（start_date）须为1900–2100 年间的日期（YYYY-MM-DD），收到 '2024-02-30'", "start_date"),
    ("aid_assignment", aid(start_date="2024-01-01", end_date="2101-01-01"),
     "“外派结束日期”（end_date）须为1900–2100 年间的日期（YYYY-MM-DD），收到 '2101-01-01'", "end_date"),
    ("training", {"subject": "public", "days": 367, "half_days": 0}, "“整天数”（days）不能大于 366，收到 367", "days"),
    ("training", {"subject": "public", "days": 1, "half_days": -1}, "“半天数”（half_days）不能小于 0，收到 -1", "half_days"),
])
def test_a_bad_value_is_refused_in_words_naming_its_fact(hunan, activity, facts, message, fact):
    assert refusal(rules.credit, hunan, activity, facts) == (message, fact)


def test_text_is_measured_in_characters(hunan):
    title = "湘" * 201
    facts = {"subject": "public", "days": 1, "half_days": 0, "title": title}
    assert refusal(rules.credit, hunan, "training", facts) == (f"“培训名称”（title）不能大于 200个字，收到 '{title}'", "title")
    assert rules.credit(hunan, "training", facts | {"title": "湘" * 200}).facts["title"] == "湘" * 200


@pytest.mark.parametrize(("start", "end", "years"), [
    ("1900-01-01", "1900-12-31", [1900]),  # both ends of the date range are in it
    ("2100-01-01", "2100-12-31", [2100]),
])
def test_dates_at_the_ends_of_the_range_are_accepted(hunan, start, end, years):
    assert rules.covered_years(hunan, "aid_assignment", {"start_date": start, "end_date": end}) == years


# --- assignment dates ------------------------------------------------------------------------


@pytest.mark.parametrize(("facts", "fact"), [
    (aid(end_date="2024-06-01"), "start_date"), (aid(start_date="2024-01-01"), "end_date"),
])
def test_both_assignment_dates_or_neither_naming_the_missing_one(hunan, facts, fact):
    assert refusal(rules.credit, hunan, "aid_assignment", facts) == ("开始日期与结束日期须同时填写", fact)


def test_an_assignment_may_not_end_before_it_starts_but_may_last_one_day(hunan):
    facts = aid(start_date="2024-06-30", end_date="2024-01-01")
    assert refusal(rules.credit, hunan, "aid_assignment", facts) == ("结束日期 2024-01-01 早于开始日期 2024-06-30", "end_date")
    one_day = {"start_date": "2024-05-01", "end_date": "2024-05-01"}
    assert rules.covered_years(hunan, "aid_assignment", one_day) == []
    assert rules.credit(hunan, "aid_assignment", aid(months=0) | one_day).public == 0


@pytest.mark.parametrize(("start", "end", "years"), [
    ("2023-03-01", "2024-03-01", [2023, 2024]),  # twelve months and a day: more than a year, every year counts
    ("2023-03-01", "2024-02-29", [2023]),  # twelve months exactly: only the year of six months or more
])
def test_more_than_a_year_is_twelve_months_and_a_day(hunan, start, end, years):
    assert rules.covered_years(hunan, "aid_assignment", {"start_date": start, "end_date": end}) == years


def test_the_assignments_period_and_year_are_spelled_out(hunan):
    facts = aid(months=12, start_date="2020-01-01", end_date="2021-12-31", year=2023)
    assert refusal(rules.credit, hunan, "aid_assignment", facts) == (
        "外派期间为2020-01-01至2021-12-31，计入年度2023年不在外派期间内", "year")
    facts = aid(months=12, start_date="2024-03-01", end_date="2024-08-31")
    assert refusal(rules.credit, hunan, "aid_assignment", facts) == (
        "填写的工作月数为12个月，但外派期间（2024-03-01至2024-08-31）在任一年度内只有6个整月", "months")


def test_without_a_counted_year_the_months_may_lie_in_the_first_year(hunan):
    # 2023: March–December, 10 months; 2024: January–February, 2 months
    facts = aid(months=10, start_date="2023-03-01", end_date="2024-02-29")
    result = rules.credit(hunan, "aid_assignment", facts)
    assert (result.public, result.professional, result.year) == (30, 60, None)


def test_covered_years_refuses_an_assignment_without_dates(hunan, minimal_data):
    assert refusal(rules.covered_years, hunan, "aid_assignment", aid()) == ("须填写开始日期与结束日期", "start_date")
    # an assignment whose rule set takes no dates at all
    minimal_data["activities"]["posting"] = {
        "label": "挂职", "subject": "both", "materials": [["certificate"]],
        "facts": [{"name": "months", "label": "工作月数", "type": "int", "required": True, "min": 0, "max": 12},
                  {"name": "passed", "label": "考核合格", "type": "bool", "required": True}],
        "formula": {"kind": "full_year", "min_months": 6, "months_fact": "months", "passed_fact": "passed"},
    }
    policy = rules.load_policy(minimal_data)
    assert refusal(rules.covered_years, policy, "posting", {"months": 6, "passed": True}) == ("“挂职”不按外派起止日期认定学时", None)


# --- identity, calendar days, counted year --------------------------------------------------


def test_the_missing_identifying_fact_is_named(hunan):
    assert refusal(rules.identity, hunan, "paper", {"author_rank": 1}) == (
        "缺少必填项“论文题目”（title）（同一项目只能申报一次，须据此识别）", "title")


def test_calendar_days_need_only_the_days(hunan):
    assert rules.calendar_days(hunan, "training", {"days": 2, "half_days": 1}) == 3  # no subject yet
    assert rules.calendar_days(hunan, "training", {"days": 2}) == 2  # no half days: none
    assert rules.calendar_days(hunan, "training", {}) == 0


def test_a_date_counted_year_counts_by_its_calendar_year(minimal_data):
    minimal_data["activities"]["course"]["facts"].append(
        {"name": "concluded", "label": "结题日期", "type": "date", "required": False})
    minimal_data["activities"]["course"]["counted_year"] = "concluded"
    policy = rules.load_policy(minimal_data)
    assert rules.counted_year(policy, "course", {"concluded": "2023-12-31"}) == 2023
    assert rules.credit(policy, "course", {"days": 1, "concluded": "2023-12-31"}).year == 2023
    assert rules.counted_year(policy, "course", {}) is None
