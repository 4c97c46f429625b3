"""Two tabs of one browser send the same form at the same moment (core/repeats.py): it runs once.
The guard works in the cache before any transaction begins, so the race is real on SQLite too
(a file database whose IMMEDIATE transactions queue the writers). In its own module: a
transactional test needs committed data, which the other tests' module-wide demo province
(inside a transaction) would stand in the way of."""
import threading

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from accounts.models import User
from core.repeats import BUSY, REPEATED
from hours.models import Declaration
from tests.hours.fixtures_views import form_data_for_new
from tests.races import in_threads

NEW = "hours:declaration_new"


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("writers_queue")
def test_the_same_post_at_the_same_moment_runs_once(committed_demo):
    """Two tabs of one browser send 新增学时核认申报 together: one draft, and the other tab is
    answered by the guard (sent already, or still under way), not by the form run a second time,
    which would find the draft and open it."""
    song = User.objects.get(id_number="430121198805041015")
    first = Client()
    first.force_login(song)
    second = Client()
    second.cookies = first.cookies  # the same browser: the same session
    barrier = threading.Barrier(2)

    def send(client):
        def run():
            barrier.wait(timeout=10)
            return client.post(reverse(NEW), form_data_for_new())

        return run

    answers = in_threads(send(first), send(second), barrier=barrier)
    assert Declaration.objects.filter(applicant=song).count() == 1
    assert sorted(a.status_code for a in answers) in ([302, 302], [302, 409])
    said = [told(a) for a in answers]
    assert sum(REPEATED in s or BUSY in s for s in said) == 1, said
    assert not any("已为您打开" in m for s in said for m in s), said


def told(answer):
    """What an answer tells the tab: the busy page's message, or the messages its request queued."""
    if answer.status_code == 409:
        return [BUSY] if BUSY in answer.content.decode() else []
    return [str(m) for m in get_messages(answer.wsgi_request)]
