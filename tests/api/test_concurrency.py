"""Calls that arrive at the same moment, in real threads with their own database connections
(tests/races.py): a retry racing its original, a push racing a withdrawal, a push racing the
person ticking the record in (确认选择). Exactly one row per record id; every answer agrees with
the end state.

Run on PostgreSQL:
    DATABASE_URL=postgres://postgres:postgres@127.0.0.1:5432/xueshi_tests .venv/bin/python -m pytest tests/api/test_concurrency.py
"""
import json
import threading
from collections import Counter

import pytest
from django.test import Client

from accounts.models import User
from api import services
from hours import services as hours_services
from hours.models import TrainingRecord
from tests import races
from tests.api.conftest import BASE, RECORDS, record
from tests.review.test_concurrency import PROFILE

pytestmark = races.on_postgresql()


@pytest.fixture
def key(committed_demo):
    _, raw = services.key_create(
        user=committed_demo.account("sysadmin"), organisation=committed_demo.org(BASE), name="并发测试",
        subjects=["public", "professional"], source="training_base",
    )
    return raw


def call(method, raw, path="", body=None):
    def run():
        client = Client()
        headers = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
        if method == "post":
            return client.post(RECORDS, json.dumps(body), content_type="application/json", **headers)
        return getattr(client, method)(RECORDS + path, **headers)

    return run


def released_together(*calls):
    barrier = threading.Barrier(len(calls))

    def waiting(run):
        def go():
            barrier.wait(timeout=10)
            return run()

        return go

    return races.in_threads(*map(waiting, calls), barrier=barrier)


def test_two_identical_batches_at_once_make_one_row_per_record(key):
    batch = {"records": [record(f"R-{i:03d}", title=f"在线课程第{i}讲") for i in range(50)]}
    first, second = released_together(call("post", key, body=batch), call("post", key, body=batch))
    assert first.status_code == second.status_code == 200
    per_record = {}
    for answer in (first.json(), second.json()):
        for result in answer["results"]:
            per_record.setdefault(result["record_id"], []).append(result["status"])
    assert all(sorted(statuses) == ["accepted", "unchanged"] for statuses in per_record.values()), per_record
    assert len(per_record) == 50
    counts = Counter(TrainingRecord.objects.values_list("external_id", flat=True))
    assert len(counts) == 50 and set(counts.values()) == {1}


def test_a_push_and_a_withdrawal_at_once_end_consistent(key):
    for round in range(3):
        record_id = f"R-{round}"
        call("post", key, body={"records": [record(record_id)]})()
        changed = {"records": [record(record_id, hours="12")]}
        pushed, withdrawn = released_together(call("post", key, body=changed), call("delete", key, f"/{record_id}"))
        assert pushed.status_code == 200 and withdrawn.status_code == 200
        assert pushed.json()["results"][0]["status"] == "updated"
        row = TrainingRecord.objects.get(external_id=record_id)
        assert str(row.hours) == "12.0"  # the push's values, whichever came first
        # Withdrawn if the withdrawal came last; reinstated by the push if it came last.
        shown = call("get", key, f"/{record_id}")()
        assert shown.json()["status"] == ("withdrawn" if row.withdrawn_at else "waiting")


def test_a_push_racing_the_person_ticking_the_record_in_never_changes_what_was_ticked(key, committed_demo, monkeypatch):
    """The push has read the record (not yet ticked in) and is about to write new hours when 宋庆涛
    ticks it in: the record's row lock makes one wait for the other, so the item counts the hours
    the record ends with."""
    song = User.objects.get(name="宋庆涛")
    d = hours_services.declaration_create(user=song, applicant=song, data={**PROFILE, "name": song.name}, start_year=2023, end_year=2023)
    year_record = hours_services.year_record_add(declaration=d, user=song, year=2023)
    call("post", key, body={"records": [record("R-1")]})()
    pk = TrainingRecord.objects.get().pk

    barrier, claimed = threading.Barrier(2), threading.Event()
    real_update_rows = services._update_rows

    def update_once_the_claim_is_done(records, fields):
        # The claim goes first, unless a lock of the push's makes it wait: then the push goes on
        # after a moment.
        if records:
            barrier.wait(timeout=10)
            claimed.wait(timeout=3)
        return real_update_rows(records, fields)

    monkeypatch.setattr(services, "_update_rows", update_once_the_claim_is_done)

    def claim():
        barrier.wait(timeout=10)
        try:
            return hours_services.training_records_claim(year_record=year_record, user=song, record_ids=[pk])
        finally:
            claimed.set()

    pushed, _ = races.in_threads(call("post", key, body={"records": [record("R-1", hours="8")]}), claim, barrier=barrier)
    assert pushed.json()["results"][0]["status"] == "updated"
    row = TrainingRecord.objects.select_related("item").get()
    assert row.item is not None and row.item.public_hours == row.hours == 8
