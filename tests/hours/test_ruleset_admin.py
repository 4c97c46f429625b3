"""The rule sets in the admin: readable (summary table, JSON), editable as JSON by superusers only,
every save validated by the engine and recorded (who, when, before, after); the change record is
read-only."""
import copy
import json

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from hours import rules
from hours.models import RuleSet, RuleSetChange
from hours.policies import policy_for, stored_policies
from hours.rulesets import rule_set_create, rule_set_update
from tests.helpers import SESSION_QUERIES, assert_database_query_count, text_of

pytestmark = pytest.mark.django_db

TRAINING = "培训班、研修班、进修班"


@pytest.fixture
def hunan():
    return RuleSet.objects.get(code="hunan-2024")


@pytest.fixture
def superuser(django_user_model):
    return django_user_model.objects.create_superuser("root", password="x", name="系统管理员")


@pytest.fixture
def staff(django_user_model):
    return django_user_model.objects.create_user("staff", password="x", name="后台人员", is_staff=True)


def change_url(rule_set):
    return reverse("admin:hours_ruleset_change", args=[rule_set.pk])


def edited(rule_set, **changes):
    """A deep copy of the rule set's data with the training activity's keys replaced."""
    data = copy.deepcopy(rule_set.data)
    data["activities"]["training"].update(changes)
    return data


def post_data(client, rule_set, data, note="", is_active=True):
    text = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)
    form = {"data": text, "note": note, "_save": "保存"}
    if is_active:
        form["is_active"] = "on"
    return client.post(change_url(rule_set), form)


# --- reading -------------------------------------------------------------------------------------


def test_superuser_sees_the_rule_sets_listed(client, superuser):
    client.force_login(superuser)
    client.get(reverse("admin:hours_ruleset_changelist"))  # the signed-in person read into the cache
    with assert_database_query_count(SESSION_QUERIES + 5):
        response = client.get(reverse("admin:hours_ruleset_changelist"))
    assert response.status_code == 200
    page = response.content.decode()
    for text in ("学时折算规则", "hunan-2024", "henan-2024", "湖南省2024年继续教育学时折算细则", "规则编码", "启用"):
        assert text in page


def test_change_page_shows_a_readable_summary_and_the_json(client, superuser, hunan):
    client.force_login(superuser)
    response = client.get(change_url(hunan))
    assert response.status_code == 200
    page = response.content.decode()
    for text in (
        "学习形式与折算一览",
        "年度学时要求：公需科目 30 学时，专业科目 60 学时，合计 90 学时",
        TRAINING,
        "“整天数” × 8 + “半天数” × 4 学时",
        "按填报项“科目类别”",
        "省（部）级及以上·主持人：60 学时",  # research_project, a table formula
        "第 2–3 名：30 学时",  # invention_patent, a rank formula
        "当年外派满 6 个月或外派超过一年且考核合格",  # aid_assignment, full_year
        "培训通知",
        "专业科目",
        "规则数据（JSON）",
        "修改说明",
        "初始载入 hunan-2024.json",  # the change record of migration 0002
    ):
        assert text in page, text
    # The JSON in its textarea, indented, Chinese as it is (escaped as the Jinja2 widget escapes).
    assert '\n      &#34;label&#34;: &#34;培训班、研修班、进修班&#34;,' in page


def test_summary_states_the_limits_and_who_determines_hours(client, superuser, hunan):
    client.force_login(superuser)
    page = text_of(client.get(change_url(hunan)))
    for text in ("同一“论文题目”每人每年度只能申报一次", "同一“专利号”每人每年度只能申报一次", "每年度只能申报一次",
                 "“整天数”与“半天数”合计不超过全年天数"):
        assert text in page, text
    page = text_of(client.get(change_url(RuleSet.objects.get(code="henan-2024"))))
    for text in ("（境外工作须超过 6 个月、病假须超过 6 个月）", "由审核中的人社部门或省业务主管部门核定（0–1000 学时），核定前计 0 学时",
                 "每年度每种“情形”只能申报一次"):
        assert text in page, text


def test_summary_escapes_what_the_data_says(client, superuser, hunan):
    rule_set_update(rule_set=hunan, data=edited(hunan, label="<script>alert(1)</script>"), user=superuser)
    client.force_login(superuser)
    page = client.get(change_url(hunan)).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


# --- editing -------------------------------------------------------------------------------------


def test_saving_edited_json_records_the_change_and_the_engine_sees_it(client, superuser, hunan):
    before = copy.deepcopy(hunan.data)
    assert policy_for(hunan).activities["training"].label == TRAINING
    client.force_login(superuser)

    response = post_data(client, hunan, edited(hunan, label="培训班（含研修班、进修班）"), note="改名称")

    assert response.status_code == 302, response.content.decode()
    change = RuleSetChange.objects.filter(rule_set=hunan).latest("changed_at", "id")
    assert (change.changed_by, change.note) == (superuser, "改名称")
    assert change.before == before
    assert change.after["activities"]["training"]["label"] == "培训班（含研修班、进修班）"
    hunan.refresh_from_db()
    assert hunan.data == change.after
    assert policy_for(hunan).activities["training"].label == "培训班（含研修班、进修班）"
    assert stored_policies()["hunan-2024"].activities["training"].label == "培训班（含研修班、进修班）"


def test_the_change_record_shows_the_difference(client, superuser, hunan):
    client.force_login(superuser)
    post_data(client, hunan, edited(hunan, label="培训班"), note="改名称")
    change = RuleSetChange.objects.filter(rule_set=hunan).latest("changed_at", "id")
    response = client.get(reverse("admin:hours_rulesetchange_change", args=[change.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert '-      &quot;label&quot;: &quot;培训班、研修班、进修班&quot;,' in page
    assert '+      &quot;label&quot;: &quot;培训班&quot;,' in page
    assert "保存" not in page  # read-only: no save buttons


@pytest.mark.parametrize(
    "data, message",
    [
        ("edit-formula", "formula.kind 未知：&#39;magic&#39;"),
        ("edit-code", "须与规则编码（hunan-2024）一致"),
        ('{"code": "hunan-2024", ', "不是有效的 JSON"),
        ('{"code": "hunan-2024", "year": NaN}', "不是有效的 JSON"),
        ("[1, 2]", "须为 JSON 对象"),
        ("edit-nul", "不能含有空字符"),
    ],
    ids=["unknown-formula-kind", "other-code", "broken-json", "nan", "not-an-object", "nul-character"],
)
def test_invalid_data_is_refused_and_nothing_changes(client, superuser, hunan, data, message):
    if data == "edit-formula":
        data = edited(hunan, formula={"kind": "magic"})
    elif data == "edit-nul":
        data = edited(hunan, note="培训\u0000班")
    elif data == "edit-code":
        data = dict(copy.deepcopy(hunan.data), code="hunan-2025")
    saved, changes = copy.deepcopy(hunan.data), RuleSetChange.objects.count()
    client.force_login(superuser)

    response = post_data(client, hunan, data)

    assert response.status_code == 200
    page = response.content.decode()
    assert "errornote" in page and message in page, page[page.find("errorlist"):][:600]
    hunan.refresh_from_db()
    assert hunan.data == saved
    assert RuleSetChange.objects.count() == changes


def test_switching_a_rule_set_off_is_recorded(client, superuser):
    henan = RuleSet.objects.get(code="henan-2024")  # not the one new declarations use
    client.force_login(superuser)
    response = post_data(client, henan, henan.data, is_active=False)
    assert response.status_code == 302
    henan.refresh_from_db()
    assert not henan.is_active
    assert "henan-2024" not in stored_policies()
    change = RuleSetChange.objects.filter(rule_set=henan).latest("changed_at", "id")
    assert change.note == "规则数据未变；停用" and change.before == change.after


IN_FORCE = "新增申报正在使用该规则集（DEFAULT_RULE_SET = hunan-2024），不能停用；请先在设置中改用其他规则集。"


def test_the_rule_set_new_declarations_use_cannot_be_switched_off(client, superuser, hunan):
    changes = RuleSetChange.objects.count()
    client.force_login(superuser)
    response = post_data(client, hunan, hunan.data, is_active=False)
    assert response.status_code == 200
    assert IN_FORCE in response.content.decode()
    hunan.refresh_from_db()
    assert hunan.is_active and RuleSetChange.objects.count() == changes
    with pytest.raises(rules.PolicyDataError) as caught:
        rule_set_update(rule_set=hunan, data=hunan.data, user=superuser, is_active=False)
    assert str(caught.value) == IN_FORCE
    assert client.get(reverse("admin:hours_ruleset_delete", args=[hunan.pk])).status_code == 403


def test_the_rule_set_in_force_follows_the_setting(client, superuser, hunan, settings):
    settings.DEFAULT_RULE_SET = "henan-2024"
    client.force_login(superuser)
    assert post_data(client, hunan, hunan.data, is_active=False).status_code == 302
    henan = RuleSet.objects.get(code="henan-2024")
    response = post_data(client, henan, henan.data, is_active=False)
    assert "新增申报正在使用该规则集（DEFAULT_RULE_SET = henan-2024），不能停用" in response.content.decode()


def test_superuser_adds_next_years_rule_set(client, superuser, hunan):
    data = dict(copy.deepcopy(hunan.data), code="hunan-2025", year=2025, name="湖南省2025年继续教育学时折算细则")
    client.force_login(superuser)
    response = client.post(
        reverse("admin:hours_ruleset_add"),
        {"data": json.dumps(data, ensure_ascii=False), "note": "", "is_active": "on", "_save": "保存"},
    )
    assert response.status_code == 302, response.content.decode()
    new = RuleSet.objects.get(code="hunan-2025")
    assert (new.name, new.region, new.year, new.data) == ("湖南省2025年继续教育学时折算细则", "湖南省", 2025, data)
    change = new.changes.get()
    assert (change.before, change.after, change.changed_by, change.note) == (None, data, superuser, "新建规则集")


def test_rule_sets_cannot_be_deleted(client, superuser, hunan):
    client.force_login(superuser)
    assert client.get(reverse("admin:hours_ruleset_delete", args=[hunan.pk])).status_code == 403


# --- who may open it -----------------------------------------------------------------------------


def test_staff_without_permission_cannot_open_it(client, staff, hunan):
    client.force_login(staff)
    assert client.get(reverse("admin:hours_ruleset_changelist")).status_code == 403
    assert client.get(change_url(hunan)).status_code == 403
    assert client.get(reverse("admin:hours_rulesetchange_changelist")).status_code == 403


def test_ordinary_user_is_sent_to_the_admin_login(client, django_user_model, hunan):
    client.force_login(django_user_model.objects.create_user("someone", password="x", name="普通用户"))
    for url in (reverse("admin:hours_ruleset_changelist"), change_url(hunan)):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("admin:login"))


def test_staff_with_view_permission_reads_but_cannot_edit(client, staff, hunan):
    staff.user_permissions.add(Permission.objects.get(codename="view_ruleset"))
    client.force_login(staff)
    response = client.get(change_url(hunan))
    assert response.status_code == 200
    page = response.content.decode()
    assert TRAINING in page and "&quot;activities&quot;" in page
    assert "<textarea" not in page
    assert post_data(client, hunan, edited(hunan, label="改")).status_code == 403
    assert client.get(reverse("admin:hours_ruleset_add")).status_code == 403
    hunan.refresh_from_db()
    assert hunan.data["activities"]["training"]["label"] == TRAINING


def test_the_change_record_is_read_only_even_for_superusers(client, superuser, hunan):
    client.force_login(superuser)
    change = hunan.changes.get()
    client.get(reverse("admin:hours_rulesetchange_changelist"))  # the signed-in person read into the cache
    with assert_database_query_count(SESSION_QUERIES + 6):
        assert client.get(reverse("admin:hours_rulesetchange_changelist")).status_code == 200
    assert client.get(reverse("admin:hours_rulesetchange_add")).status_code == 403
    assert client.get(reverse("admin:hours_rulesetchange_delete", args=[change.pk])).status_code == 403
    response = client.post(reverse("admin:hours_rulesetchange_change", args=[change.pk]), {"note": "改写"})
    assert response.status_code == 403
    change.refresh_from_db()
    assert change.note == "初始载入 hunan-2024.json"


# --- the service the admin calls -----------------------------------------------------------------


def test_service_refuses_invalid_data_and_saves_nothing(superuser, hunan):
    saved = copy.deepcopy(hunan.data)
    with pytest.raises(rules.PolicyDataError, match="kind 未知"):
        rule_set_update(rule_set=hunan, data=edited(hunan, formula={"kind": "magic"}), user=superuser)
    with pytest.raises(rules.PolicyDataError, match="规则编码不可修改"):
        rule_set_update(rule_set=hunan, data=dict(saved, code="henan-2024"), user=superuser)
    with pytest.raises(rules.PolicyDataError, match="NaN"):
        rule_set_update(rule_set=hunan, data=dict(saved, source=float("nan")), user=superuser)
    with pytest.raises(rules.PolicyDataError, match="已存在"):
        rule_set_create(data=saved, user=superuser)
    hunan.refresh_from_db()
    assert hunan.data == saved and hunan.changes.count() == 1


def test_service_records_nothing_for_an_unchanged_save(superuser, hunan):
    rule_set_update(rule_set=hunan, data=copy.deepcopy(hunan.data), user=superuser, note="无变化")
    assert hunan.changes.count() == 1


def test_json_and_diffs_wrap_by_stylesheet_not_inline_style(client, superuser, hunan):
    """The Content-Security-Policy (style-src 'self') drops inline style attributes: wrapping comes from css/admin.css."""
    client.force_login(superuser)
    post_data(client, hunan, edited(hunan, label="培训班"), note="改名称")
    change = RuleSetChange.objects.filter(rule_set=hunan).latest("changed_at", "id")
    page = client.get(reverse("admin:hours_rulesetchange_change", args=[change.pk])).content.decode()
    assert page.count('<pre class="rule-json">') == 3  # the difference, before, after
    assert "css/admin.css" in page
    assert 'style="' not in page.split('id="content"', 1)[1]
