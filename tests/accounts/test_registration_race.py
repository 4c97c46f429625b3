"""注册 sent twice at the same moment on PostgreSQL (a double click, or two tabs), in real threads
with their own connections: both pass every check, both insert, the unique index lets one in, and
the other request gets the form back with "该证件号码已注册，请直接登录" beside the number — never a
server error. (The same seen one request after the other: tests/accounts/test_registration.py.)

A module of its own: its committed data must not meet the shared demo province of other modules."""
import threading

import pytest
from django.db import connection
from django.test import Client

from accounts.management.commands.load_demo import load
from accounts.models import Membership, User
from tests.accounts.test_registration import REGISTER_URL, form_data
from tests.conftest import ensure_rule_sets, province_only
from tests.helpers import make_id_number

ALREADY = "该证件号码已注册，请直接登录；如忘记密码请联系单位管理员。"

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (two saves at once)"),
]


def test_two_registrations_at_the_same_moment_make_one_account(demo_data, monkeypatch):
    ensure_rule_sets()
    load(province_only(demo_data))
    number = make_id_number()
    barrier = threading.Barrier(2)
    real_save = User.save

    def save_together(user, *args, **kwargs):
        if user._state.adding:
            barrier.wait(timeout=10)  # both requests have passed every check: now both insert
        return real_save(user, *args, **kwargs)

    monkeypatch.setattr(User, "save", save_together)
    answers = [None, None]

    def register(index):
        try:
            response = Client().post(REGISTER_URL, form_data(id_number=number, phone=f"1390731123{index}"))
            # The page, not response.context: the test client's template signal hears both threads.
            answers[index] = (response.status_code, ALREADY in response.content.decode())
        except BaseException as exc:  # noqa: BLE001 - reported below
            answers[index] = repr(exc)
            barrier.abort()
        finally:
            connection.close()

    threads = [threading.Thread(target=register, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(answers, key=str) == [(200, True), (302, False)], answers
    user = User.objects.get(id_number=number)
    assert Membership.objects.filter(person=user).count() == 1
