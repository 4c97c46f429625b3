"""重置密码 by a unit administrator (the unit's confirmed staff only, a temporary password shown once
and to be changed at the next sign-in), and 修改密码 for everyone."""
import re

import pytest
from django.contrib.auth import password_validation
from django.urls import reverse

from accounts import services
from accounts.models import AccountAction, AccountEvent, Membership, MembershipStatus, Role
from tests.helpers import DEMO_PASSWORD, another_browser, hidden_fields, text_of
from tests.hours.fixtures_views import people


pytestmark = pytest.mark.django_db

STAFF = reverse("accounts:unit_staff")
CHANGE = reverse("accounts:password_change")
HOME = reverse("portal:home")
LOGIN = reverse("accounts:login")


def reset_url(person):
    return reverse("accounts:staff_password_reset", args=[person.pk])


def confirm(client, person):
    """Open the confirmation page and confirm, as the browser does (with the page's hidden fields)."""
    return client.post(reset_url(person), hidden_fields(client.get(reset_url(person))), follow=True)


def reset_directly(actor, person):
    return services.password_reset_by_admin(actor=actor, person_id=person.pk, stamp=services.password_stamp(person))


def temporary_password_of(response):
    return re.search(r'<p class="temporary-password"><code>([^<]+)</code>', response.content.decode()).group(1)


def test_temporary_passwords_are_readable_and_meet_the_rules(demo):
    zhao = people(demo).zhao
    seen = set()
    for _ in range(50):
        password = services.temporary_password(zhao)
        assert isinstance(password, str) and len(password) == 10
        assert not set(password) & set("0Oo1lI")
        password_validation.validate_password(password, zhao)
        seen.add(password)
    assert len(seen) == 50


def test_a_unit_administrator_resets_a_confirmed_staff_member(demo, client):
    p = people(demo)
    client.force_login(p.chen)
    listing = client.get(STAFF)
    assert "赵金强" in text_of(listing) and reset_url(p.zhao) in listing.content.decode()
    assert p.zhao.id_number not in listing.content.decode()  # masked
    confirm = client.get(reset_url(p.zhao))
    assert confirm.status_code == 200 and "不可撤销" in text_of(confirm)
    assert p.zhao.check_password(DEMO_PASSWORD)  # a GET changes nothing

    result = client.post(reset_url(p.zhao), hidden_fields(confirm))
    assert result.status_code == 200
    assert "no-store" in result["Cache-Control"]
    password = temporary_password_of(result)
    p.zhao.refresh_from_db()
    assert p.zhao.check_password(password) and p.zhao.must_change_password
    assert password not in p.zhao.password
    [event] = AccountEvent.objects.all()
    assert (event.action, event.actor, event.subject, event.organisation) == (
        AccountAction.PASSWORD_RESET_BY_ADMIN, p.chen, p.zhao, p.dzyjs,
    )
    assert password not in str(event.details)
    # Shown once: not in the session's messages, and the list page does not show it again.
    assert password not in client.get(STAFF).content.decode()
    # Confirmed again (a double click, a second tab): refused with a message, no second reset.
    again = client.post(reset_url(p.zhao), hidden_fields(confirm), follow=True)
    assert "本次未再重置" in text_of(again)
    p.zhao.refresh_from_db()
    assert p.zhao.check_password(password) and AccountEvent.objects.count() == 1


def test_the_temporary_password_forces_the_change_page(demo, client):
    p = people(demo)
    _, password = reset_directly(p.chen, p.zhao)
    response = client.post(LOGIN, {"username": p.zhao.id_number, "password": password})
    assert response["Location"] == HOME
    for page in (HOME, reverse("accounts:profile"), reverse("hours:declaration_list")):
        assert client.get(page)["Location"].startswith(CHANGE)
    page = client.get(CHANGE)
    assert page.status_code == 200 and "请先设置自己的新密码" in text_of(page)
    response = client.post(
        f"{CHANGE}?next={HOME}", {"old_password": password, "new_password1": "Zhao@2025x", "new_password2": "Zhao@2025x"}
    )
    assert response["Location"] == HOME
    assert client.get(HOME).status_code == 200  # the session is kept
    p.zhao.refresh_from_db()
    assert not p.zhao.must_change_password and p.zhao.check_password("Zhao@2025x")
    assert AccountEvent.objects.filter(action=AccountAction.PASSWORD_CHANGE, subject=p.zhao, actor=p.zhao).count() == 1
    assert client.post(reverse("accounts:logout")).status_code == 302


def test_a_unit_administrator_cannot_reset_anyone_outside_the_confirmed_staff(demo, client):
    p = people(demo)
    pending = demo.user("430121198810111372")  # 何磊, waiting for the institute's confirmation
    ended = p.wu  # 吴涛 once worked at the institute
    Membership.objects.create(person=ended, organisation=p.dzyjs, status=MembershipStatus.ENDED)
    client.force_login(p.chen)
    for person in (pending, p.wu, ended, p.hn_clerk):
        assert client.get(reset_url(person)).status_code == 404
        assert client.post(reset_url(person)).status_code == 404
    client.force_login(p.dzy_admin)  # the superior unit's administrator: not the institute's
    assert client.post(reset_url(p.zhao)).status_code == 404
    client.force_login(p.song)  # no unit administrator
    assert client.get(reset_url(p.zhao)).status_code == 403
    assert not AccountEvent.objects.exists()
    for person in (pending, p.wu, p.zhao):
        person.refresh_from_db()
        assert person.check_password(DEMO_PASSWORD)


def test_holders_of_higher_roles_and_oneself_are_refused(demo, client):
    p = people(demo)
    services.role_grant(user=p.zhao, role=Role.SYSADMIN)
    client.force_login(p.chen)
    response = confirm(client, p.zhao)
    assert "其密码只能由系统管理员重置" in text_of(response)
    # Another unit's administrator confirmed here: their account is not this unit's to take over.
    services.role_grant(user=p.li, role=Role.UNIT_ADMIN, organisation=p.csyy)
    assert "其密码只能由系统管理员重置" in text_of(confirm(client, p.li))
    p.li.refresh_from_db()
    assert p.li.check_password(DEMO_PASSWORD)
    response = confirm(client, p.chen)
    assert "不能重置自己的密码" in text_of(response)
    assert not AccountEvent.objects.filter(action=AccountAction.PASSWORD_RESET_BY_ADMIN).exists()
    p.zhao.refresh_from_db()
    assert p.zhao.check_password(DEMO_PASSWORD) and not p.zhao.must_change_password


def test_a_reset_ends_the_persons_sessions(demo):
    p = people(demo)
    zhao_browser = another_browser(p.zhao)
    reset_directly(p.chen, p.zhao)
    assert zhao_browser.get(HOME)["Location"].startswith(LOGIN)


def test_everyone_changes_the_password_from_the_profile(demo, client):
    p = people(demo)
    client.force_login(p.song)
    assert f'href="{CHANGE}"' in client.get(reverse("accounts:profile")).content.decode()
    elsewhere = another_browser(p.song)
    wrong = client.post(CHANGE, {"old_password": "Wrong@2024", "new_password1": "Song@2025x", "new_password2": "Song@2025x"})
    assert "原密码不正确。" in text_of(wrong)
    mismatch = client.post(CHANGE, {"old_password": DEMO_PASSWORD, "new_password1": "Song@2025x", "new_password2": "Song@2025y"})
    assert "两次输入的密码不一致。" in text_of(mismatch)
    weak = client.post(CHANGE, {"old_password": DEMO_PASSWORD, "new_password1": "12345678", "new_password2": "12345678"})
    assert weak.status_code == 200 and weak.context["form"].errors["new_password1"]
    assert not AccountEvent.objects.exists()
    done = client.post(CHANGE, {"old_password": DEMO_PASSWORD, "new_password1": "Song@2025x", "new_password2": "Song@2025x"})
    assert done["Location"] == reverse("accounts:profile")
    assert client.get(HOME).status_code == 200
    assert elsewhere.get(HOME)["Location"].startswith(LOGIN)  # the other browser's session ended
    assert AccountEvent.objects.filter(action=AccountAction.PASSWORD_CHANGE).count() == 1


def test_wrong_old_passwords_are_limited(demo, client):
    """A session left open must not serve to guess the password: after five wrong old passwords
    even the right one is refused for a while."""
    p = people(demo)
    client.force_login(p.song)
    for _ in range(5):
        wrong = client.post(CHANGE, {"old_password": "Wrong@2024", "new_password1": "Song@2025x", "new_password2": "Song@2025x"})
        assert "原密码不正确。" in text_of(wrong)
    right = client.post(CHANGE, {"old_password": DEMO_PASSWORD, "new_password1": "Song@2025x", "new_password2": "Song@2025x"})
    assert "原密码错误次数过多，请15分钟后再试。" in text_of(right)
    p.song.refresh_from_db()
    assert p.song.check_password(DEMO_PASSWORD)
