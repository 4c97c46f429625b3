"""The reviewers' lists (review/views.py): 学时核认申报单位审核 (unit queue), 学时核认上级单位审核
(superior queue) and the bureau's 待办列表 — who sees which rows, every filter, paging, and a fixed
number of queries whether the lists hold 2 rows or 30."""
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from hours import transitions
from workflow.models import State
from tests.helpers import text_of
from tests.hours.fixtures_views import *  # noqa: F401,F403

UNIT, SUPERIOR, TODO = "review:unit_queue", "review:superior_queue", "review:bureau_todo"


def shown(client, url_name, **query):
    response = client.get(reverse(url_name), query)
    assert response.status_code == 200
    return {d.pk for d in response.context["page"].object_list}


def pks(*declarations):
    return {d.pk for d in declarations}


# --- unit queue ---------------------------------------------------------------------------------


@pytest.fixture
def unit_world(p):
    """湖南省地质研究所's declarations in every state, and one of the neighbouring 地质测绘院."""
    song_pending = submitted(p.song)
    zhao_pending = submitted(p.zhao, start_year=2021, end_year=2022)
    li_draft = draft(p.li)
    forwarded = transitions.declaration_approve(declaration=submitted(p.li, start_year=2022, end_year=2022), user=p.chen, next_org=p.dzy)
    turned_down = transitions.declaration_reject(declaration=submitted(p.zhao), user=p.chen, reason="缺少培训通知")
    neighbour = submitted(p.wang)
    return locals()


def test_unit_queue_shows_pending_of_its_own_unit_only(client, p, unit_world):
    w = unit_world
    client.force_login(p.chen)
    assert shown(client, UNIT) == pks(w["song_pending"], w["zhao_pending"])
    page = text_of(client.get(reverse(UNIT)))
    assert "学时核认申报单位审核" in page and "宋庆涛" in page and p.song.id_number not in page
    # the neighbouring unit's administrator sees only theirs
    client.force_login(p.dzcl_admin)
    assert shown(client, UNIT) == pks(w["neighbour"])


@pytest.mark.parametrize(
    "status, expected",
    [
        ("pending", ["song_pending", "zhao_pending"]),
        ("passed", ["forwarded"]),
        ("rejected", ["turned_down"]),
        ("all", ["song_pending", "zhao_pending", "forwarded", "turned_down"]),
    ],
)
def test_unit_queue_status_filter(client, p, unit_world, status, expected):
    client.force_login(p.chen)
    assert shown(client, UNIT, status=status) == pks(*(unit_world[k] for k in expected))


def test_unit_queue_filters(client, p, unit_world):
    w = unit_world
    client.force_login(p.chen)
    assert shown(client, UNIT, year="2021") == pks(w["zhao_pending"])
    assert shown(client, UNIT, year="2023") == pks(w["song_pending"])
    assert shown(client, UNIT, year="2022", status="all") == pks(w["zhao_pending"], w["forwarded"])
    assert shown(client, UNIT, name="庆") == pks(w["song_pending"])
    assert shown(client, UNIT, name="赵金强", status="all") == pks(w["zhao_pending"], w["turned_down"])
    assert shown(client, UNIT, id_number=p.zhao.id_number) == pks(w["zhao_pending"])
    assert shown(client, UNIT, id_number=" " + p.li.id_number.lower() + " ", status="all") == pks(w["forwarded"])
    assert shown(client, UNIT, id_number=p.wang.id_number, status="all") == set()  # not this unit's
    assert shown(client, UNIT, name="宋庆涛", year="2022") == set()
    # the filter form shows what was asked for
    html = client.get(reverse(UNIT), {"name": "赵金强", "status": "all"}).content.decode()
    assert 'value="赵金强"' in html and '<option value="all" selected>全部</option>' in html


def test_unit_queue_paging(client, p):
    for _ in range(12):
        submitted(p.song)
    client.force_login(p.chen)
    first = client.get(reverse(UNIT))
    assert len(first.context["page"].object_list) == 10 and "共12条，显示1-10条" in text_of(first)
    second = client.get(reverse(UNIT), {"page": "2"})
    assert len(second.context["page"].object_list) == 2
    assert not {d.pk for d in first.context["page"].object_list} & {d.pk for d in second.context["page"].object_list}


def test_unit_queue_is_for_unit_admins(client, p):
    for user in (p.song, p.zrzy_admin, p.hn_clerk):
        client.force_login(user)
        assert client.get(reverse(UNIT)).status_code == 403


# --- superior queue -------------------------------------------------------------------------------


def test_superior_queue_for_dzy_admin(client, p):
    at_dzy = at_state(p, State.SUPERIOR_REVIEW)
    at_dzy_too = at_state(p, State.SUPERIOR_REVIEW, applicant=p.zhao)
    at_unit = submitted(p.li)
    at_bureau = at_state(p, State.BUREAU_REVIEW)
    client.force_login(p.dzy_admin)
    assert shown(client, SUPERIOR) == pks(at_dzy, at_dzy_too)
    assert shown(client, SUPERIOR, name="赵金强") == pks(at_dzy_too)
    assert shown(client, SUPERIOR, id_number=p.song.id_number) == pks(at_dzy)
    assert shown(client, SUPERIOR, status="passed") == pks(at_bureau)
    assert shown(client, SUPERIOR, status="all") == pks(at_dzy, at_dzy_too, at_bureau)
    assert at_unit.pk not in shown(client, SUPERIOR, status="all")
    page = text_of(client.get(reverse(SUPERIOR)))
    assert "学时核认上级单位审核" in page and "待上级单位审核" in page
    # 自然资源厅 is above, but nothing has been sent to it yet
    client.force_login(p.zrzy_admin)
    assert shown(client, SUPERIOR) == set()
    transitions.declaration_approve(declaration=at_dzy, user=p.dzy_admin, next_org=p.zrzy)
    assert shown(client, SUPERIOR) == pks(at_dzy)
    client.force_login(p.dzy_admin)
    assert shown(client, SUPERIOR) == pks(at_dzy_too)


def test_superior_queue_is_for_department_admins(client, p):
    for user in (p.song, p.chen, p.dzcl_admin, p.hn_clerk):
        client.force_login(user)
        assert client.get(reverse(SUPERIOR)).status_code == 403


# --- bureau 待办列表 -----------------------------------------------------------------------------


def bureau_item(p, applicant, *, via_unit=True, forwarded_days_ago=0):
    """A declaration waiting at 湖南省人力资源和社会保障厅, sent there `forwarded_days_ago` days ago."""
    now = timezone.now()
    with frozen_now(now - timedelta(days=forwarded_days_ago + 1)):
        if via_unit:
            d = submitted(applicant)
        else:  # 单位代为申报: the unit's administrator declares for the person and sends it to the bureau
            d = draft(p.chen, applicant)
            year_with_training(d, p.chen)
            d = transitions.declaration_submit(declaration=complete(d), user=p.chen, pledge=True, next_org=p.hn)
    with frozen_now(now - timedelta(days=forwarded_days_ago)):
        if d.state == State.UNIT_REVIEW:
            d = transitions.declaration_approve(declaration=d, user=p.chen, next_org=p.hn)
    assert d.state == State.BUREAU_REVIEW
    return d


@pytest.fixture
def todo_world(p):
    song = bureau_item(p, p.song)
    zhao_proxy = bureau_item(p, p.zhao, via_unit=False)
    li_late = bureau_item(p, p.li, forwarded_days_ago=14)
    wang = transitions.declaration_approve(declaration=submitted(p.wang), user=p.dzcl_admin, next_org=p.hn)
    city = transitions.declaration_approve(declaration=submitted(p.wu), user=p.csyy_admin, next_org=p.cs)
    not_yet = submitted(p.song)
    return locals()


def test_todo_lists_only_the_clerks_bureau(client, p, todo_world):
    w = todo_world
    client.force_login(p.hn_clerk)
    assert shown(client, TODO) == pks(w["song"], w["zhao_proxy"], w["li_late"], w["wang"])
    page = text_of(client.get(reverse(TODO)))
    assert "继续教育【4】" in page and "其中督办 1 件" in page
    assert "学时核认申报" in page and w["song"].business_no in page
    client.force_login(p.cs_clerk)
    assert shown(client, TODO) == pks(w["city"])
    client.force_login(p.song)
    assert client.get(reverse(TODO)).status_code == 403
    # Decided, a case leaves the list, though it stays with the bureau that decided it.
    transitions.declaration_approve(declaration=fresh(w["song"]), user=p.hn_clerk, opinion="同意")
    transitions.declaration_reject(declaration=fresh(w["wang"]), user=p.hn_clerk, reason="证书与培训名称不符")
    client.force_login(p.hn_clerk)
    assert shown(client, TODO) == pks(w["zhao_proxy"], w["li_late"])


def test_todo_filters(client, p, todo_world):
    w = todo_world
    client.force_login(p.hn_clerk)
    assert shown(client, TODO, applicant="宋庆涛") == pks(w["song"])
    assert shown(client, TODO, applicant="测绘") == pks(w["wang"])  # by unit name
    assert shown(client, TODO, applicant="地质研究所") == pks(w["song"], w["zhao_proxy"], w["li_late"])
    assert shown(client, TODO, id_number=p.zhao.id_number) == pks(w["zhao_proxy"])
    assert shown(client, TODO, id_number=p.zhao.id_number[:10]) == set()  # the whole number, not a part
    assert shown(client, TODO, business_no=w["li_late"].business_no) == pks(w["li_late"])
    assert shown(client, TODO, business_no=w["city"].business_no) == set()
    assert shown(client, TODO, supervision="overdue") == pks(w["li_late"])
    assert shown(client, TODO, supervision="normal") == pks(w["song"], w["zhao_proxy"], w["wang"])
    assert shown(client, TODO, channel="proxy") == pks(w["zhao_proxy"])
    assert shown(client, TODO, channel="self") == pks(w["song"], w["li_late"], w["wang"])
    assert shown(client, TODO, applicant="地质研究所", channel="self", supervision="normal") == pks(w["song"])


def test_todo_received_date_range(client, p, todo_world):
    w = todo_world
    client.force_login(p.hn_clerk)
    today = timezone.localdate()
    # li_late was submitted 15 days ago, the others yesterday (受理时间 is the submission time)
    submitted_on = {k: timezone.localtime(fresh(w[k]).submitted_at).date() for k in ("song", "li_late")}
    assert submitted_on["li_late"] == today - timedelta(days=15)
    day = lambda d: d.isoformat()  # noqa: E731
    assert shown(client, TODO, received_from=day(today - timedelta(days=3))) == pks(w["song"], w["zhao_proxy"], w["wang"])
    assert shown(client, TODO, received_to=day(today - timedelta(days=3))) == pks(w["li_late"])
    assert shown(client, TODO, received_to=day(today - timedelta(days=2))) == pks(w["li_late"])  # not the day after
    assert shown(client, TODO, received_to=day(today - timedelta(days=1))) == pks(w["song"], w["zhao_proxy"], w["li_late"])  # wang's came today
    assert shown(client, TODO, received_from=day(submitted_on["li_late"]), received_to=day(submitted_on["li_late"])) == pks(w["li_late"])
    assert shown(client, TODO, received_from=day(today + timedelta(days=1))) == set()
    # an end before the start is explained, not silently ignored
    response = client.get(reverse(TODO), {"received_from": day(today), "received_to": day(today - timedelta(days=1))})
    assert "结束日期不能早于开始日期。" in text_of(response)


def test_todo_marks_overdue_rows(client, p, todo_world):
    client.force_login(p.hn_clerk)
    response = client.get(reverse(TODO))
    assert ">督办</span>" in row_of(response, todo_world["li_late"].business_no)
    assert ">督办</span>" not in row_of(response, todo_world["song"].business_no)
    assert ">正常</span>" in row_of(response, todo_world["song"].business_no)


def test_todo_pages_of_15(client, p):
    made = [at_state(p, State.BUREAU_REVIEW) for _ in range(17)]
    client.force_login(p.hn_clerk)
    first = client.get(reverse(TODO))
    assert len(first.context["page"].object_list) == 15
    assert "共17条，显示1-15条" in text_of(first) and "第1/2页" in text_of(first)
    second = client.get(reverse(TODO), {"page": "2"})
    assert len(second.context["page"].object_list) == 2 and "显示16-17条" in text_of(second)
    seen = [d.pk for d in first.context["page"].object_list] + [d.pk for d in second.context["page"].object_list]
    assert sorted(seen) == sorted(d.pk for d in made)
    # the next-page link keeps the filters
    filtered = client.get(reverse(TODO), {"applicant": "宋庆涛"})
    assert "applicant=%E5%AE%8B%E5%BA%86%E6%B6%9B&amp;page=2" in filtered.content.decode()


# --- query counts ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url_name, reviewer, state",
    [
        (UNIT, "chen", State.UNIT_REVIEW),
        (SUPERIOR, "dzy_admin", State.SUPERIOR_REVIEW),
        (TODO, "hn_clerk", State.BUREAU_REVIEW),
    ],
)
def test_queue_query_counts_do_not_grow(client, p, url_name, reviewer, state):
    applicants = [p.song, p.zhao, p.li]

    def make(n):
        for i in range(n):
            at_state(p, state, applicant=applicants[i % 3])

    make(2)
    response = assert_same_queries(client, getattr(p, reviewer), reverse(url_name), lambda: make(28))
    assert "共30条" in text_of(response)


def test_an_organisation_both_unit_and_superior_keeps_its_two_queues_apart(client, p):
    """湖南省地质院 is a unit (its own staff declare there) and the superior of 湖南省地质研究所: what
    waits at one level is listed in that level's queue only, under 全部 too."""
    from accounts import services as account_services
    from accounts.models import Membership
    from tests.helpers import make_person

    own = make_person(organisation=p.dzy, name="地质院职工")
    account_services.membership_confirm(membership=Membership.objects.get(person=own), actor=p.dzy_admin)
    own.refresh_from_db()
    at_unit = submitted(own)
    forwarded = transitions.declaration_approve(declaration=submitted(p.song), user=p.chen, next_org=p.dzy)
    client.force_login(p.dzy_admin)
    assert shown(client, UNIT, status="all") == shown(client, UNIT) == pks(at_unit)
    assert shown(client, SUPERIOR, status="all") == shown(client, SUPERIOR) == pks(forwarded)
    # and each of the home page's counters counts its own level's case only
    home = text_of(client.get(reverse("portal:home")))
    assert "1 待单位审核 0 督办" in home and "1 待上级单位审核 0 督办" in home
    # Decided, each stays in its own level's 已审核通过 or 审核不通过 tab.
    transitions.declaration_approve(declaration=fresh(at_unit), user=p.dzy_admin, next_org=p.hn)
    transitions.declaration_reject(declaration=fresh(forwarded), user=p.dzy_admin, reason="材料不全")
    assert (shown(client, UNIT, status="passed"), shown(client, UNIT, status="rejected")) == (pks(at_unit), set())
    assert (shown(client, SUPERIOR, status="passed"), shown(client, SUPERIOR, status="rejected")) == (set(), pks(forwarded))


# --- each organisation's tabs hold its own decisions only -----------------------------------------


def _three_cases(p, reviewer, *, passed, rejected, pending, before=None, next_org):
    """Three declarations, one per applicant, brought to the reviewer's level (`before` decides them at
    the unit first) and there approved to `next_org`, rejected, and left waiting."""

    def at_level(applicant):
        d = submitted(applicant)
        return before(d) if before else d

    return {
        "passed": transitions.declaration_approve(declaration=at_level(passed), user=reviewer, next_org=next_org),
        "rejected": transitions.declaration_reject(declaration=at_level(rejected), user=reviewer, reason="材料不全"),
        "pending": at_level(pending),
    }


@pytest.fixture
def two_departments(p, demo):
    """湖南省地质院 and 湖南省教育厅, two supervising departments of one bureau, each with a case it
    passed, one it turned down and one waiting."""
    zhang, yang, lin = (demo.user(n) for n in ("430121198304051135", "430121199109301148", "430121199407221349"))
    jyt_admin = demo.user("jyt_admin")
    to_dzy = lambda d: transitions.declaration_approve(declaration=d, user=p.chen, next_org=p.dzy)  # noqa: E731
    to_jyt = lambda d: transitions.declaration_approve(declaration=d, user=p.hnsd_admin, next_org=demo.org("湖南省教育厅"))  # noqa: E731
    return {
        p.dzy_admin: (_three_cases(p, p.dzy_admin, passed=p.song, rejected=p.zhao, pending=p.li, before=to_dzy, next_org=p.hn),
                      ("宋庆涛", "赵金强", "李雪梅")),
        jyt_admin: (_three_cases(p, jyt_admin, passed=zhang, rejected=yang, pending=lin, before=to_jyt, next_org=p.hn),
                    ("张伟", "杨丽", "林晓")),
    }


@pytest.fixture
def two_units(p, demo):
    """湖南省地质研究所 and its neighbour 湖南省地质测绘院, each with a case it passed, one it turned
    down and one waiting."""
    liu = demo.user("430121198706211103")
    return {
        p.chen: (_three_cases(p, p.chen, passed=p.song, rejected=p.zhao, pending=p.li, next_org=p.dzy), ("宋庆涛", "赵金强", "李雪梅")),
        p.dzcl_admin: (_three_cases(p, p.dzcl_admin, passed=p.wang, rejected=liu, pending=liu, next_org=p.dzy), ("王建国", "刘芳")),
    }


TABS = {"pending": ["pending"], "passed": ["passed"], "rejected": ["rejected"], "all": ["pending", "passed", "rejected"]}


@pytest.mark.parametrize("url_name, world", [(SUPERIOR, "two_departments"), (UNIT, "two_units")])
def test_each_tab_lists_the_reviewers_own_organisations_cases_only(client, p, request, url_name, world):
    """Two organisations at one level each decided cases: every tab of each one's queue lists its own
    applicants and none of the other's (a tab without its organisation filter shows everybody's)."""
    world = request.getfixturevalue(world)
    for reviewer, (cases, names) in world.items():
        client.force_login(reviewer)
        others = [name for other, (_, theirs) in world.items() if other != reviewer for name in theirs]
        for status, kinds in TABS.items():
            expected = [cases[k] for k in kinds]
            assert shown(client, url_name, status=status) == pks(*expected), status
            page = text_of(client.get(reverse(url_name), {"status": status}))
            assert all(d.name in page for d in expected), status
            assert not [name for name in others if name in page], status


# --- what a row says ------------------------------------------------------------------------------


def row_text(response, pk):
    """The text of the list row that opens case `pk`."""
    return " ".join(re.sub(r"<[^>]+>", " ", row_of(response, f"/review/case/{pk}/")).split())


def test_each_queue_row_shows_the_unit_the_state_and_where_the_case_waits(client, p, unit_world):
    client.force_login(p.chen)
    response = client.get(reverse(UNIT), {"status": "all"})
    pending, forwarded, turned_down = unit_world["song_pending"], unit_world["forwarded"], unit_world["turned_down"]
    unit = pending.organisation.name
    assert f"宋庆涛 {pending.id_number[:3]}" in row_text(response, pending.pk)
    assert f" {unit} " in row_text(response, pending.pk) and "待单位审核" in row_text(response, pending.pk)
    # where a pending case waits shows under its state; a decided one waits nowhere
    assert f"待上级单位审核 {p.dzy.name}" in row_text(response, forwarded.pk)
    assert row_text(response, turned_down.pk).endswith("审核不通过 — 详情")


def test_each_todo_row_shows_the_applicant_and_unit_and_who_accepted_it(client, p):
    d = at_state(p, State.BUREAU_REVIEW)
    client.force_login(p.hn_clerk)
    text = row_text(client.get(reverse(TODO)), d.pk)
    assert f"宋庆涛 {d.organisation.name}" in text and "未受理" in text
    transitions.declaration_accept(declaration=d, user=p.hn_clerk)
    text = row_text(client.get(reverse(TODO)), d.pk)
    assert p.hn_clerk.name in text and "未受理" not in text, text
