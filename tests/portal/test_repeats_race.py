"""Two tabs of one browser send the same form at the same moment (core/repeats.py): it runs once.
In its own module: a transactional test needs committed data, which the other tests' module-wide
demo province (inside a transaction) would stand in the way of."""
import threading

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from hours.models import Declaration
from tests.hours.fixtures_views import form_data_for_new
from tests.races import in_threads

NEW = "hours:declaration_new"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("writers_queue")
def test_the_same_post_at_the_same_moment_runs_once(committed_demo):
    """Two tabs of one browser send 新增学时核认申报 together: one draft, the other tab told so.
    (PostgreSQL; SQLite's test database here is a file whose IMMEDIATE transactions queue writers too.)"""
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
