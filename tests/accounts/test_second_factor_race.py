"""One one-time code sent twice at the same moment (a double click, or an onlooker racing the
clerk): exactly one request is let in. totp_check locks the device row (SELECT … FOR UPDATE on
PostgreSQL; on SQLite the IMMEDIATE transaction lets one writer in at a time), so the second
request sees the time step already used. Real threads with their own connections."""
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import services
from accounts.models import Role
from tests.helpers import make_staff

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _writers_queue(django_db_setup):
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        pytest.skip("threads that write need PostgreSQL or SQLite on a file")


def test_one_code_sent_twice_at_once_lets_one_in():
    admin = make_staff(username="race_admin", role=Role.SYSADMIN)
    device = TOTPDevice.objects.create(user=admin, name="身份验证器", confirmed=True)
    token = f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"
    barrier = threading.Barrier(2)
    results = []

    def send():
        try:
            mine = TOTPDevice.objects.get(pk=device.pk)
            barrier.wait(timeout=10)
            services.totp_check(device=mine, token=token)
            results.append("accepted")
        except ValidationError as exc:
            results.append(exc.code)
        except BaseException as exc:  # noqa: BLE001 - reported in the assertion below
            results.append(repr(exc))
            barrier.abort()
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(results) == ["accepted", "invalid"], results
    device.refresh_from_db()
    assert device.throttling_failure_count == 1
