"""学时核认申报 (the declarations list) says whether the filing window is open and how many days
are left, from one look-up of the window (workflow.periods.window)."""
from datetime import datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from workflow import periods
from review import services
from tests.helpers import text_of
from tests.hours.fixtures_views import *  # noqa: F401,F403

pytestmark = pytest.mark.django_db


def set_window(p, opens_on, closes_on):
    services.filing_period_set(
        bureau=p.hn, year=timezone.localdate().year, opens_on=opens_on, closes_on=closes_on, supervision_days=5, user=p.hn_clerk
    )


def test_an_open_window_shows_the_days_left(client, p):
    # Mid-year: a window around today lies within its year (as every year's window must).
    with frozen_now(datetime(timezone.localdate().year, 6, 10, 10, 0)):
        today = timezone.localdate()
        set_window(p, today - timedelta(days=3), today + timedelta(days=7))
        client.force_login(p.song)
        text = text_of(client.get(reverse("hours:declaration_list")))
        assert "距截止还有 7 天" in text and "不在申报期内" not in text
        assert periods.window(p.dzyjs) == (None, 7)


def test_a_closed_window_says_when_it_opens(client, p):
    today = timezone.localdate()
    # This year's window, not open today (ahead, or behind on the last days of December).
    later = (today + timedelta(days=2)).year == today.year
    opens_on = today + timedelta(days=1) if later else today - timedelta(days=2)
    set_window(p, opens_on, opens_on + timedelta(days=1))
    client.force_login(p.song)
    text = text_of(client.get(reverse("hours:declaration_list")))
    assert f"集中办理时间为{opens_on:%Y年%m月%d日}" in text and "不在申报期内" in text
    assert "距截止还有" not in text
    assert periods.window(p.dzyjs) == (periods.submission_refusal(p.dzyjs), None)
