"""The signed-in person (account, unit, role grants) is read from the cache after the first page
(accounts/identity.py). Whatever changes them in another session or by an administrator shows on
that person's very next page: a role given or taken, the account stopped or its password changed,
a move to another unit, an organisation renamed or moved in the tree."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts import services
from accounts.models import Organisation, Role, RoleGrant, User
from tests.helpers import make_bureau, make_department, make_person, make_staff, make_unit, text_of

pytestmark = pytest.mark.django_db

SUBORDINATES = reverse("accounts:subordinates")
HOME = reverse("portal:home")
MEMBERSHIPS = reverse("accounts:membership_queue")


@pytest.fixture
def w():
    class World:
        pass

    w = World()
    w.bureau = make_bureau(name="湖南省人力资源和社会保障厅")
    w.other_bureau = make_bureau(name="长沙市人力资源和社会保障局", parent=w.bureau)
    w.department = make_department(name="湖南省自然资源厅", bureau=w.bureau)
    w.unit = make_unit(name="湖南省地质院", parent=w.department)
    w.second_unit = make_unit(name="湖南省测绘院", parent=w.department)
    w.dept_admin = make_staff(username="dept_admin", role=Role.DEPT_ADMIN, organisation=w.department)
    w.unit_admin = make_staff(username="unit_admin", role=Role.UNIT_ADMIN, organisation=w.unit)
    w.second_admin = make_staff(username="second_admin", role=Role.UNIT_ADMIN, organisation=w.second_unit)
    w.person = make_person(organisation=w.unit, name="宋庆涛")
    services.membership_confirm(membership=w.person.memberships.get(), actor=w.unit_admin)
    return w


def reads_of(captured, table):
    return [q["sql"] for q in captured.captured_queries if f'FROM "{table}"' in q["sql"]]


def test_a_second_page_reads_neither_the_account_nor_its_roles(client, w):
    client.force_login(w.dept_admin)
    with CaptureQueriesContext(connection) as first:
        assert client.get(SUBORDINATES).status_code == 200
    assert reads_of(first, "accounts_rolegrant")
    with CaptureQueriesContext(connection) as second:
        response = client.get(SUBORDINATES)
    assert response.status_code == 200 and "湖南省地质院" in text_of(response)
    assert not reads_of(second, "accounts_rolegrant")
    assert not [sql for sql in reads_of(second, "accounts_user") if f'"accounts_user"."id" = {w.dept_admin.pk}' in sql]


def test_a_role_taken_away_refuses_the_next_page(client, w):
    client.force_login(w.dept_admin)
    assert client.get(SUBORDINATES).status_code == 200
    services.role_remove(grant=RoleGrant.objects.get(user=w.dept_admin))
    response = client.get(SUBORDINATES)
    assert response.status_code == 403
    assert "湖南省地质院" not in text_of(response)


def test_a_role_given_opens_its_pages_at_once(client, w):
    client.force_login(w.person)
    assert client.get(MEMBERSHIPS).status_code == 403
    services.role_grant(user=User.objects.get(pk=w.person.pk), role=Role.UNIT_ADMIN, organisation=w.second_unit)
    assert client.get(MEMBERSHIPS).status_code == 200


def test_a_stopped_account_is_signed_out_at_the_next_page(client, w):
    client.force_login(w.dept_admin)
    assert client.get(SUBORDINATES).status_code == 200
    account = User.objects.get(pk=w.dept_admin.pk)
    account.is_active = False
    account.save()
    response = client.get(SUBORDINATES)
    assert response.status_code == 302 and response.url.startswith(reverse("accounts:login"))


def test_a_password_changed_elsewhere_ends_this_session(client, w):
    client.force_login(w.dept_admin)
    assert client.get(SUBORDINATES).status_code == 200
    account = User.objects.get(pk=w.dept_admin.pk)
    account.set_password("另一个Passw0rd!")
    account.save()
    response = client.get(SUBORDINATES)
    assert response.status_code == 302 and response.url.startswith(reverse("accounts:login"))


def test_confirmed_at_another_unit_the_home_page_shows_it(client, w):
    client.force_login(w.person)
    assert "工作单位 湖南省地质院" in text_of(client.get(HOME))
    membership = services.membership_request(person=w.person, organisation=w.second_unit)
    services.membership_confirm(membership=membership, actor=w.second_admin)
    assert "工作单位 湖南省测绘院" in text_of(client.get(HOME))


def test_a_renamed_organisation_shows_on_the_next_page(client, w):
    client.force_login(w.person)
    assert "工作单位 湖南省地质院" in text_of(client.get(HOME))
    unit = Organisation.objects.get(pk=w.unit.pk)
    unit.name = "湖南省地质调查院"
    unit.save()
    assert "工作单位 湖南省地质调查院" in text_of(client.get(HOME))


def test_a_department_moved_in_the_tree_still_sees_its_units(client, w):
    """treebeard rewrites the paths by update(), which no save signal reports: the department's
    administrator, whose jurisdiction is the department's path, must read the new one."""
    client.force_login(w.dept_admin)
    assert "湖南省地质院" in text_of(client.get(SUBORDINATES))
    old_path = Organisation.objects.get(pk=w.department.pk).path
    Organisation.objects.move(Organisation.objects.get(pk=w.department.pk), Organisation.objects.get(pk=w.other_bureau.pk), "last-child")
    assert Organisation.objects.get(pk=w.department.pk).path != old_path
    page = text_of(client.get(SUBORDINATES))
    assert "湖南省地质院" in page and "湖南省测绘院" in page


def test_a_page_that_read_the_account_before_a_role_was_taken_cannot_keep_it(client, w, monkeypatch):
    """Another request read the account and its grants; the role is taken away and committed before
    that request writes its entry. The entry it then writes carries the stamp it read first, which
    the removal replaced: the next page reads the database again, and is refused."""
    from accounts import identity

    client.force_login(w.dept_admin)
    backend = identity.cache._connections[identity.cache._alias]  # the cache itself, not its proxy
    write = backend.set
    removed = []

    def late_write(key, value, *args, **kwargs):
        if key == identity.ENTRY_KEY.format(w.dept_admin.pk) and not removed:
            removed.append(True)
            services.role_remove(grant=RoleGrant.objects.get(user=w.dept_admin))  # meanwhile, elsewhere
        return write(key, value, *args, **kwargs)

    monkeypatch.setattr(backend, "set", late_write)
    assert client.get(SUBORDINATES).status_code == 200  # this page was drawn before the removal
    assert client.get(SUBORDINATES).status_code == 403


def test_the_profile_form_saves_only_its_own_fields(client, w):
    """The account on the request came from the cache: saving 我的信息 writes its four fields and
    leaves the rest as the database has them (an administrator's change made meanwhile stays)."""
    client.force_login(w.person)
    client.get(reverse("accounts:profile"))
    User.objects.filter(pk=w.person.pk).update(must_change_password=True, title="高级工程师")
    response = client.post(reverse("accounts:profile"), {"profile-phone": "13800138000", "profile-email": "",
                                                         "profile-ethnicity": "汉族", "profile-education": ""})
    assert response.status_code == 302
    person = User.objects.get(pk=w.person.pk)
    assert person.phone == "13800138000"
    assert person.must_change_password and person.title == "高级工程师"
