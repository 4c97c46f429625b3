"""本单位人员学时情况 (hours/ledger.py, hours/ledger_views.py) and 催报: the figures agree with a recount
from the raw rows, nobody sees or reminds anyone outside their jurisdiction through any filter or the
export, a reminder goes once a day, and a page costs the same number of queries for 2 or 30 people."""
import io
import random
import time
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from openpyxl import load_workbook

from accounts.models import Membership, MembershipStatus, Role, RoleGrant, User
from hours import ledger, services, summary, transitions
from hours.models import Declaration, PersonYear
from tests.helpers import SESSION_QUERIES, assert_database_query_count, make_id_number
from tests.hours.fixtures_views import approved, draft, media, messages_of, p  # noqa: F401
from tests.hours.test_summary import next_org, reviewer_of, submit_new
from workflow.models import PENDING_STATES, Notification, Reminder, ReminderReason, State
from workflow.runner import WorkflowError

pytestmark = pytest.mark.django_db

URL = "/hours/staff/"
REMIND = "/hours/staff/remind/"
INSTITUTE = ("宋庆涛", "陈立新", "赵金强", "李雪梅")


def rows_of(response):
    return {row.name: row for row in response.context["page"].object_list}


def xlsx_names(response):
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    return [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)]


def staff_member(unit, name):
    person = User.objects.create(username=make_id_number(), id_number=None, name=name, organisation=unit)
    person.id_number = person.username
    person.save(update_fields=["id_number"])
    Membership.objects.create(person=person, organisation=unit, status=MembershipStatus.ACTIVE)
    return person


# --- the figures ---------------------------------------------------------------------------------


def expected(person, span, reference):
    """What the ledger should show for `person`, from summary.recount() (the raw rows)."""
    counted = summary.recount()[PersonYear]
    years = [counted[(person.pk, y)] for y in range(span.start, span.end + 1) if (person.pk, y) in counted]
    missing = span.years - len(years)
    public = sum((y["public"] for y in years), Decimal(0))
    professional = sum((y["professional"] for y in years), Decimal(0))
    return {
        "public": public, "professional": professional, "total": public + professional,
        "pending": sum((y["pending_public"] + y["pending_professional"] for y in years), Decimal(0)),
        "required": sum((y["required_total"] for y in years), Decimal(0)) + missing * reference,
        "shortfall": sum((still_to_learn(y) for y in years), Decimal(0)) + missing * reference,
        "years_met": sum(1 for y in years if y["met"]), "years_declared": len(years),
    }


def still_to_learn(year):
    """A year's shortfall: each column on its own, and the total on its own."""
    zero = Decimal(0)
    per_column = max(zero, year["required_public"] - year["public"]) + max(zero, year["required_professional"] - year["professional"])
    return max(zero, year["required_total"] - year["public"] - year["professional"], per_column)


def test_surplus_in_one_column_does_not_make_up_for_the_other(client, p):
    """20 公需 + 80 专业 against 30 + 60: 100 hours, and still 10 公需 to learn — 未达标, 短缺 10."""
    this_year = timezone.localdate().year
    PersonYear.objects.create(
        person=p.zhao, year=this_year, organisation=p.dzyjs, public=20, professional=80, required_public=30,
        required_professional=60, required_total=90, met=False,
    )
    client.force_login(p.chen)
    row = rows_of(client.get(URL, {"status": "short"}))["赵金强"]
    assert (row.total, row.shortfall) == (100, 10)
    assert PersonYear.objects.get(person=p.zhao).shortfall == 10


def latest_label(person, span):
    d = Declaration.objects.filter(applicant=person, start_year__lte=span.end, end_year__gte=span.start).order_by("-created_at", "-pk").first()
    return d.get_state_display() if d else "无申报"


def random_history(p, rng, people, steps=14):
    """Submissions, drafts (暂存), approvals, rejections, withdrawals and resubmissions in random order;
    a move the rules refuse (the span already open, a draft for a taken year) is skipped."""

    def new():
        end = rng.randint(2021, 2023)
        submit_new(rng.choice(people), rng, start_year=end - rng.randint(0, 1), end_year=end)

    def decide(d):
        if rng.random() < 0.3:
            return transitions.declaration_reject(declaration=d, user=reviewer_of(p, d), reason="材料不全")
        return transitions.declaration_approve(declaration=d, user=reviewer_of(p, d), next_org=next_org(p, d))

    moves = {
        "new": (None, lambda _: new()),
        "draft": (None, lambda _: draft(rng.choice(people), start_year=2020, end_year=2020)),
        "decide": (PENDING_STATES, decide),
        "withdraw": (PENDING_STATES, lambda d: transitions.declaration_withdraw(declaration=d, user=d.applicant)),
        "resubmit": ([State.REJECTED, State.DRAFT], lambda d: transitions.declaration_submit(declaration=d, user=d.applicant, pledge=True)),
    }
    for _ in range(steps):
        states, move = moves[rng.choice(["new", "draft", "decide", "decide", "decide", "withdraw", "resubmit"])]
        candidates = list(Declaration.objects.filter(applicant__in=people, state__in=states)) if states else [None]
        try:
            move(rng.choice(candidates)) if candidates else new()
        except (WorkflowError, ValidationError):
            pass


@pytest.mark.parametrize("seed", [4, 5])
def test_figures_agree_with_a_recount_after_random_decisions(client, p, media, seed):
    random_history(p, random.Random(seed), [p.song, p.zhao, p.li])
    reference = ledger.reference_total()
    client.force_login(p.chen)
    for query, span in [("start_year=2021", ledger.Span(2021, 2021)), ("start_year=2023", ledger.Span(2023, 2023)),
                        ("start_year=2020&end_year=2023", ledger.Span(2020, 2023))]:
        response = client.get(f"{URL}?{query}")
        rows = rows_of(response)
        assert set(rows) == set(INSTITUTE)
        tally = {"met": 0, "short": 0, "undeclared": 0}
        for person in [p.song, p.chen, p.zhao, p.li]:
            row, want = rows[person.name], expected(person, span, reference)
            for name, value in want.items():
                assert getattr(row, name) == value, (query, person.name, name)
            assert row.latest_label == latest_label(person, span)
            tab = "met" if want["years_met"] == span.years else "undeclared" if not want["years_declared"] else "short"
            tally[tab] += 1
        tabs = dict((label.split("（")[0], label) for label, _, _ in response.context["tabs"])
        for key, label in ledger.STATUSES[1:]:
            assert tabs[label] == f"{label}（{tally[key]}）"
            shown = rows_of(client.get(f"{URL}?{query}&status={key}"))
            assert len(shown) == tally[key]


# --- jurisdiction --------------------------------------------------------------------------------


FILTERS = ["", "?status=met", "?status=short", "?status=undeclared", "?start_year=2019&end_year=2023",
           "?name=宋庆涛", "?id_number=430121198805041015", "?id_number=４３０１２１１９８８０５０４１０１５", "?name=宋"]


def test_a_unit_administrator_sees_only_their_unit(client, p, media, demo):
    dzcl_admin = p.dzcl_admin  # 湖南省地质测绘院
    approved(p)  # 宋庆涛 has hours, so he would show under 已达标 / 未达标 somewhere
    client.force_login(dzcl_admin)
    for query in FILTERS + [f"?unit={p.dzyjs.pk}"]:
        response = client.get(URL + query)
        listed = response.content.decode().partition('id="results"')[2]  # the filter form keeps what was typed
        assert not any(name in listed for name in INSTITUTE), query
        assert not any(name in INSTITUTE for name in rows_of(response)), query
        export = client.get(URL + query + ("&" if "?" in query else "?") + "export=xlsx")
        assert export.status_code == 200 and not set(xlsx_names(export)) & set(INSTITUTE), query
    assert set(rows_of(client.get(URL))) == {"王建国", "刘芳"}


def test_a_department_administrator_sees_their_subtree_and_a_foreign_unit_lists_nobody(client, p, demo):
    client.force_login(p.zrzy_admin)
    shown = rows_of(client.get(URL))
    assert set(INSTITUTE) <= set(shown) and "吴涛" not in shown and "张伟" not in shown
    assert set(rows_of(client.get(f"{URL}?unit={p.dzyjs.pk}"))) == set(INSTITUTE)
    outside = ("吴涛", "张伟")  # 长沙市第一医院, 湖南师范大学
    for query in FILTERS + ["?name=吴涛", "?id_number=43012119860726121X", "?name=张"]:
        listed = client.get(URL + query).content.decode().partition('id="results"')[2]
        assert not any(name in listed for name in outside), query
        export = client.get(URL + query + ("&" if "?" in query else "?") + "export=xlsx")
        assert not set(xlsx_names(export)) & set(outside), query
    # 长沙市第一医院 is outside 湖南省自然资源厅: refused, never "every unit".
    foreign = client.get(f"{URL}?unit={p.csyy.pk}")
    assert foreign.status_code == 400 and not rows_of(foreign) and "吴涛" not in foreign.content.decode()
    export = client.get(f"{URL}?unit={p.csyy.pk}&export=xlsx")
    assert export.status_code == 400 and "export" not in export.get("Content-Disposition", "")
    for bad in ["?unit=abc", "?status=everyone", "?start_year=2023&end_year=2020", "?id_number=%00"]:
        refused = client.get(URL + bad)
        assert refused.status_code == 400 and not rows_of(refused), bad
    export = client.get(f"{URL}?export=xlsx&unit={p.dzyjs.pk}&status=undeclared")
    assert sorted(xlsx_names(export)) == sorted(INSTITUTE)
    # The city's clerk and an applicant do not pass the guard.
    client.force_login(p.song)
    assert client.get(URL).status_code == 403


def test_the_export_is_exactly_the_filtered_list(client, p, media):
    approved(p)  # 宋庆涛, 2023
    client.force_login(p.chen)
    export = client.get(f"{URL}?start_year=2023&status=undeclared&export=xlsx")
    assert sorted(xlsx_names(export)) == sorted(set(INSTITUTE) - {"宋庆涛"})
    sheet = load_workbook(io.BytesIO(b"".join(client.get(f"{URL}?start_year=2023&name=宋庆涛&export=xlsx").streaming_content))).active
    row = next(sheet.iter_rows(min_row=2, values_only=True))
    assert row[1] == "宋庆涛" and row[2] == "4301**********1015" and row[7] == 16 and row[10] == 74


# --- 催报 -----------------------------------------------------------------------------------------


def test_remind_the_ticked_people_once_a_day(client, p):
    client.force_login(p.chen)
    data = {"scope": "picked", "ids": [p.zhao.pk, p.li.pk], "filters": "start_year=2023&status=undeclared"}
    first = client.post(REMIND, data, follow=True)
    assert "已向 2 人发送催报，0 人今日已催报。" in messages_of(first)
    assert first.redirect_chain[-1][0] == f"{URL}?start_year=2023&status=undeclared"
    # The repeated-POST guard answers a double click; the constraint answers anything past it.
    client.post(REMIND, data, follow=True)
    client.force_login(p.chen)  # a fresh session: the guard no longer knows the first POST
    again = client.post(REMIND, {**data, "ids": [p.zhao.pk, p.li.pk, p.song.pk]}, follow=True)
    assert "已向 1 人发送催报，2 人今日已催报。" in messages_of(again)
    assert Reminder.objects.filter(user=p.zhao, reason=ReminderReason.URGE).count() == 1
    assert Notification.objects.filter(user=p.zhao).count() == 1
    reminder = Reminder.objects.get(user=p.zhao)
    assert reminder.period == timezone.localdate().isoformat() and reminder.sent_by == p.chen and reminder.organisation == p.dzyjs
    notice = Notification.objects.get(user=p.zhao)
    assert "2023年度" in notice.body and "尚差90学时" in notice.body and "湖南省地质研究所" in notice.body
    row = rows_of(client.get(f"{URL}?start_year=2023"))["赵金强"]
    assert row.reminded_at == reminder.created_at and row.reminded_by == "陈立新"


def test_the_service_sends_once_whatever_the_repeats(p):
    span = ledger.Span(2023, 2023)
    people = ledger.figured(ledger.staff(user=p.chen, filters={}, span=span).filter(pk=p.zhao.pk), span, Decimal(90))
    today = timezone.localdate()
    assert services.staff_remind(user=p.chen, people=people, span=span, today=today) == (1, 0)
    assert services.staff_remind(user=p.chen, people=people, span=span, today=today) == (0, 1)
    assert Reminder.objects.count() == 1 and Notification.objects.filter(user=p.zhao).count() == 1


def test_remind_someone_outside_is_refused_and_nobody_is_sent(client, p, demo):
    client.force_login(p.chen)
    wang = demo.user("43012119720808109X")  # 湖南省地质测绘院
    for ids in ([wang.pk], [p.zhao.pk, wang.pk], [p.zhao.pk, "12x"], [p.zhao.pk, 99_999_999]):
        response = client.post(REMIND, {"scope": "picked", "ids": ids, "filters": ""}, follow=True)
        assert any("未发送催报" in m or "编号无效" in m for m in messages_of(response)), ids
    assert not Reminder.objects.exists() and not Notification.objects.exists()
    # A unit administrator's filter with a foreign unit is not a way round it either.
    client.force_login(p.zrzy_admin)
    response = client.post(REMIND, {"scope": "filtered", "filters": f"unit={p.csyy.pk}"}, follow=True)
    assert any("筛选条件有误" in m for m in messages_of(response))
    assert not Reminder.objects.exists()


def test_remind_the_whole_filtered_list_after_a_confirmation(client, p):
    client.force_login(p.zrzy_admin)
    data = {"scope": "filtered", "filters": f"unit={p.dzyjs.pk}&status=undeclared"}
    confirm = client.post(REMIND, data)
    assert confirm.status_code == 200 and "全部 <strong>4</strong> 人" in confirm.content.decode()
    assert not Reminder.objects.exists()
    # A confirmation of another list (the fingerprint differs) asks again.
    stale = client.post(REMIND, {**data, "confirmed": "1", "count": "4", "fingerprint": "0" * 64})
    assert stale.status_code == 200 and not Reminder.objects.exists()
    done = client.post(REMIND, {**data, "confirmed": "1", "count": "4", "fingerprint": confirm.context["fingerprint"]}, follow=True)
    assert "已向 4 人发送催报，0 人今日已催报。" in messages_of(done)
    assert set(Reminder.objects.values_list("user__name", flat=True)) == set(INSTITUTE)
    assert set(Reminder.objects.values_list("organisation", flat=True)) == {p.zrzy.pk}


# --- queries -------------------------------------------------------------------------------------


def test_the_page_runs_a_fixed_number_of_queries_for_2_and_30_staff(client, p, media, demo):
    approved(p)
    dzcl = demo.org("湖南省地质测绘院")
    dzcl_admin = p.dzcl_admin
    client.force_login(dzcl_admin)
    client.get(URL)  # the session's first page loads what every later page finds cached
    urls = [URL, f"{URL}?start_year=2019&end_year=2023&status=undeclared&name=王"]
    counts = []
    for url in urls:
        with assert_database_query_count(QUERIES) as captured:
            assert len(rows_of(client.get(url))) in (1, 2)
        counts.append(len(captured.captured_queries))
    for n in range(28):
        staff_member(dzcl, f"测绘员{n:02d}")
    Reminder.objects.create(user=User.objects.get(name="测绘员03"), reason=ReminderReason.URGE, period="2026-01-01", sent_by=dzcl_admin)
    with assert_database_query_count(QUERIES):
        assert len(rows_of(client.get(URL))) == 20
    with assert_database_query_count(QUERIES):
        assert len(rows_of(client.get(f"{URL}?page=2"))) == 10
    client.force_login(p.zrzy_admin)
    client.get(URL)
    with assert_database_query_count(QUERIES + 1):  # the 单位 filter's choices
        client.get(f"{URL}?unit={dzcl.pk}")


# The session (unless sessions live in the cache), then the ledger's reads (the user and role grants
# from the cache).
QUERIES = SESSION_QUERIES + 4


def test_a_unit_of_500_stays_fast(client, p):
    people = User.objects.bulk_create(
        [User(username=f"staff{n}", id_number=make_id_number(), name=f"职员{n:03d}", organisation=p.dzyjs) for n in range(500)]
    )
    Membership.objects.bulk_create([Membership(person=u, organisation=p.dzyjs, status=MembershipStatus.ACTIVE) for u in people])
    PersonYear.objects.bulk_create([
        PersonYear(person=u, year=year, organisation=p.dzyjs, public=10, professional=20, pending_public=0, pending_professional=0,
                   required_public=30, required_professional=60, required_total=90, met=(u.pk + year) % 3 == 0)
        for u in people for year in range(2019, 2024)
    ])
    client.force_login(p.chen)
    client.get(URL)
    for query in ["?start_year=2023", "?start_year=2019&end_year=2023&status=short&page=10"]:
        started = time.perf_counter()
        response = client.get(URL + query)
        assert response.status_code == 200 and time.perf_counter() - started < 1.0, query
    # 未达标: every year declared, not every year met.
    assert response.context["page"].paginator.count == sum(1 for u in people if not all((u.pk + y) % 3 == 0 for y in range(2019, 2024)))


def test_a_unit_administrator_who_is_also_a_clerk_still_sees_only_their_unit(client, p):
    """Being 长沙's clerk as well adds nobody of 长沙's units to the ledger."""
    RoleGrant.objects.create(user=p.dzcl_admin, role=Role.BUREAU_CLERK, organisation=p.cs)
    client.force_login(p.dzcl_admin)
    assert set(rows_of(client.get(URL))) == {"王建国", "刘芳"}
