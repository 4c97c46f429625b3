"""The same paper added from two tabs at the same moment, and the same training record claimed
twice at once, in real threads with their own connections: exactly one item, the other request
refused with its message, never a 500. The declaration's row lock serialises the two (PostgreSQL
only: SQLite lets one writer in at a time whatever the lock); when both have passed the service's
check before either writes, the unique constraint decides, on SQLite too (a file database whose
IMMEDIATE transactions queue the writers).

Run on PostgreSQL:
    DATABASE_URL=postgres://postgres:postgres@127.0.0.1:5432/robust_policy .venv/bin/python -m pytest tests/hours/test_item_concurrency.py
"""
from contextlib import nullcontext
from operator import attrgetter
from types import SimpleNamespace
from unittest import mock

import pytest
from django.core.exceptions import ValidationError

from accounts.models import User
from hours import services
from hours.models import Declaration, Item, ItemSource, TrainingRecord, YearRecord
from tests import races
from tests.review.test_concurrency import PROFILE

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("writers_queue")]
ROUNDS = 3
PAPER = {"author_rank": 1, "title": "湘西铅锌矿成矿规律研究"}


@pytest.fixture
def p(committed_demo):
    return SimpleNamespace(song=User.objects.get(name="宋庆涛"))


def at_once(*calls):
    """Each call in its own thread and connection, all released together; per call ("ok", result)
    or ("refused", messages)."""
    return races.at_once(*calls, refused=ValidationError, reason=attrgetter("messages"))


def year(p):
    """2023 of a new declaration of 宋庆涛 each round: spans 2023, 2022–2023, … (one open declaration per span)."""
    start = 2023 - Declaration.objects.filter(applicant=p.song).count()
    d = services.declaration_create(user=p.song, applicant=p.song, data={**PROFILE, "name": p.song.name},
                                    start_year=start, end_year=2023)
    return services.year_record_add(declaration=d, user=p.song, year=2023)


def add_paper(record_pk, user_pk):
    def prepare():
        record, user = YearRecord.objects.get(pk=record_pk), User.objects.get(pk=user_pk)
        return lambda: services.item_add(year_record=record, user=user, activity="paper", facts=PAPER)

    return prepare


@pytest.mark.parametrize(
    "past_the_check", [pytest.param(False, marks=pytest.mark.postgres), True], ids=["the-check-refuses", "the-constraint-refuses"]
)
def test_the_same_paper_from_two_tabs_at_once_is_one_item(p, past_the_check):
    for _ in range(ROUNDS):
        record = year(p)
        with mock.patch.object(services, "_identity_taken", return_value=None) if past_the_check else nullcontext():
            results = at_once(add_paper(record.pk, p.song.pk), add_paper(record.pk, p.song.pk))
        assert sorted(r[0] for r in results) == ["ok", "refused"], results
        refused = next(r for r in results if r[0] == "refused")
        assert refused[1] == ["“湘西铅锌矿成矿规律研究”已在2023年度申报，同一论文题目只能申报一次。"]
        assert Item.objects.filter(year_record=record).count() == 1
        assert Declaration.objects.get(pk=record.declaration_id).total_professional == 30


@pytest.mark.postgres  # the training record's row lock decides
def test_the_same_record_claimed_twice_at_once_is_one_item(p):
    for round_no in range(ROUNDS):
        record = year(p)
        training = TrainingRecord.objects.create(
            source=ItemSource.PLATFORM, id_number=p.song.id_number, name=p.song.name, year=2023,
            title=f"2023年度公需科目培训（第{round_no + 1}期）", subject="public", hours=30,
        )

        def claim():
            year_record, user = YearRecord.objects.get(pk=record.pk), User.objects.get(pk=p.song.pk)
            return lambda: services.training_records_claim(year_record=year_record, user=user, record_ids=[training.pk])

        results = at_once(claim, claim)
        assert sorted(r[0] for r in results) == ["ok", "refused"], results
        assert Item.objects.filter(year_record=record).count() == 1
        assert Declaration.objects.get(pk=record.declaration_id).total_public == 30
