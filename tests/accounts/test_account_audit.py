"""The accounts' audit trail: each membership decision, role grant or removal (by a service or in
the admin), lock-out and second-factor change leaves exactly one AccountEvent, with who, for which
organisation, when and from where; the system administrator searches them in the admin, where
nothing can be changed or deleted."""
import lxml.html
import pytest
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import services
from accounts.models import AccountAction, AccountEvent, Role, RoleGrant
from tests.accounts.test_memberships import he_lei  # noqa: F401 (a fixture)
from tests.accounts.test_second_factor import code
from tests.helpers import DEMO_PASSWORD, make_person, make_staff

pytestmark = pytest.mark.django_db

ADDRESS = "203.0.113.7"
EVENTS_URL = reverse("admin:accounts_accountevent_changelist")


class OneEvent:
    """`with OneEvent(action) as new:` — exactly one row of that action (and no other row) appears."""

    def __init__(self, action):
        self.action = action

    def __enter__(self):
        self.before = set(AccountEvent.objects.values_list("pk", flat=True))
        return self

    def __exit__(self, *exc):
        if exc[0] is not None:
            return False
        new = list(AccountEvent.objects.exclude(pk__in=self.before))
        assert [e.action for e in new] == [self.action]
        self.event = new[0]
        return False


@pytest.fixture
def sysadmin(demo, client):
    client.force_login(demo.account("sysadmin"))
    return client


def test_confirming_a_member_leaves_one_row_with_the_administrator_and_address(demo, client, he_lei):
    chen = demo.account("applicant_unit_admin")
    client.force_login(chen)
    with OneEvent(AccountAction.MEMBERSHIP_CONFIRM) as new:
        client.post(reverse("accounts:membership_confirm", args=[he_lei.pk]), REMOTE_ADDR=ADDRESS)
    event = new.event
    assert (event.actor, event.subject, event.organisation) == (chen, he_lei.person, he_lei.organisation)
    assert event.ip_address == ADDRESS and event.created_at is not None


def test_rejecting_a_member_leaves_one_row_with_the_reason(demo, client, he_lei):
    chen = demo.account("applicant_unit_admin")
    client.force_login(chen)
    with OneEvent(AccountAction.MEMBERSHIP_REJECT) as new:
        client.post(reverse("accounts:membership_reject", args=[he_lei.pk]), {"reason": "不是本单位人员"}, REMOTE_ADDR=ADDRESS)
    assert (new.event.actor, new.event.subject, new.event.organisation) == (chen, he_lei.person, he_lei.organisation)
    assert new.event.ip_address == ADDRESS and new.event.details["reason"] == "不是本单位人员"


def test_a_refused_decision_leaves_no_row(demo, client, he_lei):
    client.force_login(demo.account("unit_admin"))  # another unit's administrator
    count = AccountEvent.objects.count()
    client.post(reverse("accounts:membership_confirm", args=[he_lei.pk]), REMOTE_ADDR=ADDRESS)
    assert AccountEvent.objects.count() == count


def test_role_grant_and_removal_through_the_services(demo):
    granter = demo.account("sysadmin")
    unit = demo.org("湖南省地质研究所")
    person = make_person(organisation=unit, name="新管理员")
    with OneEvent(AccountAction.ROLE_GRANT) as new:
        grant = services.role_grant(user=person, role=Role.UNIT_ADMIN, organisation=unit, granted_by=granter)
    assert (new.event.actor, new.event.subject, new.event.organisation) == (granter, person, unit)
    assert new.event.details["role"] == Role.UNIT_ADMIN
    # A role held already is no second grant.
    count = AccountEvent.objects.count()
    services.role_grant(user=person, role=Role.UNIT_ADMIN, organisation=unit, granted_by=granter)
    assert AccountEvent.objects.count() == count
    with OneEvent(AccountAction.ROLE_REMOVE) as new:
        services.role_remove(grant=grant, actor=granter)
    assert (new.event.actor, new.event.subject, new.event.organisation) == (granter, person, unit)
    assert not RoleGrant.objects.filter(pk=grant.pk).exists()


def user_change_form(client, user):
    """The admin's change form of the user, as the browser would send it back unchanged."""
    url = reverse("admin:accounts_user_change", args=[user.pk])
    form = lxml.html.fromstring(client.get(url).content.decode()).get_element_by_id("user_form")
    return url, dict(form.form_values())


def test_role_grant_and_removal_in_the_admin(demo, sysadmin):
    admin_user = demo.account("sysadmin")
    unit = demo.org("湖南省地质研究所")
    person = make_person(organisation=unit, name="后台授权")
    url, data = user_change_form(sysadmin, person)
    prefix = "role_grants"
    n = int(data[f"{prefix}-TOTAL_FORMS"])  # the person's own role is listed already
    data.update({f"{prefix}-TOTAL_FORMS": str(n + 1), f"{prefix}-{n}-role": Role.UNIT_ADMIN, f"{prefix}-{n}-organisation": str(unit.pk)})
    with OneEvent(AccountAction.ROLE_GRANT) as new:
        response = sysadmin.post(url, data, REMOTE_ADDR=ADDRESS)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert (new.event.actor, new.event.subject, new.event.organisation, new.event.ip_address) == (admin_user, person, unit, ADDRESS)
    grant = RoleGrant.objects.get(user=person, role=Role.UNIT_ADMIN)
    assert grant.granted_by == admin_user

    url, data = user_change_form(sysadmin, person)
    row = next(key for key, value in data.items() if key.endswith("-id") and value == str(grant.pk))
    data[row.replace("-id", "-DELETE")] = "on"
    with OneEvent(AccountAction.ROLE_REMOVE) as new:
        response = sysadmin.post(url, data, REMOTE_ADDR=ADDRESS)
    assert response.status_code == 302
    assert (new.event.actor, new.event.subject, new.event.organisation, new.event.ip_address) == (admin_user, person, unit, ADDRESS)
    assert not RoleGrant.objects.filter(user=person, role=Role.UNIT_ADMIN).exists()


def test_a_lock_out_leaves_one_row_with_the_account_masked_login_and_address(demo, client):
    song = demo.account("applicant")
    with OneEvent(AccountAction.LOCKOUT) as new:
        for _ in range(5):
            client.post(reverse("accounts:login"), {"username": song.id_number, "password": "Wrong@2024"}, REMOTE_ADDR=ADDRESS)
    assert (new.event.actor, new.event.subject, new.event.organisation) == (None, song, song.organisation)
    assert new.event.ip_address == ADDRESS
    assert new.event.details["username"] == "4301**********1015"
    # Further tries while locked lengthen the same lock-out: no new row.
    with OneEvent(AccountAction.LOCKOUT):
        for _ in range(3):
            client.post(reverse("accounts:login"), {"username": "nobody_here", "password": "Wrong@2024"}, REMOTE_ADDR=ADDRESS)
            client.post(reverse("accounts:login"), {"username": song.id_number, "password": DEMO_PASSWORD}, REMOTE_ADDR=ADDRESS)
        for _ in range(2):
            client.post(reverse("accounts:login"), {"username": "nobody_here", "password": "Wrong@2024"}, REMOTE_ADDR=ADDRESS)
    assert AccountEvent.objects.filter(action=AccountAction.LOCKOUT, subject=song).count() == 1
    unknown = AccountEvent.objects.get(action=AccountAction.LOCKOUT, subject=None)
    assert unknown.details["username"] == "nobody_here"


def test_binding_an_authenticator_leaves_one_row(demo):
    clerk = demo.account("bureau_clerk")
    device = services.totp_device_start(user=clerk)
    with OneEvent(AccountAction.SECOND_FACTOR_BIND) as new:
        services.totp_check(device=device, token=code(device))
    assert (new.event.actor, new.event.subject, new.event.organisation) == (clerk, clerk, clerk.organisation)
    # Later codes from the bound device are sign-ins, not bindings.
    count = AccountEvent.objects.count()
    services.totp_check(device=device, token=code(device, steps_ahead=1))
    assert AccountEvent.objects.count() == count


def test_unbinding_in_the_admin_leaves_one_row_with_the_administrator(demo, sysadmin):
    clerk = demo.account("bureau_clerk")
    device = TOTPDevice.objects.create(user=clerk, name="身份验证器", confirmed=True)
    url = reverse("admin:otp_totp_totpdevice_delete", args=[device.pk])
    with OneEvent(AccountAction.SECOND_FACTOR_REMOVE) as new:
        response = sysadmin.post(url, {"post": "yes"}, REMOTE_ADDR=ADDRESS)
    assert response.status_code == 302
    assert (new.event.actor, new.event.subject, new.event.ip_address) == (demo.account("sysadmin"), clerk, ADDRESS)
    assert not TOTPDevice.objects.filter(pk=device.pk).exists()
    # The changelist's bulk action records one row per device.
    devices = [TOTPDevice.objects.create(user=clerk, name=f"验证器{i}", confirmed=True) for i in range(2)]
    before = AccountEvent.objects.count()
    sysadmin.post(
        reverse("admin:otp_totp_totpdevice_changelist"),
        {"action": "delete_selected", "_selected_action": [d.pk for d in devices], "post": "yes"},
        REMOTE_ADDR=ADDRESS,
    )
    assert AccountEvent.objects.count() == before + 2
    assert not TOTPDevice.objects.filter(pk__in=[d.pk for d in devices]).exists()


# --- the admin: search, filter, read-only ---------------------------------------------------------------


@pytest.fixture
def trail(demo, he_lei):
    services.membership_confirm(membership=he_lei, actor=demo.account("applicant_unit_admin"))
    clerk = make_staff(username="audit_clerk", role=Role.BUREAU_CLERK, organisation=demo.org("湖南省人力资源和社会保障厅"))
    return he_lei.person, clerk


def found(client, **params):
    response = client.get(EVENTS_URL, params)
    assert response.status_code == 200
    return {(e.action, e.subject.name if e.subject else None) for e in response.context["cl"].result_list}


def test_the_sysadmin_searches_the_trail_by_who_what_and_when(sysadmin, trail):
    he_lei, clerk = trail
    assert (AccountAction.MEMBERSHIP_CONFIRM, "何磊") in found(sysadmin, q="何磊")
    assert found(sysadmin, q=he_lei.id_number) == {(AccountAction.MEMBERSHIP_CONFIRM, "何磊")}
    assert found(sysadmin, q="陈立新") >= {(AccountAction.MEMBERSHIP_CONFIRM, "何磊")}  # the actor's name
    assert (AccountAction.ROLE_GRANT, clerk.name) in found(sysadmin, q="audit_clerk")
    by_action = found(sysadmin, action__exact=AccountAction.ROLE_GRANT)
    assert by_action and {action for action, _ in by_action} == {AccountAction.ROLE_GRANT}
    event = AccountEvent.objects.get(subject=he_lei, action=AccountAction.MEMBERSHIP_CONFIRM)
    day = timezone.localdate(event.created_at)
    assert found(sysadmin, created_at__year=day.year, created_at__month=day.month, created_at__day=day.day) >= {
        (AccountAction.MEMBERSHIP_CONFIRM, "何磊")
    }
    page = sysadmin.get(EVENTS_URL).content.decode()
    assert "确认单位人员" in page


def test_the_trail_cannot_be_changed_or_deleted(sysadmin, trail):
    event = AccountEvent.objects.filter(action=AccountAction.MEMBERSHIP_CONFIRM).first()
    change = sysadmin.post(reverse("admin:accounts_accountevent_change", args=[event.pk]), {"action": "role_grant"})
    assert change.status_code == 403
    delete = sysadmin.post(reverse("admin:accounts_accountevent_delete", args=[event.pk]), {"post": "yes"})
    assert delete.status_code == 403
    assert sysadmin.get(reverse("admin:accounts_accountevent_add")).status_code == 403
    event.refresh_from_db()
    assert event.action == AccountAction.MEMBERSHIP_CONFIRM
    with pytest.raises(ValueError):
        event.save()
    with pytest.raises(ValueError):
        event.delete()


def test_only_system_administrators_open_the_trail(demo, client, trail):
    client.force_login(demo.account("bureau_clerk"))
    assert client.get(EVENTS_URL).status_code in (302, 403)


def test_a_system_administrators_reset_in_the_admin_leaves_one_row_and_keeps_the_second_factor(demo, sysadmin):
    """Clerks recover through a system administrator: the reset is recorded, the clerk must choose
    a new password at the next sign-in, and their authenticator stays bound."""
    clerk = demo.account("bureau_clerk")
    device = TOTPDevice.objects.create(user=clerk, name="身份验证器", confirmed=True)
    url = reverse("admin:auth_user_password_change", args=[clerk.pk])
    with OneEvent(AccountAction.PASSWORD_RESET_BY_ADMIN) as new:
        response = sysadmin.post(url, {"password1": "Clerk@2025x", "password2": "Clerk@2025x"}, REMOTE_ADDR=ADDRESS)
    assert response.status_code == 302
    assert (new.event.actor, new.event.subject, new.event.ip_address) == (demo.account("sysadmin"), clerk, ADDRESS)
    clerk.refresh_from_db()
    assert clerk.check_password("Clerk@2025x") and clerk.must_change_password
    assert TOTPDevice.objects.filter(pk=device.pk, confirmed=True).exists()
    # A form the admin refuses (passwords that differ) changes nothing and records nothing.
    before = AccountEvent.objects.count()
    sysadmin.post(url, {"password1": "Clerk@2025y", "password2": "Clerk@2025z"}, REMOTE_ADDR=ADDRESS)
    assert AccountEvent.objects.count() == before and clerk.check_password("Clerk@2025x")
