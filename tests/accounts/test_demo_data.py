"""The demo province that `manage.py load_demo` loads for trying the portal out."""
import pytest

from accounts.models import Membership, MembershipStatus, Organisation, OrganisationKind, Role, RoleGrant, User, within_q
from accounts.validators import validate_id_number, validate_phone, validate_uscc
from tests.helpers import DEMO_PASSWORD

pytestmark = pytest.mark.django_db


def test_demo_counts(demo, demo_data):
    assert Organisation.objects.count() == len(demo_data["organisations"]) == 16
    assert Organisation.objects.filter(kind=OrganisationKind.BUREAU).count() == 3
    assert Organisation.objects.filter(kind=OrganisationKind.DEPARTMENT).count() == 4
    assert Organisation.objects.filter(kind=OrganisationKind.TRAINING_BASE).count() == 1
    # 20 professionals who registered with their ID number, 15 staff accounts with a username
    assert User.objects.filter(id_number__isnull=False).count() == 20
    assert User.objects.filter(id_number__isnull=True).count() == 16
    assert RoleGrant.objects.filter(role=Role.APPLICANT).count() == 20
    assert Membership.objects.filter(status=MembershipStatus.ACTIVE).count() == 18
    assert set(
        Membership.objects.filter(status=MembershipStatus.PENDING).values_list("person__name", "organisation__name")
    ) == {("何磊", "湖南省地质研究所"), ("罗娟", "长沙市第一医院")}


def test_every_demo_identity_number_is_valid(demo):
    for user in User.objects.exclude(id_number=None):
        validate_id_number(user.id_number)
        validate_phone(user.phone)
        assert user.gender in {"男", "女"}
    for organisation in Organisation.objects.all():
        validate_uscc(organisation.uscc)
        validate_phone(organisation.contact_phone)


def test_every_demo_account_signs_in_with_the_demo_password(demo):
    for user in User.objects.all():
        assert user.check_password(DEMO_PASSWORD), user
        assert user.is_active


def test_demo_tree(demo):
    institute = demo.org("湖南省地质研究所")
    academy = demo.org("湖南省地质院")
    department = demo.org("湖南省自然资源厅")
    hn_bureau = demo.org("湖南省人力资源和社会保障厅")
    assert Organisation.objects.get_parent(institute) == academy
    assert Organisation.objects.get_parent(academy) == department
    assert department.is_root()
    assert [o.name for o in Organisation.objects.filter(within_q(department)).order_by("path")] == ["湖南省自然资源厅", "湖南省地质院", "湖南省地质研究所", "湖南省地质测绘院"]
    assert institute.bureau == academy.bureau == department.bureau == hn_bureau


def test_demo_bureaus(demo):
    hn_bureau = demo.org("湖南省人力资源和社会保障厅")
    assert [b.name for b in Organisation.objects.get_children(hn_bureau)] == [
        "长沙市人力资源和社会保障局",
        "株洲市人力资源和社会保障局",
    ]
    assert demo.org("长沙市第一医院").bureau.name == "长沙市人力资源和社会保障局"
    assert demo.org("株洲市工程师协会").bureau.name == "株洲市人力资源和社会保障局"
    assert all(o.bureau.is_bureau for o in Organisation.objects.exclude(kind=OrganisationKind.BUREAU))
    assert not Organisation.objects.filter(kind=OrganisationKind.BUREAU, bureau__isnull=False).exists()


def test_demo_people_and_roles(demo):
    song = demo.user("430121198805041015")
    assert (song.name, song.gender, song.ethnicity, song.organisation.name) == ("宋庆涛", "男", "土家族", "湖南省地质研究所")
    chen = demo.account("applicant_unit_admin")
    assert {g.role for g in chen.role_grants.all()} == {Role.APPLICANT, Role.UNIT_ADMIN}
    dzy_admin = demo.user("dzy_admin")
    assert set(dzy_admin.role_grants.values_list("role", "organisation__name")) == {
        (Role.UNIT_ADMIN, "湖南省地质院"),
        (Role.DEPT_ADMIN, "湖南省地质院"),
    }
    sysadmin = demo.user("sysadmin")
    assert sysadmin.is_superuser and sysadmin.is_staff
    confirmed = Membership.objects.get(person=song)
    assert confirmed.decided_by == chen  # confirmed by the unit's own administrator
