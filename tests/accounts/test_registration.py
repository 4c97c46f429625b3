"""Self-registration of professionals on the 专业技术人员注册 page."""
import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from accounts import services
from accounts.forms import RegistrationForm
from accounts.models import Membership, MembershipStatus, Role, User
from tests.helpers import make_id_number, text_of

pytestmark = pytest.mark.django_db

REGISTER_URL = reverse("accounts:register")


def form_data(**overrides):
    data = {
        "id_number": "43012119900101123x",
        "name": "张晓明",
        "phone": "13907311234",
        "ethnicity": "汉族",
        "education": "大学本科",
        "organisation": "湖南省地质研究所",
        "password1": "Xueshi#2024",
        "password2": "Xueshi#2024",
    }
    data.update(overrides)
    return data


@pytest.fixture
def good_id_number():
    return make_id_number()


def test_register_page_shows_the_form(db, client):
    response = client.get(REGISTER_URL)
    assert response.status_code == 200
    page = text_of(response)
    for label in ["证件号码", "姓名", "联系电话", "民族", "最高学历", "单位名称", "密码", "确认密码"]:
        assert label in page


@pytest.mark.parametrize("unit_input", ["湖南省地质研究所", "124300004448915450", "124300004448915450 "])
def test_registering_signs_in_and_waits_for_the_unit(demo, client, good_id_number, unit_input):
    response = client.post(REGISTER_URL, form_data(id_number=good_id_number.lower(), organisation=unit_input), follow=True)
    assert response.redirect_chain == [(reverse("portal:home"), 302)]
    page = text_of(response)
    assert "注册成功，已提交给“湖南省地质研究所”的管理员确认。确认后即可申报学时。" in page
    assert "您加入“湖南省地质研究所”的申请正在等待该单位管理员确认，确认后即可申报学时。" in page

    user = User.objects.get(id_number=good_id_number.upper())
    assert client.session["_auth_user_id"] == str(user.pk)
    assert (user.name, user.phone, user.ethnicity, user.education) == ("张晓明", "13907311234", "汉族", "大学本科")
    assert user.organisation is None  # not until the unit confirms
    assert user.check_password("Xueshi#2024")
    assert list(user.role_grants.values_list("role", flat=True)) == [Role.APPLICANT]
    membership = Membership.objects.get(person=user)
    assert (membership.organisation.name, membership.status) == ("湖南省地质研究所", MembershipStatus.PENDING)


def test_the_new_person_signs_in_with_the_id_number(demo, client, good_id_number):
    client.post(REGISTER_URL, form_data(id_number=good_id_number))
    client.post(reverse("accounts:logout"))
    response = client.post(reverse("accounts:login"), {"username": good_id_number, "password": "Xueshi#2024"})
    assert response.status_code == 302 and response["Location"] == reverse("portal:home")


def assert_redisplayed_with(response, field, message):
    """The form comes back with the message beside the field and what was typed kept."""
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors[field] == [message], form.errors
    page = text_of(response)
    assert "请按提示修改标红的内容后重新提交。" in page
    assert message in page
    html = response.content.decode()
    for kept in ("id_number", "name", "phone", "organisation"):
        value = form.data[kept]
        if value:
            assert f'value="{value}"' in html, kept


@pytest.mark.parametrize(
    "overrides, field, message",
    [
        ({"id_number": "430121198805041016"}, "id_number", "证件号码校验位不正确，请核对后重新输入。"),
        ({"id_number": "4301211988050410"}, "id_number", "证件号码应为18位。"),
        ({"id_number": "430121198813041015"}, "id_number", "证件号码中的地区码或出生日期无效。"),
        ({"id_number": ""}, "id_number", "这个字段是必填项。"),
        ({"id_number": "430121198805041015"}, "id_number", "该证件号码已注册，请直接登录；如忘记密码，请在登录页点击“忘记密码”找回。"),
        ({"id_number": "43012119720808109x"}, "id_number", "该证件号码已注册，请直接登录；如忘记密码，请在登录页点击“忘记密码”找回。"),
        ({"phone": "1390731123"}, "phone", "联系电话格式不正确，请输入11位手机号码或带区号的固定电话。"),
        ({"phone": "84567890"}, "phone", "联系电话格式不正确，请输入11位手机号码或带区号的固定电话。"),
        ({"password2": "Xueshi#2025"}, "password2", "两次输入的密码不一致。"),
        ({"organisation": "不存在的单位"}, "organisation", "未找到该单位，请输入完整的单位名称或统一社会信用代码，或从提示中选择。"),
        ({"organisation": "湖南省地质"}, "organisation", "未找到该单位，请输入完整的单位名称或统一社会信用代码，或从提示中选择。"),
        # a bureau is not a place of work: it is not offered and not accepted
        ({"organisation": "湖南省人力资源和社会保障厅"}, "organisation", "未找到该单位，请输入完整的单位名称或统一社会信用代码，或从提示中选择。"),
        ({"organisation": "11430000006144358M"}, "organisation", "未找到该单位，请输入完整的单位名称或统一社会信用代码，或从提示中选择。"),
    ],
)
def test_bad_data_is_redisplayed_with_chinese_messages(demo, client, overrides, field, message):
    before = User.objects.count()
    response = client.post(REGISTER_URL, form_data(**overrides))
    assert_redisplayed_with(response, field, message)
    assert User.objects.count() == before
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize(
    "password, message",
    [
        ("Ab#1234", "密码长度太短。密码必须包含至少 8 个字符。"),
        ("20240101998", "密码只包含数字。"),
        ("password", "这个密码太常见了。"),
    ],
)
def test_weak_passwords_are_refused(demo, client, good_id_number, password, message):
    response = client.post(REGISTER_URL, form_data(id_number=good_id_number, password1=password, password2=password))
    assert response.status_code == 200
    assert message in response.context["form"].errors["password1"]
    assert message in text_of(response)
    assert not User.objects.filter(id_number=good_id_number).exists()


def test_a_password_like_the_name_or_id_number_is_refused(demo, client, good_id_number):
    response = client.post(REGISTER_URL, form_data(id_number=good_id_number, password1=good_id_number, password2=good_id_number))
    assert response.status_code == 200
    assert any("相似" in e for e in response.context["form"].errors["password1"])


def test_several_errors_are_shown_together(demo, client):
    response = client.post(REGISTER_URL, form_data(id_number="430121198805041016", phone="123", password2="x"))
    errors = response.context["form"].errors
    assert set(errors) == {"id_number", "phone", "password2"}
    page = text_of(response)
    assert "证件号码校验位不正确" in page and "联系电话格式不正确" in page and "两次输入的密码不一致。" in page


def test_signed_in_people_are_sent_home_from_registration(demo, client):
    client.force_login(demo.user("dzcl_admin"))
    response = client.get(REGISTER_URL)
    assert response.status_code == 302 and response["Location"] == reverse("portal:home")


def test_unit_suggestions_leave_out_bureaus(demo, client):
    response = client.get(reverse("accounts:organisation_suggest"), {"q": "湖南省"})
    names = [r["name"] for r in response.json()["results"]]
    assert "湖南省地质研究所" in names
    assert not [n for n in names if "人力资源和社会保障" in n]
    response = client.get(reverse("accounts:organisation_suggest"), {"q": "124300004448915450"})
    assert response.json()["results"] == [{"name": "湖南省地质研究所", "uscc": "124300004448915450"}]


# --- the same number registered twice: a second tab or a double click ------------------------------

ALREADY = "该证件号码已注册，请直接登录；如忘记密码，请在登录页点击“忘记密码”找回。"


@pytest.fixture
def form_check_missed(monkeypatch):
    """The other tab registers between this request's form check and its save."""
    monkeypatch.setattr(RegistrationForm, "clean_id_number", lambda form: form.cleaned_data["id_number"])


def test_a_registration_landing_between_the_check_and_the_save_is_a_form_error(demo, client, form_check_missed):
    number = make_id_number()
    assert client.post(REGISTER_URL, form_data(id_number=number)).status_code == 302
    second = Client()
    response = second.post(REGISTER_URL, form_data(id_number=number.lower(), phone="13907319999"))
    assert response.status_code == 200
    assert response.context["form"].errors["id_number"] == [ALREADY]
    assert User.objects.filter(id_number=number).count() == 1
    assert "_auth_user_id" not in second.session


def test_the_service_refuses_a_number_already_registered(demo):
    number = make_id_number()
    unit = demo.org("湖南省地质研究所")
    services.person_register(id_number=number, name="张晓明", phone="13907311234", password="Xueshi#2024", organisation=unit)
    with pytest.raises(ValidationError) as caught:
        services.person_register(id_number=number, name="张晓明", phone="13907311234", password="Xueshi#2024", organisation=unit)
    assert caught.value.message_dict == {"id_number": [ALREADY]}
