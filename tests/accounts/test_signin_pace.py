"""Sign-in pacing per address (accounts/signin_pace.py): twenty failed sign-ins from one address,
each against another account, slow that address to one try every 10 s — on the portal's login and
the admin's — without locking it: another address signs in as usual, and the right password from
the slowed address goes through once it has waited."""
import time

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import override_settings
from django.urls import reverse

from accounts.models import User
from tests.helpers import DEMO_PASSWORD, text_of

pytestmark = pytest.mark.django_db

LOGIN_URL = reverse("accounts:login")
OFFICE, ELSEWHERE = "198.51.100.20", "198.51.100.99"
WRONG_LOGIN = "证件号码（用户名）或密码不正确，请重新输入。"


def attempt(client, login, password=DEMO_PASSWORD, *, ip=OFFICE, url=LOGIN_URL):
    return client.post(url, {"username": login, "password": password}, REMOTE_ADDR=ip)


def spray(client, demo, count=20):
    """One wrong password against each of `count` accounts, as a password sprayer would."""
    logins = list(User.objects.exclude(id_number=None).values_list("id_number", flat=True)[:count])
    assert len(logins) == count
    for login in logins:
        response = attempt(client, login, "Spring@2024")
        assert WRONG_LOGIN in text_of(response)  # each one a wrong password, none locked


def test_twenty_failures_over_twenty_accounts_slow_the_address(demo, client):
    spray(client, demo)
    # The 21st try is let through (its turn), the next one at once is refused before the password is looked at.
    assert WRONG_LOGIN in text_of(attempt(client, "hn_clerk", "Spring@2024"))
    response = attempt(client, "hn_clerk")
    assert response.status_code == 200
    page = text_of(response)
    assert "该网络登录尝试过于频繁，请10秒后再试。" in page and WRONG_LOGIN not in page
    assert SESSION_KEY not in client.session


def test_another_address_is_not_slowed(demo, client):
    spray(client, demo)
    attempt(client, "hn_clerk", "Spring@2024")
    response = attempt(client, "hn_clerk", ip=ELSEWHERE)
    assert response.status_code == 302 and SESSION_KEY in client.session


@override_settings(LOGIN_ADDRESS_DELAY_SECONDS=1)
def test_the_right_password_signs_in_from_the_slowed_address_after_the_wait(demo, client):
    spray(client, demo)
    attempt(client, "sysadmin", "Spring@2024")
    assert "该网络登录尝试过于频繁，请1秒后再试。" in text_of(attempt(client, "hn_clerk"))
    time.sleep(1.1)
    response = attempt(client, "hn_clerk")
    assert response.status_code == 302 and SESSION_KEY in client.session
    # The waits did not count towards the clerk's own lock-out.
    client.logout()
    time.sleep(1.1)
    assert attempt(client, "hn_clerk").status_code == 302


def test_below_the_limit_nothing_is_slowed(demo, client):
    spray(client, demo, count=19)
    assert attempt(client, "hn_clerk").status_code == 302


def test_the_admins_login_is_paced_too(demo, client):
    spray(client, demo)
    admin_login = reverse("admin:login")
    attempt(client, "sysadmin", "Spring@2024", url=admin_login)
    response = attempt(client, "sysadmin", url=admin_login)
    assert "该网络登录尝试过于频繁" in text_of(response)
    assert SESSION_KEY not in client.session


@override_settings(LOGIN_ADDRESS_FAILURES=3)
def test_a_new_forwarded_for_header_on_each_try_does_not_escape_the_pace(demo, client):
    """The address is the connection's (core/proxy.py): a header the client writes itself names nobody."""
    for i, login in enumerate(("dzy_admin", "zrzy_admin", "hn_clerk", "cs_clerk")):
        sent = {"HTTP_X_FORWARDED_FOR": f"203.0.113.{i}", "HTTP_X_REAL_IP": f"192.0.2.{i}"}
        assert WRONG_LOGIN in text_of(client.post(LOGIN_URL, {"username": login, "password": "Spring@2024"}, REMOTE_ADDR=OFFICE, **sent))
    response = client.post(
        LOGIN_URL, {"username": "hn_clerk", "password": DEMO_PASSWORD}, REMOTE_ADDR=OFFICE, HTTP_X_FORWARDED_FOR="203.0.113.99",
    )
    assert "该网络登录尝试过于频繁，请10秒后再试。" in text_of(response) and SESSION_KEY not in client.session
