"""注册 sent twice at the same moment on PostgreSQL (a double click, or two tabs), in real threads
with their own connections: both pass every check, both insert, the unique index lets one in, and
the other request gets the form back with "该证件号码已注册，请直接登录" beside the number — never a
server error. (The same seen one request after the other: tests/accounts/test_registration.py.)

A module of its own: its committed data must not meet the shared demo province of other modules."""
from django.test import Client

from accounts.models import Membership, User
from tests.accounts.test_registration import REGISTER_URL, form_data
from tests.helpers import make_id_number
from tests.races import in_threads, inserts_together, on_postgresql

ALREADY = "该证件号码已注册，请直接登录；如忘记密码，请在登录页点击“忘记密码”找回。"

pytestmark = on_postgresql("two inserts at the same moment, which SQLite, letting one writer in at a time, never lets meet")


def test_two_registrations_at_the_same_moment_make_one_account(committed_demo, monkeypatch):
    number = make_id_number()
    barrier = inserts_together(monkeypatch, User)  # both requests have passed every check: now both insert

    def register(index):
        def run():
            response = Client().post(REGISTER_URL, form_data(id_number=number, phone=f"1390731123{index}"))
            # The page, not response.context: the test client's template signal hears both threads.
            return response.status_code, ALREADY in response.content.decode()

        return run

    answers = in_threads(register(0), register(1), barrier=barrier)
    assert sorted(answers, key=str) == [(200, True), (302, False)], answers
    user = User.objects.get(id_number=number)
    assert Membership.objects.filter(person=user).count() == 1
