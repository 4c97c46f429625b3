"""Signing in: applicants with their 证件号码, staff with a username; each lands on its own home page."""
import pytest
from django.urls import reverse

from accounts.models import User
from tests.helpers import DEMO_PASSWORD, text_of

pytestmark = pytest.mark.django_db

LOGIN_URL = reverse("accounts:login")
WRONG_LOGIN = "证件号码（用户名）或密码不正确，请重新输入。"


def sign_in(client, login, password=DEMO_PASSWORD, **extra):
    return client.post(LOGIN_URL, {"username": login, "password": password, **extra}, follow=True)


def signed_in_user_id(client):
    return client.session.get("_auth_user_id")


@pytest.mark.parametrize(
    "login, name, home_text",
    [
        ("430121198805041015", "宋庆涛", ["专业技术人员", "您的工作单位：湖南省地质研究所。", "宋*涛", "4301**********1015", "188****8765"]),
        (" 430121198805041015 ", "宋庆涛", ["您的工作单位：湖南省地质研究所。"]),
        ("43012119720808109x", "王建国", ["您的工作单位：湖南省地质测绘院。", "4301**********109X"]),
        ("430121198810111372", "何磊", ["您加入“湖南省地质研究所”的申请正在等待该单位管理员确认，确认后即可申报学时。"]),
        ("430121197503121031", "陈立新", ["您的工作单位：湖南省地质研究所。", "用人单位 · 湖南省地质研究所"]),
        ("dzcl_admin", "罗建平", ["用人单位 · 湖南省地质测绘院", "统一社会信用代码", "12430000444890171Q", "待确认人员"]),
        ("dzy_admin", "黄海燕", ["用人单位 · 湖南省地质院", "主管部门/上级单位 · 湖南省地质院"]),
        ("zrzy_admin", "彭志刚", ["主管部门/上级单位 · 湖南省自然资源厅", "3 下级单位"]),
        ("hn_clerk", "刘晓华", ["人社部门 · 湖南省人力资源和社会保障厅", "辖区单位"]),
        ("cs_clerk", "周敏", ["人社部门 · 长沙市人力资源和社会保障局", "3 辖区单位"]),
        ("zz_clerk", "谭军", ["人社部门 · 株洲市人力资源和社会保障局", "1 辖区单位"]),
        ("sysadmin", "系统管理员", ["系统管理员", "进入后台管理"]),
    ],
)
def test_each_demo_account_signs_in_and_sees_its_home(demo, client, login, name, home_text):
    response = sign_in(client, login)
    assert response.redirect_chain == [(reverse("portal:home"), 302)]
    assert response.status_code == 200
    assert signed_in_user_id(client) == str(User.objects.get(name=name).pk)
    page = text_of(response)
    assert f"您好，{name}！" in page
    for text in home_text:
        assert text in page


HOME_HEADINGS = {
    "unit_admin": "用人单位 · ",
    "dept_admin": "主管部门/上级单位 · ",
    "bureau_clerk": "人社部门 · ",
    "sysadmin": "系统管理员",
}


def test_every_staff_account_of_the_demo_signs_in_by_username(demo, demo_data, client):
    for spec in demo_data["staff_accounts"]:
        response = sign_in(client, spec["username"])
        assert response.redirect_chain == [(reverse("portal:home"), 302)], spec["username"]
        page = text_of(response)
        assert f"您好，{spec['name']}！" in page
        organisation = next((o["name"] for o in demo_data["organisations"] if o["key"] == spec.get("organisation")), "")
        assert HOME_HEADINGS[spec["role"]] + organisation in page, spec
        client.post(reverse("accounts:logout"))


@pytest.mark.parametrize("login", ["hn_clerk", "dzy_admin", "430121198805041015"])
def test_home_shows_only_the_blocks_of_the_roles_held(demo, client, login):
    page = text_of(sign_in(client, login))
    blocks = {
        "专业技术人员": "您的工作单位" in page or "申请正在等待" in page,
        "用人单位": "用人单位 · " in page,
        "主管部门": "主管部门/上级单位 · " in page,
        "人社部门": "人社部门 · " in page,
        "系统管理员": "进入后台管理" in page,
    }
    expected = {
        "hn_clerk": {"人社部门"},
        "dzy_admin": {"用人单位", "主管部门"},
        "430121198805041015": {"专业技术人员"},
    }[login]
    assert {k for k, shown in blocks.items() if shown} == expected


@pytest.mark.parametrize(
    "login, password, message",
    [
        ("430121198805041015", "demo@2024", WRONG_LOGIN),  # wrong case
        ("dzcl_admin", "Demo@2025", WRONG_LOGIN),
        ("430121198805041016", DEMO_PASSWORD, WRONG_LOGIN),  # no such ID number
        ("nobody", DEMO_PASSWORD, WRONG_LOGIN),
        ("430121198805041015", "", "这个字段是必填项。"),
    ],
)
def test_wrong_credentials_show_a_chinese_error(demo, client, login, password, message):
    response = sign_in(client, login, password)
    assert response.status_code == 200
    assert response.redirect_chain == []
    page = text_of(response)
    assert "用户登录" in page
    assert message in page
    assert signed_in_user_id(client) is None


def test_wrong_password_keeps_the_login_typed(demo, client):
    response = sign_in(client, "dzcl_admin", "Demo@2025")
    assert WRONG_LOGIN in text_of(response)
    assert 'value="dzcl_admin"' in response.content.decode()


def test_an_inactive_account_is_refused(demo, client):
    song = demo.user("430121198805041015")
    # No service deactivates people yet (the system administrator does it in the admin site).
    User.objects.filter(pk=song.pk).update(is_active=False)
    response = sign_in(client, "430121198805041015")
    assert response.redirect_chain == []
    # The backend turns inactive accounts away before the password is judged, so the page says
    # no more than it would for a wrong password.
    assert WRONG_LOGIN in text_of(response)
    assert signed_in_user_id(client) is None


def test_login_follows_next_but_not_off_site(demo, client):
    response = sign_in(client, "dzcl_admin", next=reverse("accounts:membership_queue"))
    assert response.redirect_chain == [(reverse("accounts:membership_queue"), 302)]
    client.post(reverse("accounts:logout"))
    response = sign_in(client, "dzcl_admin", next="https://evil.example.com/")
    assert response.redirect_chain == [(reverse("portal:home"), 302)]


def test_signed_in_people_are_sent_home_from_the_login_page(demo, client):
    sign_in(client, "hn_clerk")
    response = client.get(LOGIN_URL)
    assert response.status_code == 302 and response["Location"] == reverse("portal:home")


def test_logout_ends_the_session(demo, client):
    sign_in(client, "hn_clerk")
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302 and response["Location"] == LOGIN_URL
    assert signed_in_user_id(client) is None
    response = client.get(reverse("portal:home"))
    assert response.status_code == 302 and response["Location"].startswith(LOGIN_URL)


def test_login_page_explains_who_uses_what(client, db):
    page = text_of(client.get(LOGIN_URL))
    assert "专业技术人员请使用证件号码登录" in page
    assert "专业技术人员注册" in page
