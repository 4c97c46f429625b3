"""Edge cases of the rules engine, per activity, plus rule-set validation and case checks."""

import ast
import copy
import datetime as dt
import json
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from hours import rules
from hours.rules.parsing import DATA_DIR
from tests.rules.answers import hours

HUNAN_ACTIVITIES = [
    "training", "practice", "conference", "online_course", "research_project", "book", "paper",
    "invention_patent", "utility_patent", "award", "digital_exam", "aid_assignment", "degree_course",
    "qualification_exam",
]


def training(**facts):
    return {"subject": "professional", "days": 1, "half_days": 0} | facts


# --- the engine stays pure and layered ------------------------------------------------------

LAYERS = ["types", "parsing", "evaluation", "cases"]  # each module imports only from those before it


def test_engine_imports_only_the_standard_library_and_lower_layers():
    package = Path(rules.__file__).parent
    assert sorted(path.stem for path in package.glob("*.py")) == sorted(["__init__", *LAYERS])
    for path in package.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imports = [node for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom))]
        modules = {alias.name.split(".")[0] for node in imports if isinstance(node, ast.Import) for alias in node.names}
        modules |= {node.module.split(".")[0] for node in imports if isinstance(node, ast.ImportFrom) and not node.level}
        assert modules - {"__future__"} <= set(sys.stdlib_module_names), path.name
        if path.stem != "__init__":
            own = {node.module for node in imports if isinstance(node, ast.ImportFrom) and node.level}
            assert own <= set(LAYERS[:LAYERS.index(path.stem)]), path.name


# --- day-based activities --------------------------------------------------------------


@pytest.mark.parametrize("activity", ["training", "practice", "conference", "overseas_exchange"])
@pytest.mark.parametrize(("days", "half_days", "expected"), [(0, 0, 0), (0, 1, 4), (0, 3, 12), (2, 0, 16), (1, 1, 12)])
def test_day_based_hours(hunan, activity, days, half_days, expected):
    result = rules.credit(hunan, activity, {"subject": "professional", "days": days, "half_days": half_days})
    assert hours(result) == (0, expected)
    assert result.subject == "professional"


def test_training_subject_picks_the_column(hunan):
    result = rules.credit(hunan, "training", training(subject="public", days=2))
    assert hours(result) == (16, 0)
    assert result.total == 16
    assert isinstance(result.public, Decimal)


@pytest.mark.parametrize("bad", ["abc", "2", 1.5, 2.0, True, False, [1], {"n": 1}])
def test_whole_number_fact_rejects_other_types(hunan, bad):
    with pytest.raises(rules.RuleError, match="整数") as error:
        rules.credit(hunan, "training", training(days=bad))
    assert error.value.fact == "days"
    assert "整天数" in str(error.value)


@pytest.mark.parametrize(("facts", "fact", "message"), [
    (training(days=-1), "days", "不能小于 0"),
    (training(half_days=-2), "half_days", "不能小于 0"),
    (training(days=367), "days", "不能大于 366"),
    ({"subject": "professional", "half_days": 0}, "days", "缺少必填项“整天数”"),
    ({"subject": "professional", "days": None, "half_days": 0}, "days", "缺少必填项"),
    ({"days": 1, "half_days": 0}, "subject", "缺少必填项“科目类别”"),
    (training(subject="公需"), "subject", "可选：public（公需科目）、professional（专业科目）"),
    (training(subject=1), "subject", "无效"),
    (training(dayz=1), "dayz", "没有这些填报项：dayz"),
])
def test_training_rejects_bad_facts_naming_the_fact(hunan, facts, fact, message):
    with pytest.raises(rules.RuleError, match=message) as error:
        rules.credit(hunan, "training", facts)
    assert error.value.fact == fact


def test_rule_error_is_a_value_error(hunan):
    with pytest.raises(ValueError):
        rules.credit(hunan, "training", "days=2")


def test_unknown_activity_is_a_chinese_rule_error(hunan):
    with pytest.raises(rules.RuleError, match="未知的继续教育形式：'trainig'"):
        rules.credit(hunan, "trainig", {})
    with pytest.raises(rules.RuleError, match="未知的继续教育形式"):
        rules.credit(hunan, None, {})


# --- stated hours ---------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "expected"), [(30, 30), (1.5, Decimal("1.5")), ("2.5", Decimal("2.5")),
                                                 (Decimal("0.1"), Decimal("0.1")), (0, 0)])
def test_online_course_takes_the_stated_hours(hunan, value, expected):
    assert hours(rules.credit(hunan, "online_course", {"subject": "public", "hours": value})) == (expected, 0)


@pytest.mark.parametrize(("value", "message"), [("abc", "须为数字"), (True, "须为数字"), (float("nan"), "须为数字"),
                                                ("Infinity", "须为数字"), (-1, "不能小于 0"), (1001, "不能大于 1000")])
def test_online_course_rejects_bad_hours(hunan, value, message):
    with pytest.raises(rules.RuleError, match=message):
        rules.credit(hunan, "online_course", {"subject": "public", "hours": value})


# --- tables and ranks -------------------------------------------------------------------------


@pytest.mark.parametrize(("level", "role", "expected"), [
    ("provincial", "host", 60), ("provincial", "main", 30), ("provincial", "other", 10),
    ("municipal", "host", 30), ("municipal", "main", 10), ("municipal", "other", 10),
    ("other", "host", 0),
])
def test_research_project_table(hunan, level, role, expected):
    assert hours(rules.credit(hunan, "research_project", {"level": level, "role": role})) == (0, expected)


def test_research_project_unknown_role_is_an_error(hunan):
    with pytest.raises(rules.RuleError, match="“本人角色”（role）的取值 'leader' 无效"):
        rules.credit(hunan, "research_project", {"level": "provincial", "role": "leader"})


@pytest.mark.parametrize(("activity", "fact", "rank", "expected"), [
    ("book", "author_rank", 1, 60), ("book", "author_rank", 2, 30), ("book", "author_rank", 99, 30),
    ("paper", "author_rank", 1, 30), ("paper", "author_rank", 5, 10),
    ("invention_patent", "rank", 2, 30), ("invention_patent", "rank", 3, 30), ("invention_patent", "rank", 4, 10),
    ("utility_patent", "rank", 3, 10), ("utility_patent", "rank", 4, 0), ("utility_patent", "rank", 100, 0),
])
def test_rank_beyond_the_table_earns_the_rest_or_nothing(hunan, activity, fact, rank, expected):
    assert hours(rules.credit(hunan, activity, {fact: rank})) == (0, expected)


@pytest.mark.parametrize("activity", ["book", "paper", "invention_patent", "utility_patent"])
@pytest.mark.parametrize("rank", [0, -1])
def test_ranks_start_at_one(hunan, activity, rank):
    fact = rules.form_spec(hunan, activity)[0].name
    with pytest.raises(rules.RuleError, match="不能小于 1") as error:
        rules.credit(hunan, activity, {fact: rank})
    assert error.value.fact == fact


@pytest.mark.parametrize(("level", "grade", "expected"), [
    ("provincial", 2, 30), ("municipal", 1, 30), ("provincial", 4, 0), ("other", 1, 0),
])
def test_award_grade_or_level_without_hours_earns_nothing(hunan, level, grade, expected):
    assert hours(rules.credit(hunan, "award", {"level": level, "grade": grade})) == (0, expected)


@pytest.mark.parametrize("grade", [0, "1", 1.0])
def test_award_grade_must_be_a_positive_whole_number(hunan, grade):
    with pytest.raises(rules.RuleError) as error:
        rules.credit(hunan, "award", {"level": "provincial", "grade": grade})
    assert error.value.fact == "grade"


# --- counts -------------------------------------------------------------------------------


@pytest.mark.parametrize(("activity", "fact", "count", "expected"), [
    ("digital_exam", "modules", 0, 0), ("digital_exam", "modules", 3, 60),
    ("degree_course", "courses", 2, 60), ("qualification_exam", "subjects", 1, 30),
])
def test_count_based_hours(hunan, activity, fact, count, expected):
    assert hours(rules.credit(hunan, activity, {fact: count})) == (0, expected)


def test_count_has_a_sane_maximum(hunan):
    with pytest.raises(rules.RuleError, match="不能大于 20"):
        rules.credit(hunan, "digital_exam", {"modules": 21})


# --- aid assignments -------------------------------------------------------------------------


@pytest.mark.parametrize(("months", "passed", "expected"), [
    (6, True, (30, 60)), (12, True, (30, 60)), (5, True, (0, 0)), (12, False, (0, 0)), (0, True, (0, 0)),
])
def test_aid_assignment_counts_as_the_whole_requirement(hunan, months, passed, expected):
    result = rules.credit(hunan, "aid_assignment", {"months": months, "passed": passed})
    assert hours(result) == expected
    assert result.subject == "both"


def test_aid_assignment_over_a_year_counts_even_in_a_short_first_year(hunan):
    facts = {"months": 3, "passed": True, "start_date": "2023-10-01", "end_date": "2025-03-31"}
    assert hours(rules.credit(hunan, "aid_assignment", facts)) == (30, 60)
    assert hours(rules.credit(hunan, "aid_assignment", facts | {"end_date": "2024-03-31"})) == (0, 0)


@pytest.mark.parametrize(("facts", "fact"), [
    ({"months": 13, "passed": True}, "months"),
    ({"months": 6, "passed": "yes"}, "passed"),
    ({"months": 6, "passed": 1}, "passed"),
    ({"months": 6}, "passed"),
    ({"months": 6, "passed": True, "start_date": "2024-06-30", "end_date": "2024-01-01"}, "end_date"),
    ({"months": 6, "passed": True, "start_date": "2024-01-01"}, "end_date"),
    ({"months": 6, "passed": True, "start_date": "2024-02-30", "end_date": "2024-06-01"}, "start_date"),
])
def test_aid_assignment_rejects_bad_facts(hunan, facts, fact):
    with pytest.raises(rules.RuleError) as error:
        rules.credit(hunan, "aid_assignment", facts)
    assert error.value.fact == fact


@pytest.mark.parametrize(("start", "end", "years"), [
    ("2024-01-01", "2024-06-30", [2024]),
    ("2024-01-01", "2024-06-29", []),
    ("2023-10-01", "2024-06-30", [2024]),
    ("2023-07-01", "2024-06-30", [2023, 2024]),
    ("2023-10-01", "2025-03-31", [2023, 2024, 2025]),
])
def test_covered_years(hunan, start, end, years):
    assert rules.covered_years(hunan, "aid_assignment", {"start_date": start, "end_date": end}) == years


def test_covered_years_needs_dates_of_an_assignment(hunan):
    with pytest.raises(rules.RuleError, match="须填写开始日期与结束日期"):
        rules.covered_years(hunan, "aid_assignment", {"months": 6})
    with pytest.raises(rules.RuleError, match="不按外派起止日期"):
        rules.covered_years(hunan, "training", {})


# --- counted year --------------------------------------------------------------------------


@pytest.mark.parametrize("activity", HUNAN_ACTIVITIES)
def test_every_hunan_activity_can_name_its_year(hunan, activity):
    assert rules.counted_year(hunan, activity, {"year": 2023}) == 2023
    assert rules.counted_year(hunan, activity, {}) is None


def test_credit_keeps_the_normalised_facts_given(hunan):
    result = rules.credit(hunan, "aid_assignment", {"months": 6, "passed": True, "start_date": "2024-01-01",
                                              "end_date": "2024-06-30", "title": "  援疆  "})
    assert result.facts == {"months": 6, "passed": True, "start_date": dt.date(2024, 1, 1),
                            "end_date": dt.date(2024, 6, 30), "title": "援疆"}
    assert rules.credit(hunan, "invention_patent", {"rank": 1, "number": "ZL2024"}).facts == {"rank": 1, "number": "ZL2024"}


def test_counted_year_is_optional_for_hours_and_kept_on_the_credit(hunan):
    assert rules.credit(hunan, "research_project", {"level": "provincial", "role": "host"}).year is None
    assert rules.credit(hunan, "research_project", {"level": "provincial", "role": "host", "year": 2022}).year == 2022


@pytest.mark.parametrize("year", [1800, "2023", 2023.0])
def test_counted_year_must_be_a_plausible_whole_year(hunan, year):
    with pytest.raises(rules.RuleError) as error:
        rules.counted_year(hunan, "paper", {"year": year})
    assert error.value.fact == "year"


# --- yearly requirement -------------------------------------------------------------------


def test_year_check_exactly_enough(hunan):
    check = rules.year_check(hunan, 30, 60)
    assert check.compliant
    assert (check.shortfall.public, check.shortfall.professional, check.shortfall.total) == (0, 0, 0)
    assert (check.required.public, check.required.professional, check.required.total) == (30, 60, 90)


def test_public_surplus_never_makes_up_for_professional(hunan):
    check = rules.year_check(hunan, 40, 55)
    assert not check.compliant
    assert (check.shortfall.public, check.shortfall.professional, check.shortfall.total) == (0, 5, 0)


def test_total_shortfall_counts_both_columns(hunan):
    check = rules.year_check(hunan, Decimal("10.5"), 20)
    assert (check.shortfall.public, check.shortfall.professional, check.shortfall.total) == (
        Decimal("19.5"), 40, Decimal("59.5"))
    assert check.declared.total == Decimal("30.5")


@pytest.mark.parametrize(("months_away", "expected"), [
    (0, (30, 60, 90)), (6, (15, 30, 45)), (1, (Decimal("27.5"), 55, Decimal("82.5"))), (12, (0, 0, 0)),
])
def test_henan_prorates_the_requirement_to_months_at_post(henan, months_away, expected):
    required = rules.requirement(henan, months_away=months_away)
    assert (required.public, required.professional, required.total) == expected


def test_half_a_year_of_maternity_leave_halves_the_requirement(henan):
    assert rules.year_check(henan, 15, 30, months_away=6).compliant
    assert rules.year_check(henan, 15, 29, months_away=6).shortfall.professional == 1


def test_proration_rounds_to_half_hours(minimal_data):
    minimal_data["requirement"] = {"public": 10, "professional": 20, "total": 31}
    minimal_data["activities"]["course"]["facts"].append(
        {"name": "months_away", "label": "离岗月数", "type": "int", "required": True, "min": 0, "max": 12})
    minimal_data["proration"] = {"activity": "course", "fact": "months_away"}
    required = rules.requirement(rules.load_policy(minimal_data), months_away=5)
    # 10 × 7/12 = 5.83 → 6; 20 × 7/12 = 11.67 → 11.5; 31 × 7/12 = 18.08 → 18
    assert (required.public, required.professional, required.total) == (6, Decimal("11.5"), 18)


@pytest.mark.parametrize("months_away", [-1, 13, True, 1.5, "6"])
def test_months_away_must_be_whole_months_of_a_year(henan, months_away):
    with pytest.raises(rules.RuleError, match="离岗月数"):
        rules.year_check(henan, 30, 60, months_away=months_away)


def test_hunan_has_no_proration(hunan):
    with pytest.raises(rules.RuleError, match="没有按在岗时间折算"):
        rules.year_check(hunan, 15, 30, months_away=6)


@pytest.mark.parametrize(("public", "professional"), [(-1, 60), (30, "abc"), (True, 60), (None, 60)])
def test_year_check_rejects_bad_hours(hunan, public, professional):
    with pytest.raises(rules.RuleError, match="须为非负数"):
        rules.year_check(hunan, public, professional)


def test_absence_months_sums_the_proration_activity_and_caps_at_a_year(henan, hunan):
    items = [("absence", {"reason": "maternity", "months_away": 6}), ("training", {"hours": 10}),
             ("absence", {"reason": "sick_leave", "months_away": 7})]
    assert rules.absence_months(henan, items) == 12  # 6 + 7 months, capped at a year
    assert rules.absence_months(henan, items[:2] + [("absence", {"reason": "other", "months_away": 4})]) == 10
    assert rules.absence_months(hunan, items) == 0
    with pytest.raises(rules.RuleError):
        rules.absence_months(henan, [("absence", {"reason": "holiday", "months_away": 3})])


# --- materials -----------------------------------------------------------------------------


@pytest.mark.parametrize("provided", [
    ["training_notice", "course_schedule", "sign_in_sheet"],
    ["training_notice", "training_agenda", "other_sign_in"],
    ["sign_in_sheet", "completion_certificate"],
    ["training_agenda", "completion_certificate", "expense_claim"],
])
def test_training_materials_either_alternative_suffices(hunan, provided):
    assert rules.missing_materials(hunan, "training", provided) == []


def test_training_materials_partly_given_spell_out_both_alternatives(hunan):
    missing = rules.missing_materials(hunan, "training", ["training_notice", "course_schedule"])
    assert missing == [
        "需提供以下材料之一：(1) 培训通知、培训课程表或培训日程安排、培训签到表或其他签到形式（尚缺：培训签到表或其他签到形式）；"
        "(2) 培训通知或培训签到表或培训课程表或培训日程安排、结业证书（尚缺：结业证书）"]


def test_training_materials_none_given(hunan):
    (message,) = rules.missing_materials(hunan, "training", [])
    assert message.startswith("需提供以下材料之一：(1) 培训通知、")
    assert "尚缺" not in message


def test_single_alternative_lists_each_missing_material(hunan):
    assert rules.missing_materials(hunan, "online_course", ["completion_certificate"]) == ["缺少：课程时长或课程内容"]
    assert rules.missing_materials(hunan, "aid_assignment", []) == ["缺少：派遣通知", "缺少：考核表"]


def test_paper_published_abroad_needs_retrieval_proof(hunan):
    paper = ["journal_cover", "journal_number", "paper_contents"]
    assert rules.missing_materials(hunan, "paper", paper) == []
    assert rules.missing_materials(hunan, "paper", paper, {"author_rank": 1, "abroad": False}) == []
    assert rules.missing_materials(hunan, "paper", paper, {"author_rank": 1, "abroad": True}) == ["缺少：检索材料"]
    assert rules.missing_materials(hunan, "paper", paper + ["retrieval_proof"], {"abroad": True}) == []


def test_unknown_material_code_is_an_error(hunan):
    with pytest.raises(rules.RuleError, match="未知的材料类型：photo"):
        rules.missing_materials(hunan, "training", ["photo"])


def test_material_choices_include_conditional_materials_the_facts_call_for(hunan):
    paper = ["journal_cover", "journal_number", "paper_contents"]
    assert [code for code, _ in rules.material_choices(hunan, "paper")] == paper + ["retrieval_proof"]
    assert [code for code, _ in rules.material_choices(hunan, "paper", {"abroad": False})] == paper
    assert [code for code, _ in rules.material_choices(hunan, "paper", {"abroad": True})] == paper + ["retrieval_proof"]


def test_every_material_is_used_by_some_activity(hunan, henan):
    for policy in (hunan, henan):
        used = {code for activity in policy.activities for code, _ in rules.material_choices(policy, activity)}
        assert used == set(policy.materials)


# --- forms -----------------------------------------------------------------------------------


def test_hunan_offers_the_readme_activities_with_their_facts(hunan):
    assert [code for code, _ in rules.activity_choices(hunan)] == HUNAN_ACTIVITIES + ["overseas_exchange"]
    required = {a: [s.name for s in rules.form_spec(hunan, a) if s.required] for a in HUNAN_ACTIVITIES}
    assert required == {
        "training": ["subject", "days", "half_days"], "practice": ["subject", "days", "half_days"],
        "conference": ["subject", "days", "half_days"], "online_course": ["subject", "hours"],
        # the title or number that identifies a work is required on entry (one item per work)
        "research_project": ["level", "role", "title"], "book": ["author_rank", "title"],
        "paper": ["author_rank", "title"], "invention_patent": ["rank", "number"],
        "utility_patent": ["rank", "number"], "award": ["level", "grade", "title"],
        "digital_exam": ["modules"], "aid_assignment": ["months", "passed"], "degree_course": ["courses"],
        "qualification_exam": ["subjects"],
    }


def test_form_spec_is_ordered_and_labelled_in_chinese(hunan):
    specs = rules.form_spec(hunan, "training")
    assert [s.name for s in specs][:3] == ["subject", "days", "half_days"]
    assert specs[0].choices == (("public", "公需科目"), ("professional", "专业科目"))
    assert (specs[1].label, specs[1].type, specs[1].min, specs[1].max) == ("整天数", "int", 0, 366)


# --- henan ---------------------------------------------------------------------------------


def test_henan_declares_16_types_with_a_90_hour_year(henan):
    assert len(rules.activity_choices(henan)) == 16
    assert (henan.requirement.public, henan.requirement.professional, henan.requirement.total) == (30, 60, 90)


def test_henan_hours_are_stated_and_flagged_for_review(henan):
    for code, _ in rules.activity_choices(henan):
        if code in ("absence", "other"):
            continue
        facts = {s.name: s.choices[0][0] for s in rules.form_spec(henan, code) if s.type == "choice"}
        result = rules.credit(henan, code, facts | {"hours": 12})
        assert (hours(result), result.needs_review) == ((0, 12), True)


def test_henan_absence_credits_nothing(henan):
    result = rules.credit(henan, "absence", {"reason": "maternity", "months_away": 6, "year": 2024})
    assert (hours(result), result.subject, result.year) == ((0, 0), None, 2024)


def test_henan_materials_follow_the_facts(henan):
    assert rules.missing_materials(henan, "publication", [], {"work": "book"}) == ["缺少：著作封面", "缺少：著作扉页", "缺少：著作目录"]
    assert rules.missing_materials(henan, "absence", ["unit_proof"], {"reason": "maternity"}) == []
    assert rules.missing_materials(henan, "absence", ["unit_proof"], {"reason": "sick_leave"}) == ["缺少：医院证明"]
    assert rules.missing_materials(henan, "degree_education", ["year_transcript"], {"advanced_study": True}) == [
        "缺少：单位派出证明", "缺少：进修单位考核证明"]
    assert rules.missing_materials(henan, "training", ["training_notice", "completion_certificate", "unit_proof"]) == []


def test_henan_unknown_choice_is_an_error(henan):
    with pytest.raises(rules.RuleError, match="“成果类别”（work）的取值 'poem' 无效"):
        rules.credit(henan, "publication", {"work": "poem", "hours": 10})


# --- rule-set data ---------------------------------------------------------------------------


def test_builtin_rule_sets(hunan):
    assert rules.builtin_codes() == ["henan-2024", "hunan-2024"]
    source = json.loads((DATA_DIR / "hunan-2024.json").read_text(encoding="utf-8"))
    assert hunan.data == source
    assert (hunan.region, hunan.title, hunan.year) == ("湖南省", "湖南省专业技术人员继续教育学时认定单", 2024)


def test_load_builtin_rejects_unknown_codes():
    with pytest.raises(rules.PolicyDataError, match="没有名为 '../secrets' 的内置规则集"):
        rules.load_builtin("../secrets")


def test_minimal_data_loads(minimal_data):
    assert hours(rules.credit(rules.load_policy(minimal_data), "course", {"days": 2})) == (0, 16)


def _set(data, path, value):
    *parents, last = path
    for key in parents:
        data = data[key]
    if value is DELETE:
        del data[last]
    else:
        data[last] = value


DELETE = object()
COURSE = ("activities", "course")


@pytest.mark.parametrize(("path", "value", "message"), [
    (("requirement",), DELETE, "缺少：requirement"),
    (("requirment",), {}, "未知的键：requirment"),
    (("year",), "2024", "year 须为年份整数"),
    (("requirement", "total"), 80, "total 小于公需与专业之和"),
    (("requirement", "public"), -1, "须为非负数"),
    (("activities",), {}, "activities 不能为空"),
    (("activities",), [], "activities 须为 JSON 对象"),
    ((*COURSE, "formula"), {"kind": "per_day"}, "kind 未知：'per_day'"),
    ((*COURSE, "formula"), "per_unit", "kind 未知"),
    ((*COURSE, "formula", "units"), {"hours": 8}, "须指向本形式的一个填报项，收到 'hours'"),
    ((*COURSE, "formula", "units", "days"), -8, "须为非负数"),
    ((*COURSE, "formula", "extra"), 1, "未知的键：extra"),
    ((*COURSE, "facts", 0, "min"), None, "须设 min ≥ 0"),
    ((*COURSE, "facts", 0, "type"), "integer", "type 未知：'integer'"),
    ((*COURSE, "facts", 0, "required"), "yes", "required 须为 true 或 false"),
    ((*COURSE, "facts", 0, "name"), "天数", "须为英文标识符"),
    ((*COURSE, "facts", 0, "max"), -1, "min 大于 max"),
    ((*COURSE, "fomula"), {}, "未知的键：fomula"),
    ((*COURSE, "subject"), "both", "subject 须为 public、professional、both"),
    ((*COURSE, "subject"), {"fact": "days"}, "须为 choice 类型"),
    ((*COURSE, "materials"), [["photo"]], "未定义的材料代码：photo"),
    ((*COURSE, "materials"), [[{"one_of": ["certificate"]}]], "两个以上代码"),
    ((*COURSE, "materials"), [[]], "须为非空的材料列表"),
    ((*COURSE, "counted_year"), "days", "须为 year/date 类型"),
    (("proration",), {"activity": "absence", "fact": "months"}, "proration.activity 不是本规则集的形式"),
])
def test_load_policy_rejects_malformed_data(minimal_data, path, value, message):
    _set(minimal_data, path, value)
    with pytest.raises(rules.PolicyDataError, match=message):
        rules.load_policy(minimal_data)


@pytest.mark.parametrize(("formula", "message"), [
    ({"kind": "table", "keys": ["days"], "table": {"one": 8}, "default": 0}, "键 'one' 与 keys"),
    ({"kind": "rank", "fact": "days", "steps": [[1, 60]], "beyond": 10}, "须设 min ≥ 1"),
    ({"kind": "full_year", "min_months": 6, "months_fact": "days", "passed_fact": "days"}, "须为 bool 类型"),
    ({"kind": "stated"}, "缺少：fact"),
])
def test_load_policy_checks_formula_parameters(minimal_data, formula, message):
    minimal_data["activities"]["course"]["formula"] = formula
    with pytest.raises(rules.PolicyDataError, match=message):
        rules.load_policy(minimal_data)


def test_rank_steps_must_ascend(minimal_data):
    minimal_data["activities"]["course"]["facts"][0]["min"] = 1
    minimal_data["activities"]["course"]["formula"] = {"kind": "rank", "fact": "days", "steps": [[3, 30], [1, 60]], "beyond": 0}
    with pytest.raises(rules.PolicyDataError, match="名次递增"):
        rules.load_policy(minimal_data)


def test_load_policy_rejects_non_objects():
    with pytest.raises(rules.PolicyDataError, match="须为 JSON 对象"):
        rules.load_policy([])


# --- evaluate_case never raises -------------------------------------------------------------


GOOD_CASE = {"id": "paper-first", "policy": "hunan-2024", "kind": "credit", "activity": "paper",
             "facts": {"author_rank": 1}, "expect": {"public": 0, "professional": 30}}


def test_evaluate_case_compares_numerically(policies):
    result = rules.evaluate_case(GOOD_CASE | {"expect": {"public": 0.0, "professional": 30.0}}, policies)
    assert (result.ok, result.id, result.got, result.reason) == (True, "paper-first", {"public": 0, "professional": 30}, "")


def test_evaluate_case_reports_a_wrong_expectation(policies):
    result = rules.evaluate_case(GOOD_CASE | {"expect": {"public": 0, "professional": 60}}, policies)
    assert not result.ok
    assert result.expected == {"public": 0, "professional": 60}
    assert result.got == {"public": 0, "professional": 30}
    assert result.reason == "与预期不符：expect.professional"


def test_evaluate_case_year_check_with_proration(policies):
    case = {"id": "maternity", "policy": "henan-2024", "kind": "year_check",
            "facts": {"public": 15, "professional": 30, "months_away": 6},
            "expect": {"compliant": True, "shortfall": {"public": 0, "professional": 0, "total": 0},
                       "required": {"public": 15, "professional": 30, "total": 45}}}
    assert rules.evaluate_case(case, policies).ok
    wrong = rules.evaluate_case(case | {"expect": {"compliant": False, "shortfall": {"total": 1}}}, policies)
    assert (wrong.ok, wrong.reason) == (False, "与预期不符：expect.compliant、expect.shortfall.total")
    assert wrong.got == {"compliant": True, "shortfall": {"public": 0, "professional": 0, "total": 0}}


@pytest.mark.parametrize(("case", "reason"), [
    (GOOD_CASE | {"policy": "hunan-2099"}, "未知的规则集：'hunan-2099'"),
    (GOOD_CASE | {"activity": "poem"}, "未知的继续教育形式：'poem'"),
    (GOOD_CASE | {"facts": {"author_rank": "first"}}, "须为整数"),
    (GOOD_CASE | {"facts": {}}, "缺少必填项"),
    (GOOD_CASE | {"facts": [1]}, "须为键值对象"),
    (GOOD_CASE | {"kind": "audit"}, "未知的用例类型：'audit'"),
    (GOOD_CASE | {"expect": {"public": "0", "professional": 30}}, "expect.public 须为数字"),
    (GOOD_CASE | {"expect": {"professional": 30}}, "expect 缺少：public"),
    (GOOD_CASE | {"expect": None}, "expect 须为 JSON 对象"),
    (GOOD_CASE | {"id": 7}, "用例 id 须为非空字符串"),
    ({k: v for k, v in GOOD_CASE.items() if k != "activity"}, "缺少“activity”"),
    ({k: v for k, v in GOOD_CASE.items() if k != "facts"}, "用例 缺少：facts"),
    ({"id": "y", "policy": "hunan-2024", "kind": "year_check", "facts": {"public": 1}, "expect": {"compliant": True}},
     "facts 缺少：professional"),
    ({"id": "y", "policy": "hunan-2024", "kind": "year_check", "facts": {"public": 1, "professional": 2},
      "expect": {"compliant": "no"}}, "compliant 须为 true 或 false"),
    ({"id": "y", "policy": "hunan-2024", "kind": "year_check", "facts": {"public": 1, "professional": 2, "months_away": 6},
      "expect": {"compliant": False}}, "没有按在岗时间折算"),
    (["not", "a", "case"], "用例 须为 JSON 对象"),
    (None, "用例 须为 JSON 对象"),
])
def test_evaluate_case_turns_every_problem_into_a_failed_result(policies, case, reason):
    result = rules.evaluate_case(case, policies)
    assert not result.ok
    assert reason in result.reason
    assert result.got is None


def test_evaluate_case_survives_a_broken_policies_mapping():
    result = rules.evaluate_case(GOOD_CASE, {"hunan-2024": "not a policy"})
    assert not result.ok
    assert result.reason.startswith("内部错误：")


# --- evaluate_file ---------------------------------------------------------------------------


def test_evaluate_file_reports_each_case_in_order(tmp_path):
    path = tmp_path / "cases.json"
    path.write_text(json.dumps([GOOD_CASE, {"policy": "hunan-2024"}, GOOD_CASE | {"id": "wrong", "expect": {
        "public": 1, "professional": 30}}]), encoding="utf-8")
    results = rules.evaluate_file(path)
    assert [(r.id, r.ok) for r in results] == [("paper-first", True), ("第 2 条", False), ("wrong", False)]


@pytest.mark.parametrize(("content", "message"), [
    ('[{"id": "x",}]', "不是有效的 JSON：第 1 行第 13 列"),
    ('{"id": "x"}', "顶层须为用例列表"),
])
def test_evaluate_file_rejects_malformed_files(tmp_path, content, message):
    path = tmp_path / "cases.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(rules.CasesFileError, match=message):
        rules.evaluate_file(path)


def test_evaluate_file_reports_a_missing_file(tmp_path):
    with pytest.raises(rules.CasesFileError, match="无法读取用例文件"):
        rules.evaluate_file(tmp_path / "absent.json")


# --- issue 16: policy corrections ----------------------------------------------------------

# 三援 (notice: "超过1年以上的，考核合格者视为完成外派期间所有年度继续教育90学时"): worked cases in
# the shared cases format, kept here rather than in the shared file.
def aid_case(case_id, months, start_date, end_date, year, *, earned=True):
    """A passed 三援 assignment under hunan-2024 that earns the year's 30 + 60 hours, or nothing."""
    return {
        "id": case_id, "policy": "hunan-2024", "kind": "credit", "activity": "aid_assignment",
        "facts": {"months": months, "passed": True, "start_date": start_date, "end_date": end_date, "year": year},
        "expect": {"public": 30, "professional": 60} if earned else {"public": 0, "professional": 0},
    }


AID_CASES = [
    aid_case("aid-over-a-year-first-year", 12, "2020-01-01", "2021-12-31", 2020),
    aid_case("aid-over-a-year-last-year", 12, "2020-01-01", "2021-12-31", 2021),
    aid_case("aid-over-a-year-short-first-year", 3, "2023-10-01", "2025-03-31", 2023),
    aid_case("aid-six-months-within-a-year", 6, "2024-03-01", "2024-08-31", 2024),
    aid_case("aid-a-year-split-over-two-years", 6, "2023-07-01", "2024-06-30", 2024),
    aid_case("aid-five-months-in-the-year-earns-nothing", 5, "2023-08-01", "2024-05-31", 2024, earned=False),
]

# (case, the fact the refusal names, words of the message)
AID_REFUSALS = [
    # the 2020–2021 assignment that used to fill 2023 as well
    ({"months": 12, "passed": True, "start_date": "2020-01-01", "end_date": "2021-12-31", "year": 2023},
     "year", "计入年度2023年不在外派期间内"),
    ({"months": 6, "passed": True, "start_date": "2024-03-01", "end_date": "2024-08-31", "year": 2023},
     "year", "不在外派期间内"),
    # more months than the dates span in the year
    ({"months": 7, "passed": True, "start_date": "2024-03-01", "end_date": "2024-08-31", "year": 2024},
     "months", "在2024年内只有6个整月"),
    ({"months": 6, "passed": True, "start_date": "2024-03-15", "end_date": "2024-09-10", "year": 2024},
     "months", "只有5个整月"),
    ({"months": 4, "passed": True, "start_date": "2023-10-01", "end_date": "2025-03-31", "year": 2023},
     "months", "在2023年内只有3个整月"),
    ({"months": 12, "passed": True, "start_date": "2024-03-01", "end_date": "2024-08-31"},
     "months", "在任一年度内只有6个整月"),
]


@pytest.mark.parametrize("case", AID_CASES, ids=[c["id"] for c in AID_CASES])
def test_aid_assignment_worked_cases(case, policies):
    result = rules.evaluate_case(case, policies)
    assert result.ok, result.reason


@pytest.mark.parametrize(("facts", "fact", "words"), AID_REFUSALS)
def test_aid_assignment_credits_only_its_own_years_and_months(hunan, facts, fact, words):
    with pytest.raises(rules.RuleError, match=words) as error:
        rules.credit(hunan, "aid_assignment", facts)
    assert error.value.fact == fact


@pytest.mark.parametrize(("reason", "months", "ok"), [
    ("abroad", 6, False), ("abroad", 7, True), ("sick_leave", 6, False), ("sick_leave", 7, True),
    ("maternity", 3, True), ("other", 1, True),
])
def test_henan_abroad_and_sick_leave_must_pass_six_months(henan, reason, months, ok):
    facts = {"reason": reason, "months_away": months}
    if ok:
        assert hours(rules.credit(henan, "absence", facts)) == (0, 0)
        assert rules.absence_months(henan, [("absence", facts)]) == months
    else:
        with pytest.raises(rules.RuleError, match="须年度内超过6个月方可按在岗时间折算学时要求") as error:
            rules.credit(henan, "absence", facts)
        assert error.value.fact == "months_away"
        assert rules.absence_months(henan, [("absence", facts)]) == 0  # stored before the threshold: lowers nothing


def test_henan_absence_of_no_months_is_no_absence(henan):
    with pytest.raises(rules.RuleError, match="不能小于 1"):
        rules.credit(henan, "absence", {"reason": "maternity", "months_away": 0})


def test_henan_eight_months_abroad_prorates_by_the_time_at_post(henan):
    months = rules.absence_months(henan, [("absence", {"reason": "abroad", "months_away": 8})])
    required = rules.requirement(henan, months_away=months)
    assert (required.public, required.professional, required.total) == (10, 20, 30)


def test_hunan_offers_no_absence_and_no_proration(hunan):
    assert hunan.proration is None and "absence" not in hunan.activities


@pytest.mark.parametrize(("threshold", "words"), [
    ({"when": {"fact": "reason", "equals": "holiday"}, "more_than": 6}, "不是 reason 的有效取值"),
    ({"when": {"fact": "reason", "equals": "abroad"}, "more_than": 12}, "more_than 须为 0 到 11"),
    ({"when": {"fact": "months_away", "equals": 1}, "more_than": 6}, "须为 choice 类型"),
    ({"when": {"fact": "reason", "equals": "abroad"}}, "缺少：more_than"),
])
def test_proration_thresholds_are_validated(threshold, words):
    data = json.loads((DATA_DIR / "henan-2024.json").read_text(encoding="utf-8"))
    data["proration"]["thresholds"] = [threshold]
    with pytest.raises(rules.PolicyDataError, match=words):
        rules.load_policy(data)


@pytest.mark.parametrize(("activity", "facts", "year", "ok"), [
    ("training", {"days": 366, "half_days": 366}, None, False),
    ("training", {"days": 365, "half_days": 1}, 2023, False),
    ("training", {"days": 365, "half_days": 1}, 2024, True),
    ("conference", {"days": 200, "half_days": 166}, None, True),
    ("practice", {"days": 1, "half_days": 366}, None, False),
    ("overseas_exchange", {"days": 300, "half_days": 66}, 2023, False),
])
def test_a_day_based_item_takes_at_most_the_days_of_a_year(hunan, activity, facts, year, ok):
    facts = {"subject": "professional", **facts} | ({"year": year} if year else {})
    if ok:
        assert rules.credit(hunan, activity, facts).professional == 8 * facts["days"] + 4 * facts["half_days"]
    else:
        with pytest.raises(rules.RuleError, match="整天数与半天数合计") as error:
            rules.credit(hunan, activity, facts)
        assert error.value.fact == "days"
    assert rules.calendar_days(hunan, activity, facts) == facts["days"] + facts["half_days"]


def test_only_day_based_activities_count_calendar_days(hunan, henan):
    assert rules.calendar_days(hunan, "paper", {"author_rank": 1}) == 0
    assert rules.calendar_days(henan, "training", {"hours": 30}) == 0
    assert rules.days_in_year(2024) == 366 and rules.days_in_year(2023) == 365 and rules.days_in_year(None) == 366


@pytest.mark.parametrize(("raw", "words"), [
    (["title"], "须为 int 类型"), ([], "须为非空的填报项列表"), (["days", "days"], "有重复的填报项"),
])
def test_calendar_days_are_validated(hunan, raw, words):
    data = copy.deepcopy(hunan.data)
    data["activities"]["training"]["calendar_days"] = raw
    with pytest.raises(rules.PolicyDataError, match=words):
        rules.load_policy(data)


@pytest.mark.parametrize(("policy", "activity", "facts", "expected"), [
    ("hunan-2024", "paper", {"author_rank": 1, "title": "  湘西铅锌矿成矿规律研究 "}, ("work", ("湘西铅锌矿成矿规律研究",))),
    ("hunan-2024", "invention_patent", {"rank": 1, "number": "ZL202310001234.5"}, ("work", ("ZL202310001234.5",))),
    ("hunan-2024", "digital_exam", {"modules": 2}, ("year", ())),
    ("hunan-2024", "training", {"subject": "public", "days": 1, "half_days": 0}, None),
    ("henan-2024", "absence", {"reason": "sick_leave", "months_away": 7}, ("year", ("sick_leave",))),
])
def test_identity_of_an_item(policies, policy, activity, facts, expected):
    assert rules.identity(policies[policy], activity, facts) == expected


def test_the_identifying_fact_is_required_on_entry_not_to_compute_hours(hunan):
    with pytest.raises(rules.RuleError, match="同一项目只能申报一次") as error:
        rules.identity(hunan, "paper", {"author_rank": 1, "title": "   "})
    assert error.value.fact == "title"
    assert hours(rules.credit(hunan, "paper", {"author_rank": 1})) == (0, 30)  # the shared cases have no titles
    assert [s.name for s in rules.form_spec(hunan, "paper") if s.required] == ["author_rank", "title"]


@pytest.mark.parametrize(("raw", "words"), [
    ({"facts": [], "per": "work"}, "per 为 work 时不能为空"),
    ({"facts": ["title"], "per": "decade"}, "per 须为"),
    ({"facts": ["abroad"], "per": "work"}, "须为 text/choice/int 类型"),
    ({"facts": ["title", "title"], "per": "work"}, "有重复的填报项"),
    ({"facts": ["title"]}, "缺少：per"),
])
def test_identity_is_validated(hunan, raw, words):
    data = copy.deepcopy(hunan.data)
    data["activities"]["paper"]["identity"] = raw
    with pytest.raises(rules.PolicyDataError, match=words):
        rules.load_policy(data)


def test_henan_other_is_determined_by_the_reviewing_organisation(henan):
    result = rules.credit(henan, "other", {"title": "援企稳岗技术指导", "year": 2024})
    assert (hours(result), result.subject, result.determined_by) == ((0, 0), "professional", ("bureau", "provincial_department"))
    assert rules.credits_nothing_by_rule(henan, "other") and rules.credits_nothing_by_rule(henan, "absence")
    assert not rules.credits_nothing_by_rule(henan, "training")
    set_ = rules.determined_credit(henan, "other", {"title": "援企稳岗技术指导"}, Decimal("12.5"))
    assert hours(set_) == (0, Decimal("12.5"))
    with pytest.raises(rules.RuleError, match="没有这些填报项：hours"):  # the applicant no longer types them
        rules.credit(henan, "other", {"title": "援企稳岗技术指导", "hours": 30})


@pytest.mark.parametrize("value", [Decimal("-1"), Decimal("1000.5"), Decimal("1.25"), "12", 12.0, None, True])
def test_determined_hours_are_bounded(henan, value):
    with pytest.raises(rules.RuleError, match="核定学时须为 0 到 1000"):
        rules.determined_credit(henan, "other", {"title": "X"}, value)


def test_only_determined_activities_take_a_reviewers_hours(henan):
    with pytest.raises(rules.RuleError, match="不由审核单位核定"):
        rules.determined_credit(henan, "training", {"hours": 10}, 10)


@pytest.mark.parametrize(("formula", "words"), [
    ({"kind": "determined", "by": ["unit"], "max": 90}, "by 须为非空列表"),
    ({"kind": "determined", "by": [], "max": 90}, "by 须为非空列表"),
    ({"kind": "determined", "by": ["bureau"], "max": 0}, "max 须大于 0"),
    ({"kind": "determined", "by": ["bureau"]}, "缺少：max"),
])
def test_determined_formula_is_validated(henan, formula, words):
    data = copy.deepcopy(henan.data)
    data["activities"]["other"]["formula"] = formula
    with pytest.raises(rules.PolicyDataError, match=words):
        rules.load_policy(data)


def test_hours_facts_name_what_the_hours_come_from(hunan, henan):
    assert rules.hours_facts(hunan, "training") == ("days", "half_days")
    assert rules.hours_facts(hunan, "paper") == ("author_rank",)
    assert rules.hours_facts(hunan, "research_project") == ("level", "role")
    assert rules.hours_facts(hunan, "aid_assignment") == ("months", "passed")
    assert rules.hours_facts(henan, "training") == ("hours",)
    assert rules.hours_facts(henan, "absence") == () == rules.hours_facts(henan, "other")


def test_the_year_an_item_is_declared_in_is_its_counted_year_unless_given(hunan):
    facts = {"months": 12, "passed": True, "start_date": "2020-01-01", "end_date": "2021-12-31"}
    assert rules.credit(hunan, "aid_assignment", facts, in_year=2021).year == 2021
    with pytest.raises(rules.RuleError, match="计入年度2023年不在外派期间内"):
        rules.credit(hunan, "aid_assignment", facts, in_year=2023)
    assert rules.credit(hunan, "aid_assignment", facts | {"year": 2020}, in_year=2023).year == 2020  # given: kept
    with pytest.raises(rules.RuleError, match="2023年共365天"):
        rules.credit(hunan, "training", training(days=300, half_days=66), in_year=2023)
