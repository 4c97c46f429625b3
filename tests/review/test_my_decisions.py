"""我的经办: what a reviewer decided — newest first, with the date, business number, name (ID
masked), decision, opinion and where the case went — searchable by name, ID number or business
number and by date, paged, each row opening the case (to decide again only where it waits for
them now); only their own decisions, at organisations where they still review; in their menu; a
fixed number of queries."""
import re
import unicodedata
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from accounts.models import Role, RoleGrant
from accounts.roles import forget
from hours import transitions
from workflow.models import State
from tests.helpers import SESSION_QUERIES, assert_database_query_count, menu_links, text_of
from tests.hours.fixtures_views import *  # noqa: F401,F403 - the fixtures (p, media)
from tests.hours.fixtures_views import assert_same_queries, at_state, frozen_now, submitted
from tests.review.case_pages import case_url
from tests.security.masking import full_numbers
from tests.strategies import typed_value

SURROGATE = re.compile("[\ud800-\udfff]")

pytestmark = pytest.mark.usefixtures("media")

MINE = reverse("review:my_decisions")


def rows(client, **query):
    response = client.get(MINE, query)
    assert response.status_code == 200
    return [(step.declaration.name, step.get_action_display()) for step in response.context["page"].object_list]


@pytest.fixture
def decided(p):
    """陈立新's decisions: 赵金强 sent on two days ago, 李雪梅 turned down yesterday, 宋庆涛 sent to
    the bureau today; and 湖南省地质院's decision on 赵金强's today (not his)."""
    now = timezone.now()
    with frozen_now(now - timedelta(days=2)):
        zhao = transitions.declaration_approve(declaration=submitted(p.zhao), user=p.chen, next_org=p.dzy, opinion="情况属实")
    with frozen_now(now - timedelta(days=1)):
        li = transitions.declaration_reject(declaration=submitted(p.li), user=p.chen, reason="结业证书不清晰")
    song = transitions.declaration_approve(declaration=submitted(p.song), user=p.chen, next_org=p.hn)
    zhao = transitions.declaration_approve(declaration=zhao, user=p.dzy_admin, next_org=p.hn)
    return {"zhao": zhao, "li": li, "song": song}


def test_my_decisions_newest_first_with_where_they_went(client, p, decided):
    client.force_login(p.chen)
    response = client.get(MINE)
    assert rows(client) == [("宋庆涛", "审核通过"), ("李雪梅", "审核不通过"), ("赵金强", "审核通过")]
    page = text_of(response)
    assert "我的经办" in page and p.li.id_number not in page and "4301**********1064" in page
    for line in (
        f"{decided['song'].business_no} 宋庆涛 4301**********1015 审核通过 送人社部门审核 — 待人社部门审核",
        f"{decided['li'].business_no} 李雪梅 4301**********1064 审核不通过 退回申请人 结业证书不清晰 审核不通过 查看",
        f"{decided['zhao'].business_no} 赵金强 4301**********1051 审核通过 送湖南省地质院审核 情况属实 待人社部门审核",
    ):
        assert line in page, line
    # each row opens the case, in this list (上一件 / 下一件 through 我的经办); read-only here: none waits for him
    html = response.content.decode()
    assert f'href="{case_url(decided["li"], MINE)}"' in html
    case = client.get(case_url(decided["li"], MINE))
    assert case.context["form"] is None and case.context["nav"]["place"].position == 2
    assert case.context["nav"]["back"] == MINE


def test_a_case_waiting_for_me_again_opens_to_decide(client, p, decided):
    li = transitions.declaration_submit(declaration=decided["li"], user=p.li, pledge=True)
    client.force_login(p.chen)
    html = client.get(MINE).content.decode()
    assert f'<a class="button small primary" href="{case_url(li, MINE)}">办理</a>' in html
    assert client.get(case_url(li, MINE)).context["form"] is not None


def test_search_by_name_id_number_and_business_number(client, p, decided):
    client.force_login(p.chen)
    assert rows(client, q="李") == [("李雪梅", "审核不通过")]
    assert rows(client, q=p.zhao.id_number) == [("赵金强", "审核通过")]
    assert rows(client, q="４３０１２１１９８５１１２９１０５１") == [("赵金强", "审核通过")]  # typed with a Chinese input method
    assert rows(client, q=decided["song"].business_no) == [("宋庆涛", "审核通过")]
    assert rows(client, q="王建国") == []
    assert rows(client, decision="reject") == [("李雪梅", "审核不通过")]
    assert "没有符合条件的经办记录" in text_of(client.get(MINE, {"q": "王建国"}))


def test_search_by_date_and_the_one_click_days(client, p, decided):
    client.force_login(p.chen)
    today = timezone.localdate()
    yesterday = (today - timedelta(days=1)).isoformat()
    assert rows(client, decided_from=yesterday, decided_to=yesterday) == [("李雪梅", "审核不通过")]
    assert rows(client, decided_from=yesterday) == [("宋庆涛", "审核通过"), ("李雪梅", "审核不通过")]
    assert rows(client, decided_to=yesterday) == [("李雪梅", "审核不通过"), ("赵金强", "审核通过")]
    response = client.get(MINE)
    html = response.content.decode()
    query = urlencode({"decided_from": yesterday, "decided_to": yesterday})
    link = query.replace("&", "&amp;")
    assert f'<a href="?{link}" class="button small">昨天</a>' in html
    marked = client.get(MINE + "?" + query).content.decode()
    assert f'<a href="?{link}" class="button small" aria-current="page">昨天</a>' in marked


def test_an_invalid_search_shows_nothing(client, p, decided):
    client.force_login(p.chen)
    for query in ({"decided_from": "2024-13-01"}, {"decided_from": "2024-06-02", "decided_to": "2024-06-01"}, {"decision": "x"}):
        response = client.get(MINE, query)
        assert response.status_code == 400 and list(response.context["page"].object_list) == []
    response = client.get(MINE, {"decided_from": "2024-06-02", "decided_to": "2024-06-01"})
    assert "结束日期不能早于开始日期。" in text_of(response)


def test_only_my_own_decisions_where_i_still_review(client, p, decided):
    client.force_login(p.dzy_admin)
    assert rows(client) == [("赵金强", "审核通过")]
    client.force_login(p.hn_clerk)
    assert rows(client) == []
    # 陈立新 moves to 湖南省地质测绘院: what he decided at the institute is no longer his to read
    RoleGrant.objects.filter(user=p.chen, role=Role.UNIT_ADMIN).update(organisation=p.dzcl_admin.role_grants.get().organisation)
    forget(p.chen)
    client.force_login(p.chen)
    assert rows(client) == []


def test_neither_a_colleagues_decisions_nor_what_i_declared_for_someone(client, p):
    """A second administrator of 湖南省地质研究所 turns a case down; 陈立新 declares for 赵金强 (单位代为
    申报, a 提交 of his at his unit): his 我的经办 holds his own decision only."""
    from accounts.models import Role
    from tests.helpers import make_staff
    from tests.hours.fixtures_views import complete, draft, year_with_training

    colleague = make_staff(username="dzyjs_admin2", role=Role.UNIT_ADMIN, organisation=p.dzyjs, name="周敏")
    transitions.declaration_reject(declaration=submitted(p.li), user=colleague, reason="请补充")
    transitions.declaration_approve(declaration=submitted(p.song), user=p.chen, next_org=p.dzy)
    proxy = draft(p.chen, p.zhao)
    year_with_training(proxy, p.chen)
    transitions.declaration_submit(declaration=complete(proxy), user=p.chen, pledge=True, next_org=p.hn)
    client.force_login(p.chen)
    assert rows(client) == [("宋庆涛", "审核通过")]
    client.force_login(colleague)
    assert rows(client) == [("李雪梅", "审核不通过")]


def test_newest_by_decision_time_then_by_order_with_each_rows_case_read_with_it(client, p):
    """Two decisions of one instant: the later made first; one stamped earlier (a clock set back)
    though made after: last. The page reads each case's holder and next level with the rows."""
    now = timezone.now()
    with frozen_now(now):
        song = transitions.declaration_approve(declaration=submitted(p.song), user=p.chen, next_org=p.dzy)
        zhao = transitions.declaration_approve(declaration=submitted(p.zhao), user=p.chen, next_org=p.hn)
    with frozen_now(now - timedelta(hours=1)):
        transitions.declaration_reject(declaration=submitted(p.li), user=p.chen, reason="请补充")
    client.force_login(p.chen)
    with assert_database_query_count(4 + SESSION_QUERIES):
        response = client.get(MINE)
    assert [(step.declaration.name, step.get_action_display()) for step in response.context["page"].object_list] == [
        ("赵金强", "审核通过"), ("宋庆涛", "审核通过"), ("李雪梅", "审核不通过"),
    ]
    page = text_of(response)
    assert f"{zhao.business_no} 赵金强 4301**********1051 审核通过 送人社部门审核 — 待人社部门审核 湖南省人力资源和社会保障厅" in page
    assert f"{song.business_no} 宋庆涛 4301**********1015 审核通过 送湖南省地质院审核 — 待上级单位审核 湖南省地质院" in page


def test_the_clerk_finds_what_the_bureau_decided(client, p):
    d = at_state(p, State.BUREAU_REVIEW)
    client.force_login(p.hn_clerk)
    client.post(case_url(d), {"decision": "approve", "opinion": "予以认定", "expected_state": State.BUREAU_REVIEW})
    page = text_of(client.get(MINE))
    assert f"{d.business_no} 宋庆涛 4301**********1015 审核通过 审核通过，办结 予以认定 审核通过 查看" in page


@pytest.mark.parametrize(
    "account, section",
    [("applicant_unit_admin", "继续教育"), ("unit_and_dept_admin", "继续教育"), ("dept_admin", "继续教育"), ("bureau_clerk", "综合柜员")],
)
def test_in_the_menu_beside_the_review_queue(client, demo, account, section):
    client.force_login(demo.account(account))
    links = menu_links(client.get(reverse("portal:home")))
    assert links.count(("我的经办", MINE)) == 1
    labels = [label for label, _ in links]
    queue = {"继续教育": ("学时核认申报单位审核", "学时核认上级单位审核"), "综合柜员": ("待办列表",)}[section]
    at = labels.index("我的经办")
    assert labels[at - 1] in queue


def test_not_for_applicants(client, p):
    client.force_login(p.song)
    assert client.get(MINE).status_code == 403
    assert ("我的经办", MINE) not in menu_links(client.get(reverse("portal:home")))


def test_pages_of_15_and_a_fixed_number_of_queries(client, p):
    applicants = [p.song, p.zhao, p.li]

    def decide(n):
        for i in range(n):
            transitions.declaration_reject(declaration=submitted(applicants[i % 3]), user=p.chen, reason="请补充")

    decide(2)
    response = assert_same_queries(client, p.chen, MINE, lambda: decide(18))
    assert len(response.context["page"].object_list) == 15
    assert "共20条" in text_of(response)
    assert len(client.get(MINE, {"page": 2}).context["page"].object_list) == 5
    # the count, the page's rows (with their cases and organisations); the user and their role
    # grants from the cache
    with assert_database_query_count(2 + SESSION_QUERIES):
        client.get(MINE, {"q": "宋", "decided_from": "2020-01-01"})


@settings(max_examples=25, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck))
@given(q=typed_value(), start=typed_value(), end=typed_value(), decision=st.one_of(typed_value(), st.sampled_from(["approve", "reject"])))
def test_any_search_answers_and_shows_only_mine(client, p, decided, q, start, end, decision):
    """Whatever is typed or pasted into the search: an answer (never a server error) listing only
    陈立新's own decisions, never another reviewer's. (A full ID number typed comes back in the
    search box, which the response grep cannot tell from a leak once pasted characters surround
    it: those are searched in test_search_by_name_id_number_and_business_number.)"""
    query = {"q": q, "decided_from": start, "decided_to": end, "decision": decision}
    query = {k: SURROGATE.sub("\ufffd", v) for k, v in query.items()}  # as a browser sends a lone surrogate
    assume(not any(full_numbers(unicodedata.normalize("NFKC", v)) for v in query.values()))
    client.force_login(p.chen)
    response = client.get(MINE, query)
    assert response.status_code in (200, 400)
    mine = {step.pk for step in response.context["page"].object_list}
    assert all(step.actor_id == p.chen.pk for step in response.context["page"].object_list), mine
