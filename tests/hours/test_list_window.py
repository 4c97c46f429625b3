"""学时核认申报 (the declarations list) says whether the filing window is open and how many days
are left, from one look-up of the window (workflow.periods.window)."""
import re
from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Organisation, User
from hours import transitions
from workflow import periods
from workflow.models import FilingPeriod
from workflow.runner import WorkflowError
from review import services
from tests.helpers import make_bureau, make_person, make_unit, text_of
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


def signed_in_member_of(unit, name):
    """A client signed in as a person of `unit` (their membership taken as confirmed)."""
    person = make_person(organisation=unit, name=name)
    User.objects.filter(pk=person.pk).update(organisation=unit)
    other = Client()
    other.force_login(person)
    return other


def window_text(client):
    text = text_of(client.get(reverse("hours:declaration_list")))
    found = re.search(r"距截止还有 (\d+) 天|不在申报期内", text)
    return found and found.group(0)


def test_a_window_changed_after_the_list_was_seen_shows_on_the_next_look(client, p):
    """The windows are kept in the cache between pages; setting one shows at once, for a unit under
    the bureau that set it and for one under a city bureau that follows it until it sets its own."""
    with frozen_now(datetime(timezone.localdate().year, 6, 10, 10, 0)):
        today = timezone.localdate()
        set_window(p, today - timedelta(days=3), today + timedelta(days=7))
        client.force_login(p.song)
        assert window_text(client) == "距截止还有 7 天"
        other = signed_in_member_of(p.csyy, "长沙职工")
        assert window_text(other) == "距截止还有 7 天"
        set_window(p, today - timedelta(days=3), today + timedelta(days=2))
        assert window_text(client) == window_text(other) == "距截止还有 2 天"
        services.filing_period_set(bureau=p.cs, year=today.year, opens_on=today + timedelta(days=1),
                                   closes_on=today + timedelta(days=9), supervision_days=3, user=p.cs_clerk)
        assert (window_text(client), window_text(other)) == ("距截止还有 2 天", "不在申报期内")
        # A bureau added under the city after the tree was read: its units follow the city at once.
        county = make_bureau(name="测试县人力资源和社会保障局", parent=p.cs)
        third = signed_in_member_of(make_unit(name="测试县医院", parent=county, bureau=county), "县职工")
        assert window_text(third) == "不在申报期内"


def test_a_bureau_moved_in_the_tree_follows_its_new_parents_window_at_once(client, p):
    """treebeard rewrites the moved bureaus' paths by update(), which no save signal reports."""
    with frozen_now(datetime(timezone.localdate().year, 6, 10, 10, 0)):
        today = timezone.localdate()
        set_window(p, today - timedelta(days=3), today + timedelta(days=7))
        services.filing_period_set(bureau=p.cs, year=today.year, opens_on=today + timedelta(days=1),
                                   closes_on=today + timedelta(days=9), supervision_days=3, user=p.cs_clerk)
        county = make_bureau(name="测试县人力资源和社会保障局", parent=p.cs)
        member = signed_in_member_of(make_unit(name="测试县医院", parent=county, bureau=county), "县职工")
        assert window_text(member) == "不在申报期内"
        Organisation.objects.move(Organisation.objects.get(pk=county.pk), Organisation.objects.get(pk=p.hn.pk), "last-child")
        assert window_text(member) == "距截止还有 7 天"


def test_a_second_look_at_the_list_reads_neither_the_bureaus_nor_the_windows(client, p):
    set_window(p, timezone.localdate() - timedelta(days=1), timezone.localdate())
    client.force_login(p.song)
    looks = []
    for _ in range(2):
        with CaptureQueriesContext(connection) as captured:
            client.get(reverse("hours:declaration_list"))
        looks.append([q["sql"] for q in captured.captured_queries])
    first, second = looks
    assert any("review_filingperiod" in sql for sql in first)
    assert not any("review_filingperiod" in sql or '"kind" = ' in sql for sql in second)
    assert len(second) == len(first) - 4  # and the signed-in person's account and grants (accounts/identity.py)


def test_submitting_reads_the_window_from_the_database_not_the_pages_cache(client, p):
    """A window closed by a change the cache was not told of (a bulk update) still refuses at once."""
    with frozen_now(datetime(timezone.localdate().year, 6, 10, 10, 0)):
        today = timezone.localdate()
        set_window(p, today - timedelta(days=3), today + timedelta(days=7))
        d = complete(draft(p.song))
        client.force_login(p.song)
        assert window_text(client) == "距截止还有 7 天"
        FilingPeriod.objects.filter(bureau=p.hn).update(closes_on=today - timedelta(days=1))
        assert window_text(client) == "距截止还有 7 天"  # the page's cache, until its timeout
        with pytest.raises(WorkflowError) as caught:
            transitions.declaration_submit(declaration=d, user=p.song, pledge=True)
        assert caught.value.code == "closed"
