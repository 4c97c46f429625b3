"""The home page of each role and the list pages run a fixed number of queries, whether the
lists hold 2 rows or 30 (no query per row)."""
import pytest
from django.urls import reverse

from accounts import services
from accounts.models import Organisation, Role, User
from tests.helpers import SESSION_QUERIES, assert_database_query_count, make_bureau, make_department, make_person, make_staff, make_unit

pytestmark = pytest.mark.django_db


class World:
    """A province with two rows in every list, grown to thirty by `grow()`, all through the services."""

    def __init__(self):
        self.bureau = make_bureau(name="湖南省人力资源和社会保障厅")
        self.department = make_department(name="湖南省自然资源厅", bureau=self.bureau)
        self.unit = make_unit(name="湖南省地质院", parent=self.department)
        self.accounts = {
            "unit_admin": make_staff(username="unit_admin", role=Role.UNIT_ADMIN, organisation=self.unit),
            "dept_admin": make_staff(username="dept_admin", role=Role.DEPT_ADMIN, organisation=self.department),
            "bureau_clerk": make_staff(username="bureau_clerk", role=Role.BUREAU_CLERK, organisation=self.bureau),
            "sysadmin": make_staff(username="sysadmin", role=Role.SYSADMIN),
        }
        self.applicant = self.accounts["applicant"] = make_person(organisation=self.unit, name="宋庆涛")
        services.membership_confirm(membership=self.applicant.memberships.get(), actor=self.accounts["unit_admin"])
        # administers the other units, which turn the applicant down one after another
        self.other_admin = make_staff(username="other_admin", role=Role.UNIT_ADMIN, organisation=self.unit)
        make_person(organisation=self.unit, name="待确认人员")
        self.add(1)

    def add(self, n):
        """n more of each row: a pending person of the unit, a unit below the department (and so
        in the bureau's jurisdiction), a unit that turned the applicant down."""
        for _ in range(n):
            make_person(organisation=self.unit, name="待确认人员")
            other = make_unit(name=f"下属单位{Organisation.objects.count()}", parent=self.department)
            services.role_grant(user=self.other_admin, role=Role.UNIT_ADMIN, organisation=other)
            request = services.membership_request(person=self.applicant, organisation=other)
            services.membership_reject(membership=request, actor=self.other_admin, reason="不是本单位")

    def grow(self):
        self.add(28)


@pytest.fixture
def world():
    return World()


def assert_constant(client, world, kind, url, count):
    """`count` queries on a second look at the page, before and after the world grows (the first
    look reads what the pages keep in the cache: the bureaus' tree and the filing windows)."""
    client.force_login(world.accounts[kind])
    client.get(url)
    with assert_database_query_count(count + SESSION_QUERIES):
        assert client.get(url).status_code == 200
    world.grow()
    client.force_login(world.accounts[kind])
    client.get(url)
    with assert_database_query_count(count + SESSION_QUERIES):
        assert client.get(url).status_code == 200


# The signed-in person (account, unit, role grants) comes from the cache (accounts/identity.py), as
# the session does in production, with an applicant's unit. The applicant's 5: the last two are the year meter's (certificates/records.py home_standing): the
# PersonYear rows of this year and the five before it, and the reference rule set for years with none.
# The reviewers' 督办 counts read the bureaus' tree and the filing windows from the cache, not the
# unit's bureau, the bureaus above it and the windows from the database (3 queries; a bureau's 2).
@pytest.mark.parametrize(
    "kind, count",
    [("applicant", 5), ("unit_admin", 3), ("dept_admin", 2), ("bureau_clerk", 2), ("sysadmin", 0)],
)
def test_home_page(client, world, kind, count):
    assert_constant(client, world, kind, reverse("portal:home"), count)


@pytest.mark.parametrize(
    "kind, url_name, count",
    [
        ("unit_admin", "accounts:membership_queue", 2),
        ("dept_admin", "accounts:subordinates", 2),
        ("bureau_clerk", "accounts:jurisdiction", 2),
        ("applicant", "accounts:profile", 1),
    ],
)
def test_list_pages(client, world, kind, url_name, count):
    assert_constant(client, world, kind, reverse(url_name), count)


def test_the_lists_really_grow(client, world):
    """The pages above show 2 rows at first and a full page of 15 after growing."""
    client.force_login(world.accounts["dept_admin"])
    assert "共2条" in client.get(reverse("accounts:subordinates")).content.decode()
    client.force_login(world.accounts["unit_admin"])
    assert "共2条" in client.get(reverse("accounts:membership_queue")).content.decode()
    assert world.applicant.memberships.count() == 2
    world.grow()
    client.force_login(world.accounts["dept_admin"])
    assert "共30条，显示1-15条" in client.get(reverse("accounts:subordinates")).content.decode()
    client.force_login(world.accounts["bureau_clerk"])
    assert "共31条，显示1-15条" in client.get(reverse("accounts:jurisdiction")).content.decode()
    client.force_login(world.accounts["unit_admin"])
    assert "共30条，显示1-15条" in client.get(reverse("accounts:membership_queue")).content.decode()
    assert world.applicant.memberships.count() == 30


def test_the_helper_lists_the_sql_when_the_count_differs(db, capsys):
    with pytest.raises(AssertionError) as caught:
        with assert_database_query_count(0):
            User.objects.filter(name="宋庆涛").count()
    message = str(caught.value)
    assert message.startswith("1 queries were run, 0 expected:")
    assert 'SELECT COUNT(*) AS "__count" FROM "accounts_user"' in message
    assert "1 queries were run" in capsys.readouterr().out
