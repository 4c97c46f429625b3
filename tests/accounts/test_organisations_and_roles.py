"""Rules of the organisation tree, people and role grants, exercised through the services."""
import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from accounts import services
from accounts.models import Nature, Organisation, OrganisationKind, Role, RoleGrant, User, within_q
from tests.helpers import make_bureau, make_department, make_id_number, make_person, make_staff, make_unit, make_uscc

pytestmark = pytest.mark.django_db


@pytest.fixture
def bureau():
    return make_bureau(name="湖南省人力资源和社会保障厅")


@pytest.fixture
def unit(bureau):
    return make_unit(name="湖南省地质研究所", bureau=bureau)


def errors_of(caught):
    return caught.value.message_dict


# --- organisations ------------------------------------------------------------------------------


def test_a_unit_below_a_department_inherits_its_bureau(bureau):
    department = make_department(name="湖南省自然资源厅", bureau=bureau)
    unit = make_unit(name="湖南省地质院", parent=department)
    assert unit.bureau == bureau
    assert Organisation.objects.get_parent(unit) == department
    assert list(Organisation.objects.filter(within_q(department)).order_by("path")) == [department, unit]
    assert department.contains(unit) and not unit.contains(department)


def test_a_unit_below_a_city_bureau_is_approved_by_that_bureau(bureau):
    city = make_bureau(name="长沙市人力资源和社会保障局", parent=bureau)
    unit = make_unit(name="长沙市第一医院", parent=city)
    assert unit.bureau == city
    assert city.approving_bureau() == city


def test_a_unit_needs_a_bureau():
    with pytest.raises(ValidationError) as caught:
        make_unit(name="无经办机构的单位")
    assert errors_of(caught) == {"bureau": ["请选择经办机构（审核本单位学时的人社部门）。"]}
    assert not Organisation.objects.exists()


def test_the_bureau_field_must_name_a_bureau(bureau, unit):
    with pytest.raises(ValidationError) as caught:
        make_unit(name="湖南省地质测绘院", bureau=unit)
    assert "经办机构必须是人社部门。" in errors_of(caught)["bureau"]
    assert not Organisation.objects.filter(name="湖南省地质测绘院").exists()


def test_a_bureau_has_no_bureau_of_its_own(bureau):
    with pytest.raises(ValidationError) as caught:
        services.organisation_create(
            name="株洲市人力资源和社会保障局", uscc=make_uscc(prefix="11430200"), kind=OrganisationKind.BUREAU,
            nature=Nature.GOVERNMENT, bureau=bureau,
        )
    assert errors_of(caught) == {"bureau": ["人社部门本身不需要经办机构。"]}


def test_credit_code_is_checked_and_upper_cased(bureau):
    with pytest.raises(ValidationError) as caught:
        services.organisation_create(name="坏代码单位", uscc="12430000MB1K850655", nature=Nature.OTHER, bureau=bureau)
    assert errors_of(caught) == {"uscc": ["统一社会信用代码校验位不正确，请核对后重新输入。"]}

    unit = services.organisation_create(name="湖南省地质院", uscc=" 12430000mb1k850654 ", nature=Nature.OTHER, bureau=bureau)
    unit.refresh_from_db()
    assert unit.uscc == "12430000MB1K850654"


def test_credit_codes_are_unique(bureau, unit):
    with pytest.raises(ValidationError) as caught:
        services.organisation_create(name="重复代码单位", uscc=unit.uscc, nature=Nature.OTHER, bureau=bureau)
    assert list(errors_of(caught)) == ["uscc"]


def test_the_database_refuses_a_unit_without_a_bureau():
    """The check constraint holds even for code that skips the services."""
    with pytest.raises(IntegrityError), transaction.atomic():
        Organisation.objects.add_root({"name": "绕过服务的单位", "uscc": make_uscc(), "kind": OrganisationKind.UNIT})
    Organisation.objects.add_root({"name": "省人社厅", "uscc": make_uscc(prefix="11430000"), "kind": OrganisationKind.BUREAU})
    assert list(Organisation.objects.values_list("name", flat=True)) == ["省人社厅"]


# --- people ------------------------------------------------------------------------------------


def test_registration_derives_gender_and_stores_the_id_number_upper_cased(unit):
    man = services.person_register(
        id_number="43012119720808109x", name=" 王建国 ", phone="18899098819", password="Demo@2024", organisation=unit
    )
    woman = make_person(organisation=unit, name="李雪梅", female=True)
    man.refresh_from_db()
    assert (man.id_number, man.username, man.name, man.gender) == ("43012119720808109X", "43012119720808109X", "王建国", "男")
    assert woman.gender == "女"
    assert set(man.role_grants.values_list("role", "organisation")) == {(Role.APPLICANT, None)}


def test_registration_refuses_an_invalid_id_number(unit):
    with pytest.raises(ValidationError) as caught:
        services.person_register(
            id_number="430121198805041016", name="宋庆涛", phone="18899098765", password="Demo@2024", organisation=unit
        )
    assert errors_of(caught)["id_number"] == ["证件号码校验位不正确，请核对后重新输入。"]
    assert not User.objects.exists()


def test_registration_refuses_a_bureau_as_the_unit(bureau):
    with pytest.raises(ValidationError) as caught:
        make_person(organisation=bureau)
    assert errors_of(caught) == {"organisation": ["请选择您所在的用人单位，人社部门不能作为工作单位。"]}
    assert not User.objects.exists()


def test_user_clean_fills_gender_from_the_id_number():
    user = User(username="x", name="李雪梅", id_number="430121199002171064")
    user.clean()
    assert user.gender == "女"


# --- role grants -------------------------------------------------------------------------------


@pytest.fixture
def person(unit):
    return make_person(organisation=unit, name="陈立新")


@pytest.mark.parametrize("role", [Role.UNIT_ADMIN, Role.DEPT_ADMIN, Role.BUREAU_CLERK])
def test_administrative_roles_need_an_organisation(person, role):
    with pytest.raises(ValidationError) as caught:
        services.role_grant(user=person, role=role)
    assert errors_of(caught) == {"organisation": ["该角色必须指定所属机构。"]}


@pytest.mark.parametrize("role", [Role.APPLICANT, Role.SYSADMIN])
def test_personal_roles_have_no_organisation(person, unit, role):
    with pytest.raises(ValidationError) as caught:
        services.role_grant(user=person, role=role, organisation=unit)
    assert errors_of(caught) == {"organisation": ["该角色不属于某个机构，请留空。"]}
    assert not RoleGrant.objects.filter(user=person, organisation=unit).exists()


def test_a_bureau_clerk_belongs_to_a_bureau(person, unit, bureau):
    with pytest.raises(ValidationError) as caught:
        services.role_grant(user=person, role=Role.BUREAU_CLERK, organisation=unit)
    assert errors_of(caught) == {"organisation": ["人社部门经办人必须属于人社部门。"]}
    grant = services.role_grant(user=person, role=Role.BUREAU_CLERK, organisation=bureau)
    assert str(grant) == "人社部门经办人（湖南省人力资源和社会保障厅）"


def test_granting_a_role_twice_keeps_one_grant(person, unit):
    first = services.role_grant(user=person, role=Role.UNIT_ADMIN, organisation=unit)
    second = services.role_grant(user=person, role=Role.UNIT_ADMIN, organisation=unit)
    assert first.pk == second.pk
    assert RoleGrant.objects.filter(user=person, role=Role.UNIT_ADMIN).count() == 1


def test_the_database_refuses_a_role_grant_that_breaks_the_rules(person, unit):
    with pytest.raises(IntegrityError), transaction.atomic():
        RoleGrant.objects.create(user=person, role=Role.UNIT_ADMIN, organisation=None)
    with pytest.raises(IntegrityError), transaction.atomic():
        RoleGrant.objects.create(user=person, role=Role.SYSADMIN, organisation=unit)
    with pytest.raises(IntegrityError), transaction.atomic():
        RoleGrant.objects.create(user=person, role=Role.APPLICANT)  # a second 专业技术人员 grant


def test_a_sysadmin_grant_opens_the_admin_site(unit):
    admin = make_staff(username="sysadmin", role=Role.SYSADMIN, name="系统管理员")
    admin.refresh_from_db()
    assert admin.is_staff and admin.is_superuser
    assert admin.id_number is None  # staff accounts without an ID number do not collide on the unique column
    other = make_staff(username="sysadmin2", role=Role.SYSADMIN, name="系统管理员二")
    assert other.id_number is None


def test_staff_accounts_may_carry_an_id_number(unit):
    number = make_id_number()
    admin = services.staff_account_create(
        username="unit_admin", name="单位管理员", password="Demo@2024", role=Role.UNIT_ADMIN, organisation=unit,
        id_number=number.lower(),
    )
    assert admin.id_number == number.upper()
