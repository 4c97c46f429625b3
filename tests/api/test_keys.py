"""接口密钥 in the portal: who may see, create and stop keys; the key shown once and only its digest
kept; a stopped key refused by the API; the list's queries fixed."""
import json
import re

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import AccountAction, AccountEvent, Organisation
from api import keys, services
from api.models import ApiKey
from tests.helpers import another_browser, assert_database_query_count, menu_links, text_of
from tests.strategies import typed_value

pytestmark = pytest.mark.django_db

HNDX = "湖南大学继续教育学院（省级专业技术人员继续教育基地）"
PROVINCE = "湖南省人力资源和社会保障厅"
DEMO_KEY = "xsk_demo0001_DemoKeyForTheReadmeOnly-NeverUseInProduction"


@pytest.fixture
def base(demo):
    return Organisation.objects.get(name=HNDX)


@pytest.fixture
def province(demo):
    return Organisation.objects.get(name=PROVINCE)


def signed_in(client, user):
    client.force_login(user)
    return client


def make(demo, base, province, name="学习平台"):
    return services.key_create(
        user=demo.user("hn_clerk"), organisation=base, name=name, subjects=["public"], bureau=province, source="training_base"
    )


def form(base, bureau, name="学习平台", subjects=("public", "professional")):
    return {"organisation": base.pk, "name": name, "subjects": list(subjects), "bureau": bureau.pk if bureau else "", "source": "training_base"}


def test_the_clerk_of_the_bases_bureau_creates_a_key_shown_once_and_kept_as_a_digest(client, demo, base, province):
    signed_in(client, demo.user("hn_clerk"))
    response = client.post(reverse("api_keys:new"), form(base, province))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    key = ApiKey.objects.get(name="学习平台")
    raw = response.context["raw"]
    assert raw in response.content.decode() and "这是该密钥唯一一次显示" in text_of(response)
    assert key.key_hash == keys.digest(raw) and raw not in json.dumps(list(ApiKey.objects.filter(pk=key.pk).values()), default=str)
    assert keys.authenticate(raw) == key and key.bureau == province and key.subjects == ["public", "professional"]
    # Neither the list nor the form again shows it; the audit trail names the prefix, never the key.
    for url in (reverse("api_keys:list"), reverse("api_keys:new")):
        page = client.get(url)
        assert raw not in page.content.decode()
    assert key.prefix in text_of(client.get(reverse("api_keys:list")))
    event = AccountEvent.objects.get(action=AccountAction.API_KEY_CREATE)
    assert event.details["prefix"] == key.prefix and event.organisation == base and raw not in json.dumps(event.details)


def test_sent_again_the_form_makes_no_second_key_and_shows_no_key(client, demo, base, province):
    signed_in(client, demo.user("hn_clerk"))
    first = client.post(reverse("api_keys:new"), form(base, province))
    again = client.post(reverse("api_keys:new"), form(base, province))
    assert again.status_code == 400 and "已有名为“学习平台”的有效密钥" in text_of(again)
    assert first.context["raw"] not in again.content.decode() and "xsk_" not in again.content.decode()
    assert ApiKey.objects.filter(name="学习平台").count() == 1


def test_a_clerk_cannot_issue_a_province_wide_key_nor_for_another_bureaus_base(client, demo, base, province):
    clerk = demo.user("hn_clerk")
    refused = signed_in(client, clerk).post(reverse("api_keys:new"), form(base, None))
    assert refused.status_code == 400 and "请选择报送辖区" in text_of(refused)
    with pytest.raises(PermissionDenied, match="只能报送本部门辖区"):
        services.key_create(user=clerk, organisation=base, name="全省", subjects=["public"], bureau=None, source="training_base")
    city_clerk = demo.user("cs_clerk")
    page = signed_in(client, city_clerk).get(reverse("api_keys:new"))
    assert HNDX not in text_of(page)
    refused = client.post(reverse("api_keys:new"), form(base, Organisation.objects.get(name="长沙市人力资源和社会保障局")))
    assert refused.status_code == 400 and not ApiKey.objects.filter(name="学习平台").exists()
    with pytest.raises(PermissionDenied, match="无权"):
        services.key_create(user=city_clerk, organisation=base, name="x", subjects=["public"], bureau=province, source="training_base")


def test_a_system_administrator_issues_a_province_wide_key_for_any_base(client, demo, base):
    response = signed_in(client, demo.user("sysadmin")).post(reverse("api_keys:new"), form(base, None, name="全省"))
    assert response.status_code == 200 and ApiKey.objects.get(name="全省").bureau is None
    assert "报送辖区 全省" in text_of(response)


def test_at_least_one_subject(client, demo, base, province):
    response = signed_in(client, demo.user("hn_clerk")).post(reverse("api_keys:new"), form(base, province, subjects=()))
    assert response.status_code == 400 and "请至少选择一个可报送科目" in text_of(response)
    with pytest.raises(Exception, match="至少选择一个"):
        services.key_create(user=demo.user("hn_clerk"), organisation=base, name="x", subjects=[], bureau=province, source="training_base")


@pytest.mark.parametrize("login, status", [("430121198805041015", 403), ("hndx_base_admin", 403), ("cs_clerk", 200)])
def test_who_else_sees_nothing(client, demo, base, province, login, status):
    key, _ = make(demo, base, province)
    signed_in(client, demo.user(login))
    page = client.get(reverse("api_keys:list"))
    assert page.status_code == status and key.prefix not in page.content.decode()
    assert client.get(reverse("api_keys:revoke", args=[key.pk])).status_code in (403, 404)
    assert client.post(reverse("api_keys:revoke", args=[key.pk])).status_code in (403, 404)
    key.refresh_from_db()
    assert key.is_active
    with pytest.raises(PermissionDenied):
        services.key_revoke(user=demo.user(login), key=key)


def test_stopping_asks_first_then_the_api_answers_401(client, demo, base, province):
    key, raw = make(demo, base, province)
    api = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    assert client.get(reverse("api:record_list"), **api).status_code == 200
    signed_in(client, demo.user("sysadmin"))
    confirm = client.get(reverse("api_keys:revoke", args=[key.pk]))
    assert "此操作不可恢复" in text_of(confirm) and key.prefix in text_of(confirm)
    key.refresh_from_db()
    assert key.is_active  # the page only asks
    done = client.post(reverse("api_keys:revoke", args=[key.pk]), follow=True)
    assert f"已停用{HNDX}的密钥 {key.prefix}" in text_of(done) and "已停用" in text_of(done)
    client.logout()
    refused = client.get(reverse("api:record_list"), **api)
    assert refused.status_code == 401 and "已停用" in refused.json()["detail"]
    event = AccountEvent.objects.get(action=AccountAction.API_KEY_REVOKE)
    assert event.actor == demo.user("sysadmin") and event.details["prefix"] == key.prefix


def test_stopping_twice_from_two_tabs_or_browsers_says_it_is_stopped(client, demo, base, province):
    key, _ = make(demo, base, province)
    clerk = demo.user("hn_clerk")
    signed_in(client, clerk)
    url = reverse("api_keys:revoke", args=[key.pk])
    client.get(url)
    other = another_browser(clerk)
    other.get(url)  # the second tab shows the confirmation too
    client.post(url)
    second = other.post(url, follow=True)
    assert second.status_code == 200 and f"密钥 {key.prefix}（学习平台）已于" in text_of(second)
    third = other.get(url, follow=True)
    assert "已停用" in text_of(third) and "确认停用" not in text_of(third)
    assert AccountEvent.objects.filter(action=AccountAction.API_KEY_REVOKE).count() == 1


def test_the_list_runs_the_same_queries_for_any_number_of_keys(client, demo, base, province):
    signed_in(client, demo.user("sysadmin"))
    url = reverse("api_keys:list")
    client.get(url)
    with CaptureQueriesContext(connection) as one_key:  # the demo's key
        client.get(url)
    for n in range(15):
        make(demo, base, province, name=f"密钥{n}")
    with assert_database_query_count(len(one_key.captured_queries)):
        page = client.get(url)
    assert "共16条" in text_of(page) and text_of(page).count("停用") >= 15


def test_no_keys_says_so(client, demo):
    ApiKey.objects.all().delete()
    page = signed_in(client, demo.user("hn_clerk")).get(reverse("api_keys:list"))
    assert "还没有接口密钥" in text_of(page)


def test_the_demo_key_reports_province_wide_for_the_demo_base(demo, base):
    key = keys.authenticate(DEMO_KEY)
    assert key.organisation == base and key.bureau is None and key.subjects == ["public", "professional"]


def test_the_menu_offers_the_page_to_clerks_and_administrators(client, demo):
    for login, shown in (("hn_clerk", True), ("sysadmin", True), ("430121198805041015", False), ("dzy_admin", False)):
        links = menu_links(signed_in(client, demo.user(login)).get(reverse("portal:home")))
        assert (reverse("api_keys:list") in str(links)) is shown, login


SURROGATE = re.compile("[\ud800-\udfff]")


@pytest.mark.parametrize("login", ["hn_clerk", "sysadmin"])
def test_whatever_is_typed_into_the_form_is_answered_never_500(client, demo, base, province, login):
    """Generated values in each field (the rest as a person fills it): a key is made only from a
    valid form, never a server error, never a key outside the user's reach."""
    signed_in(client, demo.user(login))
    fields = ("organisation", "name", "subjects", "bureau", "source")

    @settings(max_examples=40, deadline=None, database=None, derandomize=True, suppress_health_check=list(HealthCheck))
    @given(data=st.data())
    def attempt(data):
        values = form(base, province)
        for name in fields:
            if data.draw(st.booleans(), label=f"change {name}"):
                value = data.draw(st.one_of(typed_value(), st.lists(typed_value(), max_size=3)), label=name)
                values[name] = [SURROGATE.sub("\ufffd", v) if isinstance(v, str) else v for v in value] if isinstance(
                    value, list) else (SURROGATE.sub("\ufffd", value) if isinstance(value, str) else value)
        with transaction.atomic():
            before = ApiKey.objects.count()
            response = client.post(reverse("api_keys:new"), values)
            assert response.status_code in (200, 400), (values, response.status_code)
            made = ApiKey.objects.count() - before
            assert made == (1 if response.status_code == 200 else 0)
            if made:
                key = ApiKey.objects.latest("pk")
                assert key.organisation == base and key.subjects and (login == "sysadmin" or key.bureau == province)
            transaction.set_rollback(True)

    attempt()
