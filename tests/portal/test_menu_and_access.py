"""Each role sees its own menu entries, may open them, and is refused another role's pages."""
import pytest
from django.urls import reverse

from accounts.models import Role, User
from workflow import jurisdiction
from tests.conftest import DEMO_ACCOUNTS
from tests.helpers import menu_links, text_of

pytestmark = pytest.mark.django_db

# The foundation's entries; the declaration, review and certificate pages add their own.
FOUNDATION_ENTRIES = {"单位人员确认", "下级单位", "辖区单位", "我的信息", "后台管理"}

EXPECTED_ENTRIES = {
    "applicant": {"我的信息"},
    "applicant_pending": {"我的信息"},
    "applicant_unit_admin": {"单位人员确认", "我的信息"},
    "unit_admin": {"单位人员确认", "我的信息"},
    "unit_and_dept_admin": {"单位人员确认", "下级单位", "我的信息"},
    "dept_admin": {"下级单位", "我的信息"},
    "bureau_clerk": {"辖区单位", "我的信息"},
    "city_bureau_clerk": {"辖区单位", "我的信息"},
    "sysadmin": {"我的信息", "后台管理"},
}

# The pages of one role each, and which demo accounts hold that role.
ROLE_PAGES = {
    "accounts:membership_queue": {"applicant_unit_admin", "unit_admin", "unit_and_dept_admin"},
    "accounts:subordinates": {"dept_admin", "unit_and_dept_admin"},
    "accounts:jurisdiction": {"bureau_clerk", "city_bureau_clerk"},
}


@pytest.fixture
def signed_in(demo, client):
    def as_kind(kind):
        client.force_login(demo.account(kind))
        return client

    return as_kind


def test_expectations_cover_every_demo_account():
    assert set(EXPECTED_ENTRIES) == set(DEMO_ACCOUNTS)


@pytest.mark.parametrize("kind", sorted(EXPECTED_ENTRIES))
def test_each_role_sees_exactly_its_menu_entries(signed_in, kind):
    links = menu_links(signed_in(kind).get(reverse("portal:home")))
    labels = [label for label, _ in links]
    assert labels[0] == "首页"
    assert set(labels) & FOUNDATION_ENTRIES == EXPECTED_ENTRIES[kind]


def test_the_menu_marks_the_open_page(signed_in):
    html = signed_in("dept_admin").get(reverse("accounts:subordinates")).content.decode()
    assert f'<a href="{reverse("accounts:subordinates")}" aria-current="page" class="active">下级单位</a>' in html


def test_anonymous_visitors_get_no_menu(client, db):
    response = client.get(reverse("accounts:login"))
    assert menu_links(response) == []


@pytest.mark.parametrize("kind", sorted(EXPECTED_ENTRIES))
def test_every_menu_entry_opens_and_every_hidden_one_is_refused(demo, client, kind):
    """Menu and permissions agree: what a role is shown opens, what it is not shown does not.
    Covers entries added later too, since it reads each role's menu from the page."""
    all_links = {}
    for other in EXPECTED_ENTRIES:
        client.force_login(demo.account(other))
        all_links.update(dict(menu_links(client.get(reverse("portal:home")))))

    client.force_login(demo.account(kind))
    own = dict(menu_links(client.get(reverse("portal:home"))))
    for label, url in all_links.items():
        response = client.get(url)
        if label in own:
            assert response.status_code == 200, (label, url, response.status_code)
        elif url.startswith(reverse("admin:index")):
            # Django's admin sends non-staff to its own login page rather than answering 403.
            assert response.status_code == 302 and response["Location"].startswith(reverse("admin:login")), label
        else:
            assert response.status_code == 403, (label, url, response.status_code)


@pytest.mark.parametrize("url_name, holders", sorted(ROLE_PAGES.items()))
@pytest.mark.parametrize("kind", sorted(EXPECTED_ENTRIES))
def test_role_pages_answer_403_in_chinese_to_other_roles(signed_in, url_name, holders, kind):
    response = signed_in(kind).get(reverse(url_name))
    if kind in holders:
        assert response.status_code == 200
    else:
        assert response.status_code == 403
        page = text_of(response)
        assert "无权访问" in page
        assert "您没有访问该页面的权限。如需办理此项业务，请使用具有相应角色的账号登录。" in page
        assert "返回首页" in page


@pytest.mark.parametrize(
    "url_name", ["portal:home", "accounts:profile", *ROLE_PAGES]
)
def test_anonymous_visitors_are_sent_to_the_login_page(client, db, url_name):
    url = reverse(url_name)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('accounts:login')}?next={url}"


def test_admin_site_is_for_the_sysadmin_only(signed_in):
    assert signed_in("sysadmin").get(reverse("admin:index")).status_code == 200
    response = signed_in("unit_and_dept_admin").get(reverse("admin:index"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("admin:login"))


def test_lists_show_the_right_organisations(signed_in):
    page = text_of(signed_in("dept_admin").get(reverse("accounts:subordinates")))
    assert "湖南省自然资源厅 · 下级单位" in page
    for name in ["湖南省地质院", "湖南省地质研究所", "湖南省地质测绘院"]:
        assert name in page
    assert "湖南师范大学" not in page

    page = text_of(signed_in("city_bureau_clerk").get(reverse("accounts:jurisdiction")))
    assert "长沙市人力资源和社会保障局 · 辖区单位" in page
    for name in ["长沙市卫生健康委员会", "长沙市第一医院", "长沙智造科技有限公司"]:
        assert name in page
    assert "湖南省地质院" not in page and "株洲市工程师协会" not in page

    page = text_of(signed_in("bureau_clerk").get(reverse("accounts:jurisdiction")))
    assert "湖南省地质院" in page and "长沙市第一医院" in page and "株洲市工程师协会" in page


def test_404_page_is_chinese(signed_in):
    response = signed_in("applicant").get("/no-such-page/")
    assert response.status_code == 404
    assert "页面不存在" in text_of(response)


# --- workflow.jurisdiction called directly on the demo province ---------------------------------


def _as(demo, login, *grants):
    """`login`'s account holding exactly `grants` ((role, organisation key-name) pairs), in that order."""
    user = demo.user(login)
    user._role_grants_cache = tuple((role, demo.org(name)) for role, name in grants)
    return user


def _units_of_people(q):
    return set(User.objects.filter(q).exclude(organisation=None).values_list("organisation__name", flat=True))


JYT, DZCL = "湖南省教育厅", "湖南省地质测绘院"
ZZ_BUREAU, CS_BUREAU = "株洲市人力资源和社会保障局", "长沙市人力资源和社会保障局"


@pytest.mark.parametrize("order", [1, -1])
def test_staff_reach_adds_up_every_grant_in_any_order(demo, order):
    user = _as(demo, "jyt_admin", *[(Role.DEPT_ADMIN, JYT), (Role.UNIT_ADMIN, DZCL)][::order])
    assert _units_of_people(jurisdiction.staff_q(user)) == {"湖南师范大学", "湖南省地质测绘院"}


def test_statistics_reach_adds_a_clerks_bureau_area_to_a_department(demo):
    user = _as(demo, "zz_clerk", (Role.DEPT_ADMIN, JYT), (Role.BUREAU_CLERK, ZZ_BUREAU))
    assert _units_of_people(jurisdiction.statistics_q(user)) == {"湖南师范大学", "株洲市工程师协会"}


def test_a_clerk_grant_on_a_unit_reaches_nothing(demo):
    user = _as(demo, "zz_clerk", (Role.BUREAU_CLERK, DZCL))
    assert _units_of_people(jurisdiction.statistics_q(user)) == set()


def test_a_bureau_clerk_declares_for_nobody(demo):
    assert _units_of_people(jurisdiction.declarable_q(demo.account("bureau_clerk"))) == set()


def test_an_administrator_without_the_applicant_role_cannot_declare_for_themselves(demo):
    admin = demo.account("dept_admin")
    assert jurisdiction.declaring_role(admin, admin) is None


def test_nobody_reviews_in_a_state_without_a_review_level(demo):
    assert jurisdiction.reviewer_at("draft", demo.org(DZCL).pk, demo.account("unit_admin")) is None


def test_a_city_clerk_cannot_revoke_what_another_city_approved(demo):
    assert jurisdiction.revoker(demo.org(ZZ_BUREAU), demo.account("city_bureau_clerk")) is None
    assert jurisdiction.revoker(demo.org(CS_BUREAU), demo.account("city_bureau_clerk")) == (
        Role.BUREAU_CLERK, demo.org(CS_BUREAU))


def test_an_applicant_cannot_submit_someone_elses_own_declaration(demo):
    from types import SimpleNamespace

    other = demo.user("430121198511291051")
    declaration = SimpleNamespace(declared_by_id=None, applicant_id=other.pk, organisation=other.organisation)
    assert jurisdiction.submitter(declaration, demo.account("applicant")) is None
    assert jurisdiction.submitter(declaration, other) == (Role.APPLICANT, other.organisation)
