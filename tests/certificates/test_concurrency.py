"""Two clicks on 下载 at the same moment, in real threads with their own connections: one
certificate between them (and, after the hours changed, one successor). The lock on the
applicant's row serialises them: PostgreSQL only, as SQLite queues every writer anyway.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/xueshi .venv/bin/python -m pytest tests/certificates/test_concurrency.py
"""
import pytest

from accounts.models import Organisation, User
from certificates.models import Certificate, CertificateStatus
from certificates.services import certificate_issue
from hours import services
from hours.transitions import declaration_approve, declaration_submit

from .conftest import BASE_URL, PROFILE
from tests.races import at_once, on_postgresql
from tests.hours.fixtures_views import complete

pytestmark = on_postgresql()


@pytest.fixture
def people(committed_demo):
    """The demo province, committed, so that every thread's connection sees it."""
    return (
        User.objects.get(name="宋庆涛"), User.objects.get(name="陈立新"), User.objects.get(username="hn_clerk"),
        Organisation.objects.get(name="湖南省人力资源和社会保障厅"),
    )


def approved(people, year, professional_days):
    song, chen, clerk, hn = people
    d = services.declaration_create(user=song, applicant=song, data={**PROFILE, "name": song.name}, start_year=year, end_year=year)
    record = services.year_record_add(declaration=d, user=song, year=year)
    services.item_add(year_record=record, user=song, activity="training", facts={"subject": "public", "days": 4, "half_days": 0})
    services.item_add(year_record=record, user=song, activity="training", facts={"subject": "professional", "days": professional_days, "half_days": 0})
    d = declaration_submit(declaration=complete(d), user=song, pledge=True)
    d = declaration_approve(declaration=d, user=chen, next_org=hn)
    return declaration_approve(declaration=d, user=clerk)


def double_click(user_pk):
    """Two clicks on 下载 at once; per click the certificate's number and whether it was made then."""

    def click():
        user = User.objects.get(pk=user_pk)
        return lambda: certificate_issue(user=user, start_year=2020, end_year=2021, base_url=BASE_URL)

    return [(certificate.number, created) for _, (certificate, created) in at_once(click, click)]


def test_two_clicks_at_once_issue_one_certificate_and_then_one_successor(people):
    song = people[0]
    approved(people, 2020, 8)
    approved(people, 2021, 8)
    results = double_click(song.pk)
    assert results[0][0] == results[1][0] and sorted(r[1] for r in results) == [False, True], results
    assert Certificate.objects.filter(applicant=song).count() == 1
    first = results[0][0]

    approved(people, 2021, 9)  # the hours change: the next double click supersedes once
    results = double_click(song.pk)
    assert results[0][0] == results[1][0] != first and sorted(r[1] for r in results) == [False, True], results
    assert Certificate.objects.filter(applicant=song, status=CertificateStatus.CURRENT).get().number == results[0][0]
    old = Certificate.objects.get(number=first)
    assert old.status == CertificateStatus.SUPERSEDED and old.superseded_by.number == results[0][0]
    assert Certificate.objects.filter(applicant=song).count() == 2
