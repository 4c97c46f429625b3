"""The 待办列表 as a clerk works through it: page size (15/50/100) and 跳转至第N页 (the shared list
tail, so every list jumps), sorting by waiting time, 全选本页 without JavaScript, the skip link to
the results, and a refused 批量审核 that comes back with its ticks, decision and page."""
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from review import views
from workflow.models import State
from tests.helpers import SESSION_QUERIES, assert_database_query_count, text_of
from tests.hours.fixtures_views import *  # noqa: F401,F403
from tests.hours.fixtures_views import at_state, fresh, frozen_now, messages_of, submitted
from tests.portal.jobs_support import waiting_declarations

TODO, BATCH = "review:bureau_todo", "review:bureau_batch"


def rows(response):
    return [d.pk for d in response.context["page"].object_list]


def checked_boxes(response):
    return {int(pk) for pk in re.findall(r'name="ids" value="(\d+)" id="pick-\d+" aria-label="[^"]+" checked>', response.content.decode())}


def checked_decisions(response):
    return re.findall(r'name="decision" value="(\w+)" checked>', response.content.decode())


@pytest.fixture
def many(p):
    """60 declarations waiting at the province's bureau, and its clerk signed in."""
    return waiting_declarations(p, 60)


@pytest.mark.parametrize("per_page, shown", [("15", 15), ("50", 50), ("100", 60)])
def test_page_sizes(client, p, many, per_page, shown):
    client.force_login(p.hn_clerk)
    response = client.get(reverse(TODO), {"per_page": per_page})
    assert len(rows(response)) == shown
    html = response.content.decode()
    assert f'<option value="{per_page}" selected>{per_page}条/页</option>' in html
    assert f"共60条，显示1-{shown}条" in text_of(response)


@pytest.mark.parametrize("per_page", ["1000", "0", "-15", "abc", "15.0", "1e2", "５０", ""])
def test_a_page_size_not_offered_is_ignored(client, p, many, per_page):
    client.force_login(p.hn_clerk)
    response = client.get(reverse(TODO), {"per_page": per_page})
    assert response.status_code == 200 and len(rows(response)) == 15
    assert '<option value="15" selected>15条/页</option>' in response.content.decode()


@pytest.mark.parametrize("page, number", [("2", 2), ("4", 4), ("999999", 4), ("0", 4), ("-1", 4), ("abc", 1), ("", 1), ("9" * 40, 4)])
def test_any_page_number_shows_a_page(client, p, many, page, number):
    client.force_login(p.hn_clerk)
    response = client.get(reverse(TODO), {"page": page})
    assert response.status_code == 200 and response.context["page"].number == number


def test_the_jump_form_keeps_the_filters(client, p, many):
    client.force_login(p.hn_clerk)
    response = client.get(reverse(TODO), {"applicant": "地质研究所", "per_page": "50", "page": "1"})
    form = re.search(r'<form method="get" class="page-jump">(.*?)</form>', response.content.decode(), re.S)[1]
    assert '<input type="hidden" name="applicant" value="地质研究所">' in form
    assert 'name="per_page"' in form and '<input type="hidden" name="per_page"' not in form  # the select sends it
    assert 'name="page" value' not in form and 'type="number" name="page" min="1" max="2"' in form
    assert "跳转至第" in text_of(response) and "第1/2页" in text_of(response)
    assert len(rows(client.get(reverse(TODO), {"applicant": "地质研究所", "per_page": "50", "page": "2"}))) == 10


def test_other_lists_jump_but_keep_their_page_size(client, p):
    for _ in range(12):
        submitted(p.song)
    client.force_login(p.chen)
    response = client.get(reverse("review:unit_queue"), {"per_page": "100"})
    assert len(rows(response)) == 10  # the unit queue has no page sizes: per_page is ignored
    html = response.content.decode()
    assert 'type="number" name="page" min="1" max="2"' in html and '<select name="per_page">' not in html
    assert '<input type="hidden" name="per_page" value="100">' in html  # sent along, harmless
    assert client.get(reverse("review:unit_queue"), {"page": "x"}).status_code == 200


def test_waiting_time_sorts_both_ways(client, p):
    now = timezone.now()
    made = []
    for days, applicant in ((3, p.song), (1, p.zhao), (2, p.li)):
        with frozen_now(now - timedelta(days=days)):
            made.append(at_state(p, State.BUREAU_REVIEW, applicant=applicant))
    oldest_first = [made[0].pk, made[2].pk, made[1].pk]
    client.force_login(p.hn_clerk)
    assert rows(client.get(reverse(TODO))) == oldest_first
    assert rows(client.get(reverse(TODO), {"order": "oldest"})) == oldest_first
    newest = client.get(reverse(TODO), {"order": "newest"})
    assert rows(newest) == oldest_first[::-1]
    assert 'aria-sort="descending">等待时间' in newest.content.decode()
    assert client.get(reverse(TODO), {"order": "random"}).status_code == 400  # fails closed


def test_cases_that_arrived_at_the_same_moment_keep_a_fixed_order_both_ways(client, p):
    """Ties are broken by the case's number, so a page boundary never shows a case twice or never."""
    with frozen_now(timezone.now() - timedelta(days=1)):
        first, second = (at_state(p, State.BUREAU_REVIEW, applicant=a) for a in (p.song, p.zhao))
    assert fresh(first).waiting_since == fresh(second).waiting_since and first.pk < second.pk
    client.force_login(p.hn_clerk)
    assert rows(client.get(reverse(TODO))) == [first.pk, second.pk]
    assert rows(client.get(reverse(TODO), {"order": "newest"})) == [second.pk, first.pk]


def test_the_skip_link_leads_to_the_first_row(client, p):
    first, second = (at_state(p, State.BUREAU_REVIEW, applicant=a) for a in (p.song, p.zhao))
    client.force_login(p.hn_clerk)
    html = client.get(reverse(TODO)).content.decode()
    assert f'<a class="skip-link" href="#pick-{first.pk}">跳到查询结果</a>' in html
    assert f'id="pick-{first.pk}"' in html
    html = client.get(reverse(TODO), {"applicant": "无此人"}).content.decode()
    assert '<a class="skip-link" href="#results">跳到查询结果</a>' in html and 'id="results"' in html


def test_pick_the_whole_page_without_javascript(client, p, many):
    client.force_login(p.hn_clerk)
    response = client.get(reverse(TODO), {"page": "2", "applicant": "地质研究所"})
    assert checked_boxes(response) == set()
    link = re.search(r'<a class="pick-page" href="\?([^"]+)">全选本页</a>', response.content.decode())[1]
    ticked = client.get(reverse(TODO) + "?" + link.replace("&amp;", "&"))
    assert checked_boxes(ticked) == set(rows(ticked)) == set(rows(response))
    assert "pick=page" not in ticked.context["filters_query"]  # not carried into the batch or the tabs
    tail = re.search(r'<nav class="pagination".*?</nav>', ticked.content.decode(), flags=re.S)[0]
    assert "上一页" in tail and "pick" not in tail  # nor to another page, whose rows nobody ticked
    assert "已选 15 件 · 审核通过" in text_of(ticked)


def test_a_refused_batch_comes_back_as_it_was(client, p, many):
    client.force_login(p.hn_clerk)
    query = "applicant=%E5%9C%B0%E8%B4%A8&per_page=50"
    picked = [d.pk for d in many[50:53]]
    response = client.post(
        reverse(BATCH), {"ids": picked, "decision": "reject", "reason": " ", "filters": query, "page": "2", "scope": "picked"}
    )
    query += "&page=2"
    assert response.status_code == 302 and response["Location"] == reverse(TODO) + "?" + query
    back = client.get(response["Location"])
    assert messages_of(back) == ["批量审核不通过时必须填写原因。"]
    assert checked_boxes(back) == set(picked)
    assert checked_decisions(back) == ["reject"]  # not back to 审核通过
    html = back.content.decode()
    assert 'aria-invalid="true" aria-describedby="batch-reason-error" data-focus-on-load>' in html
    assert '<p class="error" id="batch-reason-error">批量审核不通过时必须填写原因。</p>' in html
    assert "已选 3 件 · 审核不通过" in text_of(back) and back.context["page"].number == 2
    # Read once: the list after that is as usual, 审核通过 offered and nothing ticked.
    again = client.get(response["Location"])
    assert checked_boxes(again) == set() and checked_decisions(again) == ["approve"]


def test_a_batch_without_a_decision_chooses_none(client, p, many):
    client.force_login(p.hn_clerk)
    response = client.post(reverse(BATCH), {"ids": [many[0].pk], "scope": "picked", "filters": ""}, follow=True)
    assert messages_of(response) == ["请选择审核结果：审核通过或审核不通过。"]
    assert checked_decisions(response) == [] and checked_boxes(response) == {many[0].pk}
    assert "已选 1 件 · 未选择审核结果" in text_of(response)
    assert re.search(r'<div class="form-errors" role="alert" tabindex="-1" data-focus-on-load><p>请选择审核结果', response.content.decode())


def test_the_reason_typed_is_put_back_by_the_browser_not_the_page(client, p, many):
    """Typed text shown again on a later page could hold anyone's number: the page asks the browser
    (batch.js) to put the reason back, and says nothing of it itself."""
    client.force_login(p.hn_clerk)
    response = client.post(reverse(BATCH), {"decision": "reject", "reason": "学时证明不清晰 13807310001", "filters": ""}, follow=True)
    assert messages_of(response) == ["请先勾选要批量审核的申报。"]
    html = response.content.decode()
    assert "学时证明不清晰" not in html and checked_decisions(response) == ["reject"]
    assert 'name="reason" maxlength="500" data-restore placeholder' in html
    assert "data-restore" not in client.get(reverse(TODO)).content.decode()  # only right after


def test_a_filter_carried_by_the_batch_form_is_re_encoded(client, p, many):
    client.force_login(p.hn_clerk)
    response = client.post(reverse(BATCH), {"decision": "approve", "filters": "applicant=宋 庆涛&page=7", "page": "2"})
    assert response["Location"] == reverse(TODO) + "?applicant=%E5%AE%8B+%E5%BA%86%E6%B6%9B&page=2"
    response = client.post(reverse(BATCH), {"decision": "approve", "filters": "per_page=50", "page": "x"})
    assert response["Location"] == reverse(TODO) + "?per_page=50"


def test_the_pinned_queries_do_not_change_with_size_sort_and_verdict(client, p):
    for applicant in (p.song, p.zhao, p.li):
        at_state(p, State.BUREAU_REVIEW, applicant=applicant)
    client.force_login(p.hn_clerk)
    # As test_page_queries.py pins the plain list: the same 7 with every new parameter.
    with assert_database_query_count(7 + SESSION_QUERIES):
        response = client.get(reverse(TODO), {"supervision": "normal", "per_page": "100", "order": "newest", "checks": "unchecked"})
    assert len(rows(response)) == 3


def test_page_sizes_are_the_seeds(client):
    assert views.TODO_PAGE_SIZES == (15, 50, 100)


def test_a_batch_sent_to_the_background_leaves_nothing_for_the_next_list(client, p, monkeypatch):
    from review import services as review_services

    cases = [at_state(p, State.BUREAU_REVIEW, applicant=a) for a in (p.song, p.zhao, p.li)]
    client.force_login(p.hn_clerk)
    refused = {"ids": [cases[0].pk], "decision": "reject", "reason": "", "scope": "picked", "filters": ""}
    client.post(reverse(BATCH), refused)  # no reason: refused, its decision kept for the next 待办列表
    monkeypatch.setattr(review_services, "BATCH_IN_REQUEST_MAX", 1)
    response = client.post(reverse(BATCH), {**refused, "ids": [c.pk for c in cases[:2]], "reason": "材料不全"})
    assert response.status_code == 302 and "/jobs/" in response["Location"]
    assert checked_decisions(client.get(reverse(TODO))) != ["reject"]  # the rejected batch is not offered again

