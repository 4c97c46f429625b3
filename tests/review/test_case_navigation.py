"""办理 case by case: 上一件 / 下一件 and 审核通过并打开下一件 through the list the reviewer opened the
case from (its address carried as ?from=), never beyond what that list showed — not past its
filter, not past the reviewer's jurisdiction, not into a list that is not theirs — and a fixed
number of queries whatever the list's length."""
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.urls import reverse

from core.repeats import REPEATED
from workflow.models import State
from tests.helpers import SESSION_QUERIES, another_browser, assert_database_query_count, text_of
from tests.hours.fixtures_views import *  # noqa: F401,F403 - the fixtures (p, media)
from tests.hours.fixtures_views import assert_same_queries, at_state, fresh, messages_of, steps, submitted
from tests.review.case_pages import case_url

pytestmark = pytest.mark.usefixtures("media")

UNIT = reverse("review:unit_queue")


def nav(response):
    return response.context["nav"]


def case_of(url):
    """The declaration id a case address names (None for another page)."""
    parts = urlsplit(url).path.strip("/").split("/")
    return int(parts[2]) if parts[:2] == ["review", "case"] else None


def carried(url):
    return parse_qs(urlsplit(url).query).get("from", [None])[0]


@pytest.fixture
def waiting(p):
    """At 湖南省地质研究所, in the queue's order: 赵金强 2023, 宋庆涛 2022, 李雪梅 2023, 宋庆涛 2023."""
    return [
        submitted(p.zhao), submitted(p.song, start_year=2022, end_year=2022), submitted(p.li), submitted(p.song),
    ]


def test_the_queue_links_carry_a_filtered_list_to_the_case_page(client, p, waiting):
    client.force_login(p.chen)
    html = client.get(UNIT).content.decode()
    assert f'href="{case_url(waiting[0])}"' in html  # unfiltered: the case page falls back to this very list
    html = client.get(UNIT, {"year": "2023"}).content.decode()
    source = "/review/unit/?year=2023"
    assert f'href="{case_url(waiting[0], source)}"'.replace("&", "&amp;") in html


def test_previous_and_next_stay_within_the_filter(client, p, waiting):
    zhao, song_2022, li, song = waiting
    client.force_login(p.chen)
    source = "/review/unit/?year=2023&name=&status=pending&page=1"
    response = client.get(case_url(li, source))
    n = nav(response)
    assert (n["place"].position, n["place"].count) == (2, 3)
    assert (case_of(n["previous"]), case_of(n["next"])) == (zhao.pk, song.pk)  # 宋庆涛's 2022 is filtered out
    assert carried(n["next"]) == source and carried(n["previous"]) == source
    assert n["back"] == UNIT + "?year=2023&name=&status=pending&page=1"  # back to the list as it was left
    page = text_of(response)
    assert "返回 学时核认申报单位审核 列表 上一件 第 2/3 件 下一件" in page
    first = nav(client.get(case_url(zhao, source)))
    assert first["previous"] is None and case_of(first["next"]) == li.pk
    last = client.get(case_url(song, source))
    assert nav(last)["next"] is None
    assert 'value="approve_next"' not in last.content.decode()  # nothing after the last
    assert 'value="approve_next"' in response.content.decode()


def test_without_a_list_the_reviewer_goes_through_their_level_queue(client, p, waiting):
    client.force_login(p.chen)
    n = nav(client.get(case_url(waiting[1])))
    assert (n["place"].position, n["place"].count) == (2, 4)
    assert carried(n["next"]) == UNIT and n["back"] == UNIT
    # a reviewer who only looks at it (not at their level) gets no list
    client.force_login(p.zrzy_admin)
    response = client.get(case_url(waiting[1]))
    assert response.context["form"] is None and nav(response) is None


@pytest.mark.parametrize(
    "source",
    [
        "/review/todo/",  # the bureau's 待办列表: not his (the selector finds none of its rows for him)
        "/review/superior/",  # another level's queue: he holds no department
        "/review/unit/?year=abcd",  # an invalid filter fails closed: no rows, never all
        "/review/unit/?year=2023&status=nonsense",
    ],
)
def test_a_list_that_is_not_his_or_invalid_offers_no_neighbours(client, p, waiting, source):
    client.force_login(p.chen)
    n = nav(client.get(case_url(waiting[1], source)))
    assert n["previous"] is None and n["next"] is None and n["place"].position is None
    assert n["place"].count == 0


@pytest.mark.parametrize(
    "source",
    ["https://evil.example/review/unit/", "//evil.example/review/unit/", "/hours/", "/review/case/1/", "review/unit/",
     "/review/unit/" + "x" * 3000, "/review/unit/\x00"],
)
def test_an_address_that_is_no_review_list_is_ignored(client, p, waiting, source):
    client.force_login(p.chen)
    response = client.get(case_url(waiting[1], source))
    assert response.status_code == 200
    n = nav(response)
    assert n["back"] == UNIT and carried(n["next"]) == UNIT  # his own queue instead
    html = response.content.decode()
    assert 'href="https://evil' not in html and 'href="//evil' not in html and "evil" not in str(n)


def test_neighbours_never_leave_the_jurisdiction(client, p, waiting):
    """The neighbouring institute's administrator, handed 陈立新's list: only his own unit's cases."""
    theirs = [submitted(p.wang), submitted(p.wang, start_year=2022, end_year=2022)]
    client.force_login(p.dzcl_admin)
    n = nav(client.get(case_url(theirs[0], "/review/unit/?status=all")))
    assert (n["place"].count, case_of(n["next"])) == (2, theirs[1].pk)
    client.force_login(p.chen)
    n = nav(client.get(case_url(waiting[3], "/review/unit/?status=all")))
    assert n["place"].count == 4 and n["next"] is None


def test_approve_and_open_the_next_of_the_list(client, p, waiting):
    zhao, song_2022, li, song = waiting
    client.force_login(p.chen)
    source = "/review/unit/?year=2023"
    data = {"decision": "approve_next", "next_type": "bureau", "expected_state": State.UNIT_REVIEW}
    response = client.post(case_url(zhao, source), data, follow=True)
    assert response.redirect_chain[-1][0] == case_url(li, source)
    assert f"申报 {zhao.business_no}（赵金强）已审核通过，已送人社部门审核。" in messages_of(response)
    assert (fresh(zhao).state, fresh(zhao).current_org) == (State.BUREAU_REVIEW, p.hn)
    n = nav(response)
    assert (n["place"].position, n["place"].count) == (1, 2)  # 赵金强's has left the pending list
    # the same POST again (a double click) does nothing more
    again = client.post(case_url(zhao, source), data, follow=True)
    assert REPEATED in messages_of(again)
    assert steps(zhao) == 2


def test_the_next_decided_meanwhile_by_a_colleague_is_skipped(client, p, waiting):
    zhao, song_2022, li, song = waiting
    client.force_login(p.chen)
    source = "/review/unit/?year=2023"
    page = client.get(case_url(zhao, source))
    assert case_of(nav(page)["next"]) == li.pk
    colleague = another_browser(p.chen)  # the same unit's other tab
    colleague.post(case_url(li), {"decision": "reject", "opinion": "缺少结业证书", "expected_state": State.UNIT_REVIEW})
    assert fresh(li).state == State.REJECTED
    response = client.post(case_url(zhao, source), {"decision": "approve_next", "next_type": "bureau", "expected_state": State.UNIT_REVIEW})
    assert response["Location"] == case_url(song, source)


def test_after_the_last_the_reviewer_is_back_at_the_list(client, p, waiting):
    client.force_login(p.chen)
    source = "/review/unit/?year=2022"
    response = client.post(
        case_url(waiting[1], source), {"decision": "approve_next", "next_type": "bureau", "expected_state": State.UNIT_REVIEW}, follow=True,
    )
    assert response.redirect_chain[-1][0] == UNIT + "?year=2022"
    assert "“学时核认申报单位审核”中已没有下一件。" in messages_of(response)


def test_a_decision_returns_to_the_list_it_came_from(client, p, waiting):
    client.force_login(p.chen)
    source = "/review/unit/?name=宋&page=1"
    response = client.post(case_url(waiting[1], source), {"decision": "reject", "opinion": "请补充", "expected_state": State.UNIT_REVIEW})
    assert response["Location"] == UNIT + "?" + urlencode({"name": "宋", "page": "1"})
    # a refused one comes back to the case page, still in the list
    response = client.post(case_url(waiting[3], source), {"decision": "reject", "expected_state": State.UNIT_REVIEW})
    assert response["Location"] == case_url(waiting[3], "/review/unit/?" + urlencode({"name": "宋", "page": "1"})) + "#decision-errors"


def test_the_bureau_goes_through_its_todo_list_and_accepting_keeps_the_place(client, p):
    cases = [at_state(p, State.BUREAU_REVIEW, applicant=person) for person in (p.song, p.zhao, p.li)]
    client.force_login(p.hn_clerk)
    source = "/review/todo/?applicant=赵金强"
    n = nav(client.get(case_url(cases[1], source)))
    assert n["place"].count == 1 and n["back"] == reverse("review:bureau_todo") + "?" + urlencode({"applicant": "赵金强"})
    assert nav(client.get(case_url(cases[1])))["place"].count == 3  # the whole 待办列表 without a filter
    response = client.post(reverse("review:case_accept", args=[cases[1].pk]) + "?" + urlencode({"from": source}))
    assert response["Location"] == case_url(cases[1], "/review/todo/?applicant=赵金强")
    response = client.post(reverse("review:case_accept", args=[cases[2].pk]) + "?from=https://evil.example/")
    assert response["Location"] == case_url(cases[2])


def test_the_todo_list_links_carry_its_filter_to_the_case_page(client, p):
    cases = [at_state(p, State.BUREAU_REVIEW, applicant=person) for person in (p.song, p.zhao)]
    client.force_login(p.hn_clerk)
    html = client.get(reverse("review:bureau_todo")).content.decode()
    assert f'href="{case_url(cases[0])}"' in html  # unfiltered: the case page falls back to the whole list
    html = client.get(reverse("review:bureau_todo"), {"applicant": "赵金强"}).content.decode()
    source = "/review/todo/?" + urlencode({"applicant": "赵金强"})
    assert f'href="{case_url(cases[1], source)}"' in html
    assert nav(client.get(case_url(cases[1], source)))["place"].count == 1  # and the case page goes through that list


def test_case_page_queries_do_not_grow_with_the_list(client, p):
    """Opened from a filtered list: the list's ids are one query, whether it holds 3 cases or 30."""
    first = submitted(p.song)
    applicants = [p.zhao, p.li, p.song]

    def grow(n):
        for i in range(n):
            submitted(applicants[i % 3])

    grow(2)
    url = case_url(first, "/review/unit/?status=pending&name=")
    response = assert_same_queries(client, p.chen, url, lambda: grow(27))
    assert nav(response)["place"].count == 30


def test_case_page_queries_are_pinned(client, p):
    """What the case page of a unit's reviewer reads, opened from a filtered list (the user and their
    role grants come from the cache): the declaration; its unit's superiors (the next level preselected); the reviewer's
    last choices for the unit; the list's ids; the workspace (files, years, items, open training
    records); the steps (the progress and the changes since a rejection alike); the same files of
    others; the unit's filings. The bureau chain and its window (督办) come from the cache, read on
    the first look."""
    d = submitted(p.song)
    submitted(p.zhao)
    client.force_login(p.chen)
    url = case_url(d, "/review/unit/?year=2023")
    client.get(url)
    with assert_database_query_count(11 + SESSION_QUERIES):
        response = client.get(url)
    assert nav(response)["place"].count == 2
