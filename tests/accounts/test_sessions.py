"""Session limits: a session ends at the store's expiry, SESSION_COOKIE_AGE after signing in
however busy, after SESSION_IDLE_TIMEOUT without a request, and on logout (server-side)."""
import time
from datetime import timedelta
from importlib import import_module

import pytest
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from accounts.middleware import LOGIN_AT, SEEN_AT
from tests.helpers import DEMO_PASSWORD, text_of

pytestmark = pytest.mark.django_db

LOGIN_URL = reverse("accounts:login")
HOME = reverse("portal:home")
IDLE = "您已超过30分钟未操作，为保护账户安全已自动退出，请重新登录。"
TOO_OLD = "本次登录已超过最长有效时间，为保护账户安全已自动退出，请重新登录。"


def store():
    return import_module(settings.SESSION_ENGINE).SessionStore()


def sign_in(client, login="hn_clerk"):
    response = client.post(LOGIN_URL, {"username": login, "password": DEMO_PASSWORD})
    assert response.status_code == 302
    return client.session.session_key


def age_session(client, **seconds_ago):
    """Move the session's stamps back in time, in the session store itself."""
    session = client.session
    now = int(time.time())
    for key, ago in seconds_ago.items():
        session[{"login": LOGIN_AT, "seen": SEEN_AT}[key]] = now - ago
    session.save()


def assert_sent_to_login(client, url=HOME):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN_URL)
    return response


def test_signing_in_stamps_the_session(demo, client):
    before = int(time.time())
    sign_in(client)
    assert before <= client.session[LOGIN_AT] == client.session[SEEN_AT] <= int(time.time())


def test_a_session_past_its_expiry_in_the_store_is_refused(demo, client):
    key = sign_in(client)
    assert client.get(HOME).status_code == 200
    session = client.session
    session.set_expiry(timezone.now() - timedelta(seconds=1))
    session.save()
    assert_sent_to_login(client)
    assert_sent_to_login(client, reverse("accounts:jurisdiction"))
    assert type(store())(key).load() == {}


def test_a_session_older_than_the_cookie_age_ends_however_busy(demo, client):
    key = sign_in(client)
    age_session(client, login=settings.SESSION_COOKIE_AGE + 1, seen=5)
    assert_sent_to_login(client)
    assert not store().exists(key)
    assert TOO_OLD in text_of(client.get(LOGIN_URL))
    # Only a new login lets the person in again.
    sign_in(client)
    assert client.get(HOME).status_code == 200


def test_just_under_the_cookie_age_the_session_still_works(demo, client):
    sign_in(client)
    age_session(client, login=settings.SESSION_COOKIE_AGE - 60, seen=5)
    assert client.get(HOME).status_code == 200


def test_an_idle_session_ends(demo, client):
    key = sign_in(client)
    age_session(client, seen=settings.SESSION_IDLE_TIMEOUT + 1)
    assert_sent_to_login(client, reverse("accounts:jurisdiction"))
    assert not store().exists(key)
    assert IDLE in text_of(client.get(LOGIN_URL))


def test_activity_keeps_the_session_alive(demo, client):
    """Sliding: each request (at most one stamp a minute) restarts the idle clock."""
    sign_in(client)
    age_session(client, seen=settings.SESSION_IDLE_TIMEOUT - 10)
    assert client.get(HOME).status_code == 200
    assert client.session[SEEN_AT] >= int(time.time()) - 2
    # 29 minutes later again: still in, because of the request in between.
    age_session(client, seen=settings.SESSION_IDLE_TIMEOUT - 10)
    assert client.get(reverse("accounts:jurisdiction")).status_code == 200


def test_the_last_seen_stamp_is_not_rewritten_on_every_request(demo, client):
    sign_in(client)
    age_session(client, seen=10)
    stamp = client.session[SEEN_AT]
    assert client.get(HOME).status_code == 200
    assert client.session[SEEN_AT] == stamp


@override_settings(SESSION_IDLE_TIMEOUT=5 * 60)
def test_the_idle_time_out_follows_the_setting(demo, client):
    sign_in(client)
    age_session(client, seen=4 * 60)
    assert client.get(HOME).status_code == 200
    age_session(client, seen=5 * 60 + 1)
    assert_sent_to_login(client)
    assert "您已超过5分钟未操作" in text_of(client.get(LOGIN_URL))


def test_logout_deletes_the_session_on_the_server(demo, client):
    key = sign_in(client)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert store().exists(key)
    client.post(reverse("accounts:logout"))
    assert not store().exists(key)
    # Someone who kept a copy of the cookie gets nowhere with it.
    client.cookies[settings.SESSION_COOKIE_NAME] = cookie
    assert_sent_to_login(client)
    assert SESSION_KEY not in client.session


def test_the_session_cookie_ends_with_the_browser(demo, client):
    client.post(LOGIN_URL, {"username": "hn_clerk", "password": DEMO_PASSWORD})
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["max-age"] == "" and cookie["expires"] == ""
    assert cookie["httponly"]


def test_anonymous_visitors_are_left_alone(client, db):
    response = client.get(LOGIN_URL)
    assert response.status_code == 200
    assert settings.SESSION_COOKIE_NAME not in response.cookies
