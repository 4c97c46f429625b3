"""Second factor (TOTP, django-otp): with REQUIRE_2FA on, bureau clerks and system administrators
bind an authenticator the first time and give its code after the password every time; until they
do, every page (/admin/ too) sends them there. Codes are real, computed from the device's key."""
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.helpers import DEMO_PASSWORD, text_of

pytestmark = pytest.mark.django_db

LOGIN_URL = reverse("accounts:login")
HOME = reverse("portal:home")
SETUP = reverse("accounts:otp_setup")
VERIFY = reverse("accounts:otp_verify")
WRONG_CODE = "动态口令不正确或已使用过，请输入验证器上当前显示的6位数字。"

required = override_settings(REQUIRE_2FA=True)


def code(device, steps_ahead=0):
    """The code an authenticator app shows now for the device (or that many 30 s steps later)."""
    device.refresh_from_db()
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift + steps_ahead):06d}"


def sign_in(client, login, **extra):
    return client.post(LOGIN_URL, {"username": login, "password": DEMO_PASSWORD, **extra})


def with_next(page, next_url):
    return f"{page}?{urlencode({'next': next_url})}"


def bound_device(user):
    return TOTPDevice.objects.create(user=user, name="身份验证器", confirmed=True)


def wait_out_throttle(device):
    """As if the throttle's wait (1, 2, 4 … s after each wrong code) had passed."""
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_timestamp=timezone.now() - timedelta(hours=1))


@required
def test_first_sign_in_binds_an_authenticator(demo, client):
    clerk = demo.user("hn_clerk")
    response = sign_in(client, "hn_clerk")
    assert response["Location"] == HOME
    response = client.get(HOME)
    assert response.status_code == 302 and response["Location"] == with_next(SETUP, HOME)
    page = client.get(response["Location"])
    assert page.status_code == 200
    device = TOTPDevice.objects.get(user=clerk)
    assert not device.confirmed
    html = page.content.decode()
    assert "绑定身份验证器" in text_of(page)
    assert 'class="sidemenu"' not in html  # its pages would only send the clerk back here
    assert "<svg" in html and "身份验证器绑定二维码" in html
    secret = device.config_url.split("secret=")[1].split("&")[0]
    assert " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)) in html
    assert device.config_url.startswith("otpauth://totp/%E5%AD%A6%E6%97%B6%E6%A0%B8%E8%AE%A4%3Ahn_clerk?")
    # A reload shows the same key: a QR code scanned a moment ago keeps working.
    client.get(SETUP)
    assert TOTPDevice.objects.filter(user=clerk).count() == 1

    response = client.post(SETUP, {"token": code(device), "next": HOME})
    assert response.status_code == 302 and response["Location"] == HOME
    device.refresh_from_db()
    assert device.confirmed
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
    assert "人社部门 · 湖南省人力资源和社会保障厅" in text_of(client.get(HOME))
    assert client.get(reverse("accounts:jurisdiction")).status_code == 200


@required
def test_every_page_waits_for_the_second_factor(demo, client):
    sign_in(client, "hn_clerk")
    for url in [HOME, reverse("accounts:jurisdiction"), reverse("accounts:profile"), reverse("accounts:login")]:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"] == with_next(SETUP, url)
    # Signing out is always possible.
    assert client.post(reverse("accounts:logout")).status_code == 302
    assert client.get(HOME)["Location"].startswith(LOGIN_URL)


@required
def test_a_wrong_code_is_refused_and_throttled(demo, client):
    clerk = demo.user("hn_clerk")
    sign_in(client, "hn_clerk")
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=clerk)
    wrong = f"{(int(code(device)) + 1) % 1_000_000:06d}"
    response = client.post(SETUP, {"token": wrong})
    assert response.status_code == 200
    assert WRONG_CODE in text_of(response)
    device.refresh_from_db()
    assert not device.confirmed and device.throttling_failure_count == 1
    # Straight after a wrong code even the right one waits.
    response = client.post(SETUP, {"token": code(device)})
    assert "动态口令错误次数过多，请1秒后再试。" in text_of(response)
    assert client.get(HOME)["Location"].startswith(SETUP)
    wait_out_throttle(device)
    assert client.post(SETUP, {"token": code(device)})["Location"] == HOME
    device.refresh_from_db()
    assert device.throttling_failure_count == 0


@required
@pytest.mark.parametrize("token", ["", "12345", "1234567", "abcdef"])
def test_a_malformed_code_is_refused_without_counting(demo, client, token):
    sign_in(client, "hn_clerk")
    client.get(SETUP)
    response = client.post(SETUP, {"token": token})
    assert response.status_code == 200
    assert ("请输入6位数字的动态口令。" if token else "这个字段是必填项。") in text_of(response)
    assert TOTPDevice.objects.get(user=demo.user("hn_clerk")).throttling_failure_count == 0


@required
def test_later_sign_ins_ask_for_the_code_and_refuse_a_replayed_one(demo, client):
    clerk = demo.user("hn_clerk")
    device = bound_device(clerk)
    sign_in(client, "hn_clerk", next=reverse("accounts:jurisdiction"))
    response = client.get(reverse("accounts:jurisdiction"))
    assert response["Location"] == with_next(VERIFY, reverse("accounts:jurisdiction"))
    page = client.get(response["Location"])
    assert "动态口令验证" in text_of(page)
    # Binding again is not offered to someone who has bound an authenticator.
    assert client.get(SETUP)["Location"].startswith(VERIFY)

    used = code(device)
    response = client.post(VERIFY, {"token": used, "next": reverse("accounts:jurisdiction")})
    assert response.status_code == 302 and response["Location"] == reverse("accounts:jurisdiction")
    assert client.get(reverse("accounts:jurisdiction")).status_code == 200

    # Someone who watched the code go in cannot use it again, not even within its 30 seconds.
    client.post(reverse("accounts:logout"))
    sign_in(client, "hn_clerk")
    response = client.post(VERIFY, {"token": used})
    assert response.status_code == 200 and WRONG_CODE in text_of(response)
    assert client.get(HOME).status_code == 302
    wait_out_throttle(device)
    # The authenticator's next code works.
    assert client.post(VERIFY, {"token": code(device, steps_ahead=1)})["Location"] == HOME
    assert client.get(HOME).status_code == 200


@required
def test_the_admin_site_waits_for_the_second_factor(demo, client):
    admin = demo.user("sysadmin")
    device = bound_device(admin)
    response = client.post(reverse("admin:login"), {"username": "sysadmin", "password": DEMO_PASSWORD, "next": "/admin/"})
    assert response.status_code == 302
    response = client.get("/admin/")
    assert response.status_code == 302 and response["Location"] == with_next(VERIFY, "/admin/")
    assert client.get("/admin/accounts/user/")["Location"].startswith(VERIFY)
    assert client.post(VERIFY, {"token": code(device), "next": "/admin/"})["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


@required
def test_a_superuser_without_the_role_grant_counts_as_administrator(demo, client, django_user_model):
    django_user_model.objects.create_superuser(username="root", password=DEMO_PASSWORD, name="超级用户")
    sign_in(client, "root")
    assert client.get("/admin/")["Location"].startswith(SETUP)


@required
@pytest.mark.parametrize("login", ["430121198805041015", "dzcl_admin", "dzy_admin", "zrzy_admin"])
def test_other_roles_are_not_asked(demo, client, login):
    sign_in(client, login)
    assert client.get(HOME).status_code == 200
    assert client.get(SETUP)["Location"] == HOME
    assert client.get(VERIFY)["Location"] == HOME
    assert not TOTPDevice.objects.exists()


def test_with_the_setting_off_nobody_is_asked(demo, client):
    device = bound_device(demo.user("hn_clerk"))
    sign_in(client, "hn_clerk")
    assert client.get(HOME).status_code == 200
    assert client.get(reverse("accounts:jurisdiction")).status_code == 200
    assert client.get(VERIFY)["Location"] == HOME
    assert client.post(VERIFY, {"token": code(device)})["Location"] == HOME
    client.post(reverse("accounts:logout"))
    sign_in(client, "sysadmin")
    assert client.get("/admin/").status_code == 200


@override_settings(REQUIRE_2FA=True, OTP_REQUIRED_ROLES=("sysadmin",))
def test_the_roles_asked_follow_the_setting(demo, client):
    sign_in(client, "hn_clerk")
    assert client.get(HOME).status_code == 200
    client.post(reverse("accounts:logout"))
    sign_in(client, "sysadmin")
    assert client.get(HOME)["Location"].startswith(SETUP)


@required
def test_the_page_after_the_code_is_never_off_site(demo, client):
    device = bound_device(demo.user("hn_clerk"))
    sign_in(client, "hn_clerk")
    response = client.post(VERIFY, {"token": code(device), "next": "https://evil.example.com/"})
    assert response["Location"] == HOME


@required
def test_anonymous_visitors_are_sent_to_the_login(client, db):
    for url in [SETUP, VERIFY]:
        assert client.get(url)["Location"].startswith(LOGIN_URL)


def test_the_admin_hides_the_key_and_unbinds_a_lost_authenticator(demo, client):
    clerk = demo.user("hn_clerk")
    device = bound_device(clerk)
    client.force_login(demo.user("sysadmin"))
    change = client.get(reverse("admin:otp_totp_totpdevice_change", args=[device.pk]))
    assert change.status_code == 200
    assert device.key not in change.content.decode()
    assert client.get(reverse("admin:otp_totp_totpdevice_config", args=[device.pk])).status_code == 403
    assert client.get(reverse("admin:otp_totp_totpdevice_qrcode", args=[device.pk])).status_code == 403
    response = client.post(reverse("admin:otp_totp_totpdevice_delete", args=[device.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=clerk).exists()
    # The clerk then binds a new authenticator at the next sign-in.
    client.post(reverse("accounts:logout"))
    with override_settings(REQUIRE_2FA=True):
        sign_in(client, "hn_clerk")
        assert client.get(HOME)["Location"].startswith(SETUP)


def test_a_code_for_an_authenticator_unbound_meanwhile_is_refused_with_a_message(demo):
    """The administrator deletes a lost authenticator while its owner is typing a code for it."""
    from django.core.exceptions import ValidationError

    from accounts import services

    device = bound_device(demo.user("hn_clerk"))
    token = code(device)
    TOTPDevice.objects.filter(pk=device.pk).delete()
    with pytest.raises(ValidationError) as caught:
        services.totp_check(device=device, token=token)
    assert caught.value.messages == ["身份验证器已被管理员解除绑定，请重新登录后重新绑定。"]
