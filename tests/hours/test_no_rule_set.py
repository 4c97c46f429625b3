"""No rule set in force — DEFAULT_RULE_SET names one that is switched off (in the database, or
before the admin refused it) or that does not exist: 新增学时核认申报 and 单位代为申报 say so
instead of answering 500, nothing is stored, and pages that only read a rule set still open."""
import pytest
from django.urls import reverse

from hours.models import Declaration, RuleSet
from tests.helpers import text_of
from tests.hours.fixtures_views import *  # noqa: F401,F403

NONE_IN_FORCE = "当前没有启用的学时折算规则，暂不能新增申报；请联系系统管理员。"


@pytest.fixture(params=["switched_off", "unknown_code"])
def no_rule_set(request, settings):
    if request.param == "switched_off":
        RuleSet.objects.filter(code="hunan-2024").update(is_active=False)
    else:
        settings.DEFAULT_RULE_SET = "hunan-2099"


@pytest.mark.parametrize("proxy", [False, True], ids=["own", "proxy"])
def test_a_new_declaration_says_no_rule_set_is_in_force(client, p, no_rule_set, proxy):
    user = p.chen if proxy else p.song
    url = reverse("hours:proxy_new", args=[p.zhao.pk]) if proxy else reverse("hours:declaration_new")
    client.force_login(user)
    page = client.get(url)
    assert page.status_code == 200 and NONE_IN_FORCE in text_of(page)
    response = client.post(url, form_data_for_new())
    assert response.status_code == 200 and NONE_IN_FORCE in text_of(response)
    assert not Declaration.objects.exists()


def test_the_certificate_page_still_opens(client, p, no_rule_set):
    client.force_login(p.song)
    response = client.get(reverse("certificates:print"), {"start_year": 2022, "end_year": 2022})
    assert response.status_code == 200
