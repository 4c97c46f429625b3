"""Work queued for after a commit (here a password-reset code's sending) may fail; what was
committed stands and the failure is logged by name. Real commits: these tests run outside the test
transaction, which would otherwise hold every after-commit call back."""
import logging

import pytest
from django.db import transaction
from django.test import RequestFactory

from accounts import services
from accounts.models import PasswordResetCode, User
from core.commits import after_commit
from workflow.delivery import deliver
from tests.portal.jobs_support import RefusingQueue

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_failing_call_is_named_and_the_next_one_still_runs(caplog):
    ran = []

    def check_arrival(pk):
        raise ValueError(f"无法校验 {pk}")

    with caplog.at_level(logging.ERROR, logger="django.db.backends.base"), transaction.atomic():
        User.objects.create(username="after-commit", name="赵金强")
        after_commit(check_arrival, 7)
        after_commit(ran.append, "second")
    assert User.objects.filter(username="after-commit").exists() and ran == ["second"]
    assert [r.getMessage() for r in caplog.records] == [
        "Error calling test_a_failing_call_is_named_and_the_next_one_still_runs.<locals>.check_arrival in on_commit() "
        "during transaction (无法校验 7)."
    ]


def test_a_reset_code_whose_sending_cannot_be_queued_is_still_issued(monkeypatch, caplog):
    """忘记密码 answers as usual: the code is stored (asked again, a new one is sent); the queue's
    failure is in the log, not a server error."""
    person = User.objects.create(username="reset-test", name="宋庆涛", phone="18899098765")
    monkeypatch.setattr("accounts.services.tasks.send_reset_code", RefusingQueue())
    request = RequestFactory().post("/accounts/password/reset/", REMOTE_ADDR="203.0.113.7")
    with caplog.at_level(logging.ERROR, logger="django.db.backends.base"):
        reset = services.password_code_send(login="reset-test", request=request)
    assert PasswordResetCode.objects.filter(pk=reset.pk, user=person).exists()
    assert [r.getMessage() for r in caplog.records] == [
        "Error calling RefusingQueue.enqueue in on_commit() during transaction (任务队列不可用)."
    ]


def test_a_task_that_cannot_be_queued_is_named_by_its_task(caplog):
    """Every task's enqueue is Task.enqueue: the log names the task it was for."""
    with caplog.at_level(logging.ERROR, logger="django.db.backends.base"), transaction.atomic():
        User.objects.create(username="after-commit-task", name="赵金强")
        after_commit(deliver.enqueue, object(), ["email"])  # arguments a task queue cannot store
    assert User.objects.filter(username="after-commit-task").exists()
    assert [r.getMessage() for r in caplog.records] == [
        "Error calling workflow.delivery.deliver.enqueue in on_commit() during transaction (Unsupported type: <class 'object'>)."
    ]
