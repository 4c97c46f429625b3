"""代为申报: the unit or department administrator declaring for a staff member sees the member's
证件号码 and 手机号码 masked, on the new declaration's form and on the 申报信息 edit page; the
number kept on file is saved unless the administrator types a new one. The expected strings are
written out as users read them."""
from django.urls import reverse

from hours.models import Declaration
from tests.helpers import text_of
from tests.hours.fixtures_views import *  # noqa: F401,F403
from tests.hours.fixtures_views import form_data_for_new

ZHAO_ID, ZHAO_ID_MASKED = "430121198511291051", "4301**********1051"
ZHAO_PHONE, ZHAO_PHONE_MASKED = "18899098792", "188****8792"


def declare_for_zhao(client, p, **overrides):
    client.force_login(p.chen)
    data = form_data_for_new(name="赵金强", phone=ZHAO_PHONE_MASKED, **overrides)
    response = client.post(reverse("hours:proxy_new", args=[p.zhao.pk]), data)
    assert response.status_code == 302, response.context["form"].errors
    return Declaration.objects.get(applicant=p.zhao, declared_by=p.chen)


def test_the_proxy_form_shows_the_staff_members_numbers_masked(client, p):
    assert (p.zhao.id_number, p.zhao.phone) == (ZHAO_ID, ZHAO_PHONE)
    client.force_login(p.chen)
    response = client.get(reverse("hours:proxy_new", args=[p.zhao.pk]))
    html = response.content.decode()
    assert ZHAO_ID not in html and ZHAO_PHONE not in html
    assert f'value="{ZHAO_ID_MASKED}"' in html and f'value="{ZHAO_PHONE_MASKED}"' in html
    assert "号码已部分隐藏；不修改则保留原号码" in text_of(response)


def test_the_masked_number_sent_back_keeps_the_number_on_file(client, p):
    declaration = declare_for_zhao(client, p)
    assert declaration.phone == ZHAO_PHONE


def test_the_edit_page_masks_both_numbers_for_the_proxy(client, p):
    declaration = declare_for_zhao(client, p)
    for name in ("hours:declaration_applicant_edit", "hours:declaration_edit"):
        html = client.get(reverse(name, args=[declaration.pk])).content.decode()
        assert ZHAO_ID not in html and ZHAO_PHONE not in html, name
        assert ZHAO_ID_MASKED in html, name
    html = client.get(reverse("hours:declaration_applicant_edit", args=[declaration.pk])).content.decode()
    assert f'value="{ZHAO_PHONE_MASKED}"' in html


def test_the_proxy_may_type_a_new_number_and_a_wrong_one_is_refused(client, p):
    declaration = declare_for_zhao(client, p)
    url = reverse("hours:declaration_applicant_edit", args=[declaration.pk])
    response = client.post(url, form_data_for_new(phone="188****0000"))
    assert response.status_code == 200 and "phone" in response.context["form"].errors
    declaration.refresh_from_db()
    assert declaration.phone == ZHAO_PHONE
    assert client.post(url, form_data_for_new(phone="13907310001")).status_code == 302
    declaration.refresh_from_db()
    assert declaration.phone == "13907310001"


def test_the_applicant_sees_their_own_number_in_full(client, p):
    client.force_login(p.zhao)
    html = client.get(reverse("hours:declaration_new")).content.decode()
    assert f'value="{ZHAO_PHONE}"' in html


def test_the_staff_list_masks_numbers(client, p):
    client.force_login(p.chen)
    html = client.get(reverse("hours:proxy_list"), {"q": "赵金强"}).content.decode()
    assert ZHAO_ID_MASKED in html and ZHAO_ID not in html and ZHAO_PHONE not in html
