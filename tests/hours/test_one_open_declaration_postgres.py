"""新增学时核认申报, 单位代为申报 and 新增培训备案 saved twice at the same moment on PostgreSQL (a
double click), in real threads with their own connections: both requests look for an open one,
find none, and insert; the unique constraint lets one in and the other opens it with a message —
one draft, no server error.

Run with: DATABASE_URL=postgres://postgres:postgres@127.0.0.1:5432/<db> .venv/bin/python -m pytest tests/hours/test_one_open_declaration_postgres.py"""
import pytest
from django.urls import reverse

from hours.models import Declaration, TrainingFiling
from tests.helpers import text_of
from tests.hours.fixtures_views import *  # noqa: F401,F403 (fixtures)
from tests.hours.fixtures_views import form_data_for_new, people
from tests.hours.test_filing_views import form_data as filing_form
from tests.races import inserts_together, on_postgresql, post_at_once

pytestmark = on_postgresql("two inserts at the same moment, which SQLite, letting one writer in at a time, never lets meet")


@pytest.fixture
def p(committed_demo, media):
    return people(committed_demo)


def post_twice_at_once(barrier, user, url, data):
    clients, answers = post_at_once(barrier, user, (url, data()), (url, data()))
    # Each click's own answer, read after both (the flash message waits in each browser's session).
    return [text_of(c.get(a["Location"], follow=True)) for c, a in zip(clients, answers)], answers


@pytest.mark.parametrize("proxy", [False, True], ids=["own", "proxy"])
def test_step_6_saved_twice_at_once_makes_one_draft(p, monkeypatch, proxy):
    user, applicant = (p.chen, p.zhao) if proxy else (p.song, p.song)
    url = reverse("hours:proxy_new", args=[applicant.pk]) if proxy else reverse("hours:declaration_new")
    barrier = inserts_together(monkeypatch, Declaration)
    pages, answers = post_twice_at_once(barrier, user, url, form_data_for_new)
    d = Declaration.objects.get(applicant=applicant)
    assert {a["Location"] for a in answers} == {reverse("hours:declaration_edit", args=[d.pk])}
    assert sum(f"您已有2023年度的暂存申报（业务编号 {d.business_no}），已为您打开。" in page for page in pages) == 1


def test_a_filing_saved_twice_at_once_is_filed_once(p, monkeypatch):
    barrier = inserts_together(monkeypatch, TrainingFiling)
    pages, answers = post_twice_at_once(barrier, p.chen, reverse("hours:filing_new"), filing_form)
    filing = TrainingFiling.objects.get()
    assert {a["Location"] for a in answers} == {reverse("hours:filing_detail", args=[filing.pk])}
    assert sum(f"本单位已有{filing.year}年“{filing.name}”的暂存备案，已为您打开。" in page for page in pages) == 1
