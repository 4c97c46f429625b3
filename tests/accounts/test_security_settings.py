"""The lock-out, session and second-factor settings and their environment overrides: local and
test settings ask nobody for a second factor (so `make run`'s demo accounts sign in with the
password alone), production asks unless told not to."""
import runpy
import sys
from datetime import timedelta

import pytest
from django.conf import settings

SECURITY_ENV = ("AXES_FAILURE_LIMIT", "AXES_COOLOFF_MINUTES", "SESSION_COOKIE_AGE", "SESSION_IDLE_TIMEOUT", "REQUIRE_2FA")


def load(monkeypatch, module, **env):
    for name in SECURITY_ENV:
        monkeypatch.delenv(name, raising=False)
    if module == "production":
        monkeypatch.setenv("DJANGO_SECRET_KEY", "k" * 60)
        monkeypatch.setenv("DJANGO_ALLOWED_HOSTS", "xueshi.example.cn")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    # local, production and test import base: make that import read this environment too.
    for name in ("portal.settings.base", f"portal.settings.{module}"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    return runpy.run_module(f"portal.settings.{module}")


def test_defaults(monkeypatch):
    base = load(monkeypatch, "base")
    assert base["AXES_FAILURE_LIMIT"] == 5
    assert base["AXES_COOLOFF_TIME"] == timedelta(minutes=30)
    assert base["AXES_LOCKOUT_PARAMETERS"] == [["username", "ip_address"]]
    assert base["AXES_RESET_ON_SUCCESS"] is True
    assert base["SESSION_COOKIE_AGE"] == 2 * 60 * 60
    assert base["SESSION_IDLE_TIMEOUT"] == 30 * 60
    assert base["SESSION_EXPIRE_AT_BROWSER_CLOSE"] is True
    assert base["OTP_REQUIRED_ROLES"] == ("bureau_clerk", "sysadmin")


def test_the_environment_overrides_them(monkeypatch):
    base = load(
        monkeypatch, "base", AXES_FAILURE_LIMIT="3", AXES_COOLOFF_MINUTES="10", SESSION_COOKIE_AGE="3600", SESSION_IDLE_TIMEOUT="600"
    )
    assert base["AXES_FAILURE_LIMIT"] == 3
    assert base["AXES_COOLOFF_TIME"] == timedelta(minutes=10)
    assert base["SESSION_COOKIE_AGE"] == 3600
    assert base["SESSION_IDLE_TIMEOUT"] == 600


@pytest.mark.parametrize(
    "module, env, required",
    [
        ("local", {}, False),
        ("local", {"REQUIRE_2FA": "1"}, True),
        ("test", {}, False),
        ("production", {}, True),
        ("production", {"REQUIRE_2FA": "0"}, False),
    ],
)
def test_who_requires_the_second_factor(monkeypatch, module, env, required):
    assert load(monkeypatch, module, **env)["REQUIRE_2FA"] is required


def test_axes_watches_every_login_first_and_answers_last():
    assert settings.AUTHENTICATION_BACKENDS[0] == "axes.backends.AxesStandaloneBackend"
    assert settings.MIDDLEWARE[-1] == "axes.middleware.AxesMiddleware"
    auth = settings.MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware")
    assert settings.MIDDLEWARE.index("django_otp.middleware.OTPMiddleware") == auth + 1
    assert settings.AXES_ENABLED is True
