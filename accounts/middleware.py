"""Per-request guards of a signed-in session: its time limits, and the second factor."""
import time
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import SESSION_KEY, logout
from django.shortcuts import redirect
from django.urls import reverse

from . import selectors

LOGIN_AT = "_login_at"
SEEN_AT = "_seen_at"
# Set at sign-in for an account whose password someone else chose: read from the session already
# loaded, so that the pages of everyone else spend no query on the account.
MUST_CHANGE = "_must_change_password"
# The last-seen stamp is rewritten at most once a minute, not on every request: a session write
# per page would cost a query each time. The idle time-out may then fall up to a minute early.
SEEN_RESOLUTION = 60


def session_stamp_login(sender, request, user, **kwargs):
    """user_logged_in receiver: when the session began and was last used (saved with the login), and
    whether the password must be changed first."""
    now = int(time.time())
    request.session[LOGIN_AT] = now
    request.session[SEEN_AT] = now
    if user.must_change_password:
        request.session[MUST_CHANGE] = True


class SessionTimeoutMiddleware:
    """Signs out a session idle for SESSION_IDLE_TIMEOUT seconds or older than SESSION_COOKIE_AGE.
    The session store's own expiry is not enough for either: it restarts whenever the session is
    saved, and the session is not saved on every request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = request.session
        if SESSION_KEY in session:
            now = int(time.time())
            login_at = session.setdefault(LOGIN_AT, now)
            seen_at = session.setdefault(SEEN_AT, now)
            if now - seen_at > settings.SESSION_IDLE_TIMEOUT:
                self._end(request, f"您已超过{settings.SESSION_IDLE_TIMEOUT // 60}分钟未操作，为保护账户安全已自动退出，请重新登录。")
            elif now - login_at > settings.SESSION_COOKIE_AGE:
                self._end(request, "本次登录已超过最长有效时间，为保护账户安全已自动退出，请重新登录。")
            elif now - seen_at >= SEEN_RESOLUTION:
                session[SEEN_AT] = now
        return self.get_response(request)

    @staticmethod
    def _end(request, message):
        # Server-side: logout() deletes the session from the store, so the old cookie is worthless.
        # The request then goes on as an anonymous one (a login-only page redirects to the login).
        logout(request)
        messages.info(request, message)


# Pages a signed-in person who still owes the second factor may open.
SECOND_FACTOR_PAGES = {"accounts:otp_setup", "accounts:otp_verify", "accounts:logout"}


class SecondFactorMiddleware:
    """When REQUIRE_2FA is on, a bureau clerk or system administrator who has given the password but
    not yet a one-time code is sent to 动态口令验证 (or, the first time, 绑定身份验证器) from every
    page, /admin/ included."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not settings.REQUIRE_2FA:
            return None
        user = request.user
        if not user.is_authenticated or user.is_verified():
            return None
        if request.resolver_match.view_name in SECOND_FACTOR_PAGES:
            return None
        if not selectors.second_factor_required(user=user):
            return None
        page = "accounts:otp_verify" if selectors.totp_device_confirmed(user=user) else "accounts:otp_setup"
        return redirect(f"{reverse(page)}?{urlencode({'next': request.get_full_path()})}")


# Pages open to a signed-in person who must change the password first.
PASSWORD_CHANGE_PAGES = SECOND_FACTOR_PAGES | {"accounts:password_change"}


class MustChangePasswordMiddleware:
    """Someone else chose the password (a unit administrator's reset, 批量导入人员): until the person
    sets their own, every page sends them to 修改密码. After SecondFactorMiddleware, so the second
    factor comes first."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not request.session.get(MUST_CHANGE):
            return None
        if not (request.user.is_authenticated and request.user.must_change_password):
            request.session.pop(MUST_CHANGE)  # changed in another session since
            return None
        if request.resolver_match.view_name in PASSWORD_CHANGE_PAGES:
            return None
        return redirect(f"{reverse('accounts:password_change')}?{urlencode({'next': request.get_full_path()})}")
