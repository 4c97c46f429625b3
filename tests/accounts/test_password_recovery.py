"""忘记密码: a 6-digit code to the mobile (else the e-mail) on file, then a new password. The code is
read where the person would read it: the console SMS backend's log line (the demo's), or the mail.
Codes expire after 10 minutes, are single-use, stored hashed, die after five wrong tries, and are
rate-limited per login and per address; the answer is the same whether the account exists."""
import logging
import re
from datetime import timedelta
from unittest import mock

import pytest
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.test import TestCase, override_settings
from django.urls import reverse
from django.utils import timezone

from accounts import services
from accounts.models import AccountAction, AccountEvent, PasswordResetCode, Role
from accounts.views import RESET_SESSION_KEY
from tests.helpers import DEMO_PASSWORD, another_browser, password_login, text_of


pytestmark = pytest.mark.django_db

LOGIN = reverse("accounts:login")
FORGOT = reverse("accounts:password_forgot")
RESET = reverse("accounts:password_reset")
HOME = reverse("portal:home")
SONG = "430121198805041015"
SONG_FULL_WIDTH = "４３０１２１１９８８０５０４１０１５"
UNKNOWN = "430121199001011234"
NEW_PASSWORD = "Xinmima@2025"
SENT = "若该账号存在且留有手机号码或电子邮箱，验证码已发送至该账号登记的手机号码"


def ask(client, login, ip="127.0.0.1"):
    # The code leaves by a background task after the commit, which a test's transaction never makes.
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(FORGOT, {"login": login}, REMOTE_ADDR=ip)


def codes_in(caplog):
    """The codes the console SMS backend logged (masked number, code in the text)."""
    return [m.group(1) for r in caplog.records if r.name == "core.sms" for m in [re.search(r"验证码(\d{6})", r.getMessage())] if m]


def reset(client, code, password=NEW_PASSWORD, again=None):
    return client.post(RESET, {"code": code, "password1": password, "password2": again or password})


def events(action, subject=None):
    rows = AccountEvent.objects.filter(action=action)
    return rows.filter(subject=subject) if subject else rows


def test_login_page_offers_forgotten_password(client):
    page = client.get(LOGIN)
    assert f'href="{FORGOT}"' in page.content.decode()
    assert "联系本单位管理员重置" in text_of(page)


def test_recovery_end_to_end_with_the_code_the_console_shows(demo, client, caplog):
    song = demo.user(SONG)
    song.must_change_password = True
    song.save(update_fields=["must_change_password"])
    caplog.set_level(logging.INFO, logger="core.sms")
    response = ask(client, SONG_FULL_WIDTH)  # full-width digits, as a Chinese keyboard types them
    assert response.status_code == 302 and response["Location"] == RESET
    [line] = [r.getMessage() for r in caplog.records if r.name == "core.sms"]
    assert "188****8765" in line and "18899098765" not in line
    [code] = codes_in(caplog)
    stored = PasswordResetCode.objects.get(user=song)
    assert code not in stored.code_hash and stored.channel == "sms"
    page = client.get(RESET)
    assert SENT in text_of(page) and "188****8765" not in text_of(page)

    response = reset(client, code)
    assert response.status_code == 302 and response["Location"] == LOGIN
    assert SESSION_KEY not in client.session  # not signed in: the login (and any second factor) comes next
    assert RESET_SESSION_KEY not in client.session
    song.refresh_from_db()
    assert song.check_password(NEW_PASSWORD) and not song.must_change_password
    assert "密码已重置，请使用新密码登录。" in text_of(client.get(LOGIN))
    assert client.post(LOGIN, {"username": SONG, "password": NEW_PASSWORD})["Location"] == HOME
    assert events(AccountAction.PASSWORD_CODE_SENT, song).count() == 1
    assert events(AccountAction.PASSWORD_RESET_SELF, song).count() == 1
    assert AccountEvent.objects.count() == 2
    event = events(AccountAction.PASSWORD_RESET_SELF).get()
    assert event.actor is None and event.ip_address == "127.0.0.1"


def test_reset_ends_the_other_sessions_and_lifts_the_lock_out(demo, client, caplog):
    song = demo.user(SONG)
    elsewhere = another_browser(song)
    for _ in range(5):
        client.post(LOGIN, {"username": SONG, "password": "Wrong@2024"})
    assert client.post(LOGIN, {"username": SONG, "password": DEMO_PASSWORD}).status_code == 429
    caplog.set_level(logging.INFO, logger="core.sms")
    ask(client, SONG)
    reset(client, codes_in(caplog)[0])
    assert elsewhere.get(HOME)["Location"].startswith(LOGIN)
    assert client.post(LOGIN, {"username": SONG, "password": NEW_PASSWORD})["Location"] == HOME


def test_without_a_mobile_the_code_goes_to_the_email(demo, client, caplog):
    song = demo.user(SONG)
    song.phone, song.email = "0731-84567890", "song@example.cn"  # a fixed line takes no SMS
    song.save(update_fields=["phone", "email"])
    ask(client, SONG)
    [message] = mail.outbox
    assert message.to == ["song@example.cn"]
    code = re.search(r"验证码(\d{6})", message.body).group(1)
    assert reset(client, code)["Location"] == LOGIN
    assert PasswordResetCode.objects.get().channel == "email"


def test_a_code_expires_after_ten_minutes(demo, client, caplog):
    caplog.set_level(logging.INFO, logger="core.sms")
    ask(client, SONG)
    [code] = codes_in(caplog)
    later = timezone.now() + timedelta(minutes=10, seconds=1)
    with mock.patch("django.utils.timezone.now", return_value=later):
        response = reset(client, code)
    assert response.status_code == 200
    assert services.CODE_REFUSED in text_of(response)
    assert demo.user(SONG).check_password(DEMO_PASSWORD)


def test_a_code_is_used_once(demo, client, caplog):
    caplog.set_level(logging.INFO, logger="core.sms")
    ask(client, SONG)
    [code] = codes_in(caplog)
    reset_id = client.session[RESET_SESSION_KEY]
    reset(client, code)
    session = client.session
    session[RESET_SESSION_KEY] = reset_id  # as if the page had been kept open in a second tab
    session.save()
    response = reset(client, code, password="Andere@2026")
    assert services.CODE_REFUSED in text_of(response)
    assert demo.user(SONG).check_password(NEW_PASSWORD)
    assert events(AccountAction.PASSWORD_RESET_SELF).count() == 1


def test_five_wrong_codes_kill_the_code(demo, client, caplog):
    caplog.set_level(logging.INFO, logger="core.sms")
    ask(client, SONG)
    [code] = codes_in(caplog)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for _ in range(5):
        response = reset(client, wrong)
        assert response.status_code == 200 and services.CODE_REFUSED in text_of(response)
    assert PasswordResetCode.objects.get().failures == 5
    assert services.CODE_REFUSED in text_of(reset(client, code))  # the right one, too late
    assert demo.user(SONG).check_password(DEMO_PASSWORD)
    ask(client, SONG)  # a new code works
    assert reset(client, codes_in(caplog)[-1])["Location"] == LOGIN


def test_a_right_code_with_a_refused_password_is_not_spent(demo, client, caplog):
    caplog.set_level(logging.INFO, logger="core.sms")
    ask(client, SONG)
    [code] = codes_in(caplog)
    response = reset(client, code, password="12345678")
    assert response.status_code == 200
    assert response.context["form"].errors["password1"]
    response = reset(client, code, again="Different@2025")
    assert "两次输入的密码不一致。" in text_of(response)
    assert reset(client, code)["Location"] == LOGIN


def _step_two_page(client, login):
    ask(client, login)
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", client.get(RESET).content.decode())


@pytest.mark.parametrize("unknown", [UNKNOWN, "no_such_user", "hn_clerk"])
def test_the_answer_is_the_same_for_an_unknown_account(demo, client, unknown, caplog):
    """The same redirect and page, the same wrong-code answer, and the same hashing work."""
    hashing = mock.patch("accounts.services.make_password", wraps=services.make_password)
    with hashing as counted:
        known_redirect = ask(client, SONG)
        known_hashes = counted.call_count
    known_page = _step_two_page(client, SONG)
    known_wrong = text_of(reset(client, "000000"))
    other = another_browser(demo.user(SONG))
    other.logout()
    with hashing as counted:
        unknown_redirect = ask(other, unknown)
        assert counted.call_count == known_hashes == 1
    unknown_page = _step_two_page(other, unknown)
    assert (unknown_redirect.status_code, unknown_redirect["Location"]) == (known_redirect.status_code, known_redirect["Location"])
    assert unknown_page == known_page
    with mock.patch("accounts.services.make_password", wraps=services.make_password) as counted:
        assert text_of(reset(other, "000000")) == known_wrong
        assert counted.call_count == 1  # the check of a live code is one hash: so is its stand-in
    assert PasswordResetCode.objects.filter(user__username=unknown).count() == 0


def test_clerks_and_system_administrators_get_no_code(demo, client, caplog):
    caplog.set_level(logging.INFO, logger="core.sms")
    for login in ("hn_clerk", "sysadmin"):
        user = demo.user(login)
        user.phone, user.email = "13900001111", "x@example.cn"
        user.save(update_fields=["phone", "email"])
        assert ask(client, login)["Location"] == RESET
    assert codes_in(caplog) == [] and mail.outbox == []
    assert not PasswordResetCode.objects.exists() and not AccountEvent.objects.exists()


def test_a_role_granted_after_the_code_was_sent_refuses_it(demo, client, caplog):
    caplog.set_level(logging.INFO, logger="core.sms")
    ask(client, SONG)
    services.role_grant(user=demo.user(SONG), role=Role.SYSADMIN)
    assert services.CODE_REFUSED in text_of(reset(client, codes_in(caplog)[0]))
    assert demo.user(SONG).check_password(DEMO_PASSWORD)


def test_codes_are_rate_limited_per_login_silently(demo, client, caplog, settings):
    settings.PASSWORD_RESET_RATE_LIMITS = {"account": (3, 3600), "address": (100, 3600)}
    caplog.set_level(logging.INFO, logger="core.sms")
    answers = [ask(client, SONG, ip=f"10.0.0.{i}") for i in range(5)]
    assert {a["Location"] for a in answers} == {RESET}  # the same answer: it must not tell the account exists
    assert len(codes_in(caplog)) == 3 and PasswordResetCode.objects.count() == 3
    assert events(AccountAction.PASSWORD_CODE_SENT).count() == 3


def test_codes_are_rate_limited_per_address(demo, client, caplog, settings):
    settings.PASSWORD_RESET_RATE_LIMITS = {"account": (3, 3600), "address": (4, 3600)}
    caplog.set_level(logging.INFO, logger="core.sms")
    for login in (UNKNOWN, "no_such_user", "nobody", "zhao"):
        assert ask(client, login)["Location"] == RESET
    response = ask(client, SONG)
    assert response.status_code == 200 and services.RESET_ADDRESS_LIMITED in text_of(response)
    assert codes_in(caplog) == []
    assert ask(client, SONG, ip="10.9.9.9")["Location"] == RESET  # another address is not affected
    assert len(codes_in(caplog)) == 1


def test_step_two_tries_are_limited_per_address_before_any_hashing(demo, client, caplog, settings):
    settings.PASSWORD_RESET_RATE_LIMITS = {**settings.PASSWORD_RESET_RATE_LIMITS, "address": (2, 3600), "attempt": (3, 3600)}
    caplog.set_level(logging.INFO, logger="core.sms")
    ask(client, SONG)
    [code] = codes_in(caplog)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for _ in range(3):
        assert services.CODE_REFUSED in text_of(reset(client, wrong))
    assert services.RESET_ATTEMPTS_LIMITED in text_of(reset(client, code))  # even the right code, now
    assert not demo.user(SONG).check_password(NEW_PASSWORD)
    # The tries have a counter of their own: the address may still ask for its second code.
    assert ask(client, "zhao")["Location"] == RESET


def test_step_two_without_step_one_goes_back(client):
    assert client.get(RESET)["Location"] == FORGOT
    assert reset(client, "123456")["Location"] == FORGOT


@override_settings(REQUIRE_2FA=True)
def test_the_second_factor_is_still_asked_after_a_password_reset(demo, client):
    """A clerk whose password a system administrator reset (and marked to be changed) still gives
    the authenticator's code first: neither the reset nor 修改密码 opens a page without it."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    clerk = demo.user("hn_clerk")
    TOTPDevice.objects.create(user=clerk, name="身份验证器", confirmed=True)
    clerk.set_password("Linshi@2025")
    clerk.must_change_password = True
    clerk.save()
    assert client.post(LOGIN, {"username": "hn_clerk", "password": "Linshi@2025"}).status_code == 302
    verify = reverse("accounts:otp_verify")
    for page in (HOME, reverse("accounts:password_change")):
        assert client.get(page)["Location"].startswith(verify)


def test_the_password_is_not_in_the_audit_trail_or_the_database_in_clear(demo, client, caplog):
    caplog.set_level(logging.INFO, logger="core.sms")
    ask(client, SONG)
    [code] = codes_in(caplog)
    reset(client, code)
    for event in AccountEvent.objects.all():
        assert code not in str(event.details) and NEW_PASSWORD not in str(event.details)
    assert password_login(client, SONG, NEW_PASSWORD)
