"""Two tabs on PostgreSQL, in real threads with their own connections: both pages have found the
draft (or the training filing) when one deletes it and the other deletes it too, or adds a year to
it. The second request waits for the first's row lock, then finds no row: it answers on the list
with "该申报已被删除" (or "该备案已被删除"), never a server error.

Run with: DATABASE_URL=postgres://postgres:postgres@127.0.0.1:5432/<db> .venv/bin/python -m pytest tests/hours/test_deleted_meanwhile_postgres.py"""
import pytest
from django.urls import reverse

from hours import filings, services
from hours.models import Declaration, TrainingFiling
from tests.helpers import text_of
from tests.hours.fixtures_views import *  # noqa: F401,F403 (fixtures)
from tests.hours.fixtures_views import draft, people
from tests.hours.test_filings import new_filing
from tests.races import on_postgresql, post_at_once, together

pytestmark = on_postgresql()


@pytest.fixture
def p(committed_demo, media):
    return people(committed_demo)


def test_a_draft_deleted_in_two_tabs_at_once(p, monkeypatch):
    d = draft(p.song)
    barrier = together(monkeypatch, services, "declaration_delete")
    url = reverse("hours:declaration_delete", args=[d.pk])
    clients, answers = post_at_once(barrier, p.song, (url, {}), (url, {}))
    assert {a["Location"] for a in answers} == {reverse("hours:declaration_list")}
    shown = sorted(text_of(c.get(reverse("hours:declaration_list"))) for c in clients)
    assert sum(f"申报 {d.business_no} 已删除。" in page for page in shown) == 1
    assert sum("该申报已被删除。" in page for page in shown) == 1
    assert not Declaration.objects.filter(pk=d.pk).exists()


def test_a_year_added_while_another_tab_deletes_the_draft(p, monkeypatch):
    d = draft(p.song)
    barrier = together(monkeypatch, services, "declaration_delete", "year_record_add")
    clients, answers = post_at_once(
        barrier, p.song,
        (reverse("hours:declaration_delete", args=[d.pk]), {}),
        (reverse("hours:year_add", args=[d.pk]), {"year": "2023", "months_away": "0"}),
    )
    assert not Declaration.objects.filter(pk=d.pk).exists()
    # Whichever locked first: the year was added and then deleted with the draft, or the
    # declaration was gone when the year came.
    page = text_of(clients[1].get(answers[1]["Location"]))
    assert "已新增2023年度明细" in page or "该申报已被删除。" in page, page


def test_a_filing_deleted_in_two_tabs_at_once(p, monkeypatch):
    filing = new_filing(p)
    barrier = together(monkeypatch, filings, "filing_delete")
    url = reverse("hours:filing_delete", args=[filing.pk])
    clients, answers = post_at_once(barrier, p.chen, (url, {}), (url, {}))
    shown = [text_of(c.get(reverse("hours:filing_list"))) for c in clients]
    assert sum(f"“{filing.name}”已删除。" in page for page in shown) == 1
    assert sum("该备案已被删除。" in page for page in shown) == 1
    assert not TrainingFiling.objects.filter(pk=filing.pk).exists()
