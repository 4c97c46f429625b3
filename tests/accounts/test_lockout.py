"""Login lock-out (django-axes): five wrong passwords lock that login from that address for 30
minutes, on the portal's login page and the admin's alike; other logins and other addresses are
not affected; a successful login clears the count."""
from datetime import timedelta

import pytest
from axes.exceptions import AxesBackendRequestParameterRequired
from axes.models import AccessAttempt, AccessFailureLog
from django.contrib.auth import SESSION_KEY
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from tests.helpers import DEMO_PASSWORD, password_login, text_of

pytestmark = pytest.mark.django_db

LOGIN_URL = reverse("accounts:login")
ADMIN_LOGIN_URL = reverse("admin:login")
WRONG_LOGIN = "证件号码（用户名）或密码不正确，请重新输入。"
LOCKED = "登录失败次数过多，账户已临时锁定，请30分钟后再试或联系管理员。"


def attempt(client, login, password=DEMO_PASSWORD, *, url=LOGIN_URL, ip="127.0.0.1"):
    return client.post(url, {"username": login, "password": password}, REMOTE_ADDR=ip)


def fail(client, login, times, **kwargs):
    return [attempt(client, login, "Wrong@2024", **kwargs) for _ in range(times)]


def signed_in(client):
    return SESSION_KEY in client.session


def assert_locked(response):
    assert response.status_code == 429
    page = text_of(response)
    assert LOCKED in page
    assert WRONG_LOGIN not in page


def test_five_wrong_passwords_lock_the_login_even_for_the_right_password(demo, client):
    responses = fail(client, "hn_clerk", 5)
    for response in responses[:4]:
        assert response.status_code == 200
        assert WRONG_LOGIN in text_of(response)
    # The fifth failure already answers with the lock-out page …
    assert_locked(responses[4])
    # … and the sixth attempt is refused before the password is even looked at.
    assert_locked(attempt(client, "hn_clerk"))
    assert not signed_in(client)
    assert AccessAttempt.objects.get(username="hn_clerk", ip_address="127.0.0.1").failures_since_start >= 5
    assert AccessFailureLog.objects.filter(username="hn_clerk", locked_out=True).exists()


def test_the_lock_holds_one_login_at_one_address_only(demo, client):
    fail(client, "hn_clerk", 5)
    assert_locked(attempt(client, "hn_clerk"))
    # Another account in the same office (same address) signs in as usual …
    response = attempt(client, "cs_clerk")
    assert response.status_code == 302 and response["Location"] == reverse("portal:home")
    client.post(reverse("accounts:logout"))
    # … and the clerk herself, from another address, is not locked out by someone else's guesses.
    response = attempt(client, "hn_clerk", ip="10.20.30.40")
    assert response.status_code == 302
    assert client.session[SESSION_KEY] == str(User.objects.get(username="hn_clerk").pk)


def test_id_number_spellings_count_as_one_login(demo, client):
    # 王建国's 证件号码 ends in X: lower- and upper-case x, with spaces, add to one count.
    fail(client, "43012119720808109x", 2)
    fail(client, "43012119720808109X", 2)
    assert_locked(attempt(client, " 43012119720808109x ", "Wrong@2024"))
    assert_locked(attempt(client, "43012119720808109X"))
    assert list(AccessAttempt.objects.values_list("username", flat=True)) == ["43012119720808109X"]


def test_the_lock_ends_after_the_cool_off(demo, client):
    fail(client, "dzcl_admin", 5)
    locked_at = AccessAttempt.objects.get(username="dzcl_admin")
    # 29 minutes later: still locked (and that try starts the 30 minutes again).
    AccessAttempt.objects.filter(pk=locked_at.pk).update(attempt_time=timezone.now() - timedelta(minutes=29))
    assert_locked(attempt(client, "dzcl_admin"))
    assert AccessAttempt.objects.get(pk=locked_at.pk).attempt_time > timezone.now() - timedelta(minutes=1)
    # 31 minutes after the last try the right password works again, and the count starts afresh.
    AccessAttempt.objects.filter(pk=locked_at.pk).update(attempt_time=timezone.now() - timedelta(minutes=31))
    response = attempt(client, "dzcl_admin")
    assert response.status_code == 302 and signed_in(client)
    assert not AccessAttempt.objects.filter(username="dzcl_admin").exists()


def test_a_successful_login_resets_the_count(demo, client):
    fail(client, "zrzy_admin", 4)
    assert attempt(client, "zrzy_admin").status_code == 302
    assert not AccessAttempt.objects.filter(username="zrzy_admin").exists()
    client.post(reverse("accounts:logout"))
    # Four more wrong passwords are four, not eight.
    for response in fail(client, "zrzy_admin", 4):
        assert response.status_code == 200 and WRONG_LOGIN in text_of(response)
    assert attempt(client, "zrzy_admin").status_code == 302


def test_unknown_logins_are_counted_too(demo, client):
    """Guessing at accounts that do not exist gets locked out like guessing passwords."""
    responses = fail(client, "nobody", 5)
    assert_locked(responses[-1])


def test_the_admin_login_is_protected_too(demo, client):
    responses = fail(client, "sysadmin", 5, url=ADMIN_LOGIN_URL)
    assert responses[0].status_code == 200
    assert_locked(responses[4])
    assert_locked(attempt(client, "sysadmin", url=ADMIN_LOGIN_URL))
    assert not signed_in(client)
    # One count for both doors: locked on the admin's, locked on the portal's.
    assert_locked(attempt(client, "sysadmin"))


def test_wrong_passwords_on_both_login_pages_add_up(demo, client):
    fail(client, "sysadmin", 3, url=ADMIN_LOGIN_URL)
    fail(client, "sysadmin", 1)
    assert_locked(fail(client, "sysadmin", 1, url=ADMIN_LOGIN_URL)[0])


def test_the_test_client_login_needs_a_request(demo, client):
    """Axes refuses an authenticate() without a request (client.login gives none); tests sign in
    with force_login, through the login page, or with helpers.password_login."""
    with pytest.raises(AxesBackendRequestParameterRequired):
        client.login(username="hn_clerk", password=DEMO_PASSWORD)
    assert not password_login(client, "hn_clerk", "Wrong@2024")
    assert password_login(client, "hn_clerk", DEMO_PASSWORD)
    assert client.get(reverse("portal:home")).status_code == 200
