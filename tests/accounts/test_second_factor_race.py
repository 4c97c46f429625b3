"""One one-time code sent twice at the same moment (a double click, or an onlooker racing the
clerk): exactly one request is let in. totp_check locks the device row (SELECT … FOR UPDATE), so
the second request sees the time step already used. Real threads with their own connections, on
PostgreSQL: SQLite lets one writer in at a time, so there it passes without the lock too."""
from operator import attrgetter

from django.core.exceptions import ValidationError
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import services
from accounts.models import Role
from tests.helpers import make_staff
from tests.races import at_once, on_postgresql

pytestmark = on_postgresql()


def test_one_code_sent_twice_at_once_lets_one_in():
    admin = make_staff(username="race_admin", role=Role.SYSADMIN)
    device = TOTPDevice.objects.create(user=admin, name="身份验证器", confirmed=True)
    token = f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"

    def send():
        mine = TOTPDevice.objects.get(pk=device.pk)
        return lambda: services.totp_check(device=mine, token=token)

    answers = at_once(send, send, refused=ValidationError, reason=attrgetter("code"))
    results = ["accepted" if outcome == "ok" else code for outcome, code in answers]
    assert sorted(results) == ["accepted", "invalid"], results
    device.refresh_from_db()
    assert device.throttling_failure_count == 1
