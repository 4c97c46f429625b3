"""查询统计 (review/statistics.py, review/statistics_views.py): the page's figures, for the scope and
for each child of the level, agree with a count made here from the raw rows (declarations, year
records, memberships, review steps — not hours.summary.recount) after random decisions; nobody sees
figures or names outside their jurisdiction, through any `org`, any year and the export; the charts
carry no script and no address; the page reads a fixed number of queries whatever the tree's size."""
import io
import random
import re
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from accounts import services as accounts_services
from accounts.models import Membership, MembershipStatus, Organisation, OrganisationKind, Role, RoleGrant
from hours import rules, summary, transitions
from hours.services import AlreadyOpen
from hours.models import Declaration, OverdueCount, ReviewStep, UnitYear, YearRecord
from hours.policies import policy_for
from review import statistics
from review.selectors import is_overdue
from tests.helpers import SESSION_QUERIES, assert_database_query_count, make_person, make_staff, make_unit, text_of
from tests.hours.fixtures_views import add_item, complete, draft, media, p, year_with_training  # noqa: F401
from workflow.levels import BY_STATE
from workflow.models import PENDING_STATES, Action, State
from workflow.runner import WorkflowError, next_level_choices

pytestmark = pytest.mark.django_db

URL = reverse("review:statistics")
COUNTED = (State.APPROVED, *PENDING_STATES)


# --- the count from the raw rows ------------------------------------------------------------------


def working_days(start, end):
    first, last = timezone.localtime(start).date(), timezone.localtime(end).date()
    return sum(1 for n in range(1, (last - first).days + 1) if (first + timedelta(days=n)).weekday() < 5)


def median(values):
    values = sorted(values)
    if not values:
        return None
    middle = len(values) // 2
    return Decimal(values[middle]) if len(values) % 2 else Decimal(values[middle - 1] + values[middle]) / 2


def raw_figures(org_ids, year):
    """What the page should show for the units `org_ids` in `year`, counted from the raw rows."""
    org_ids = set(org_ids)
    staff = Membership.objects.filter(organisation_id__in=org_ids, status=MembershipStatus.ACTIVE).count()
    # A person counts where they work now, with the year record of the declaration approved last
    # (else the one under review) measuring the requirement; a revoked year record counts nowhere.
    by_person = defaultdict(list)
    for record in YearRecord.objects.counting(COUNTED).filter(year=year).select_related("declaration__applicant", "declaration__rule_set"):
        if record.declaration.applicant.organisation_id in org_ids:
            by_person[record.declaration.applicant_id].append(record)
    met, public, professional = 0, Decimal(0), Decimal(0)
    for records in by_person.values():
        approved = [r for r in records if r.declaration.state == State.APPROVED]
        counting = max(approved, key=lambda r: (r.declaration.decided_at, r.declaration_id), default=None)
        measure = counting or max(records, key=lambda r: r.declaration_id)
        policy = policy_for(measure.declaration.rule_set)
        hours = (counting.public_hours, counting.professional_hours) if counting else (Decimal(0), Decimal(0))
        months = measure.months_away if policy.proration is not None else 0
        met += rules.year_check(policy, *hours, months_away=months).compliant
        public += hours[0]
        professional += hours[1]
    covering = Declaration.objects.filter(organisation_id__in=org_ids, start_year__lte=year, end_year__gte=year).exclude(state=State.DRAFT)
    states = Counter(covering.values_list("state", flat=True))
    passes = defaultdict(list)
    for d in Declaration.objects.filter(organisation_id__in=org_ids, start_year__lte=year, end_year__gte=year):
        steps = list(ReviewStep.objects.filter(declaration=d).order_by("created_at", "id"))
        for arrived, left in zip(steps, steps[1:]):
            if arrived.to_state in PENDING_STATES and left.from_state == arrived.to_state:
                passes[arrived.to_state].append(working_days(arrived.created_at, left.created_at))
    overdue = Counter()
    for d in covering.filter(state__in=PENDING_STATES).select_related("current_org"):
        if is_overdue(d):  # as the queues say 督办: the holder's bureau's limit
            overdue[d.state] += 1
    return {
        "staff": staff, "declared": len(by_person), "met": met, "public": public, "professional": professional,
        "states": {s: states[s] for s in statistics.STATES},
        "medians": {s: median(passes[s]) for s in PENDING_STATES},
        "overdue": {s: overdue[s] for s in PENDING_STATES},
    }


def shown(figures):
    return {
        "staff": figures.staff, "declared": figures.declared, "met": figures.met, "public": figures.public,
        "professional": figures.professional, "states": {s: figures.states[s] for s in statistics.STATES},
        "medians": {s: figures.median_days(s) for s in PENDING_STATES},
        "overdue": {s: figures.overdue[s] for s in PENDING_STATES},
    }


def units_of(node, reach):
    """The organisations a row of the page stands for, worked out here from the tree."""
    org = Organisation.objects.get(pk=node.key)
    if node.own:
        found = [org]
    elif node.area:
        found = Organisation.objects.filter(bureau__path__startswith=org.path)
    else:
        found = Organisation.objects.filter(path__startswith=org.path)
    return {o.pk for o in found} & reach


def reach_of(user):
    """Every organisation whose figures `user` may see: a department administrator's subtree, a
    bureau clerk's area (the units whose bureau is theirs or below it)."""
    ids = set()
    for grant in RoleGrant.objects.filter(user=user).select_related("organisation"):
        if grant.role == Role.DEPT_ADMIN:
            ids |= set(Organisation.objects.filter(path__startswith=grant.organisation.path).values_list("pk", flat=True))
        elif grant.role == Role.BUREAU_CLERK:
            ids |= set(Organisation.objects.filter(bureau__path__startswith=grant.organisation.path).values_list("pk", flat=True))
    return ids


def assert_page_agrees(client, user, org=None, year=None):
    summary.overdue_refresh()  # 督办 as the daily job counts it; the other figures move by themselves
    client.force_login(user)
    query = {k: v for k, v in {"org": org, "year": year}.items() if v}
    response = client.get(URL, query)
    assert response.status_code == 200
    stats = response.context["stats"]
    reach = reach_of(user)
    scope = reach if stats.node.org is None else units_of(stats.node, reach)
    assert shown(stats.scope) == raw_figures(scope, stats.year)
    covered = set()
    for row in stats.rows:
        units = units_of(row.node, reach) - covered  # a unit counts in the first row that takes it in
        covered |= units
        assert shown(row.figures) == raw_figures(units, stats.year), row.node.label
    assert covered == scope
    met = response.context["tables"][0]
    assert met.total[:4] == ["合计", stats.scope.staff, stats.scope.declared, stats.scope.met]
    assert met.total[4] == (f"{Decimal(stats.scope.met * 100) / stats.scope.staff:.1f}%" if stats.scope.staff else "—")
    return stats


# --- random decisions -----------------------------------------------------------------------------


def reviewer(declaration):
    level = BY_STATE[declaration.state]
    return RoleGrant.objects.filter(role=level.role, organisation_id=declaration.current_org_id).select_related("user").first().user


def onward(declaration, rng):
    """Where a reviewer sends it: a superior unit with an administrator, or the bureau."""
    superiors, bureau = next_level_choices(declaration, declaration.current_org)
    staffed = [o for o in superiors if RoleGrant.objects.filter(role=Role.DEPT_ADMIN, organisation=o).exists()]
    return rng.choice(staffed) if staffed and rng.random() < 0.6 else bureau


def submit_new(person, rng, year, *, enough=None, single=False):
    d = draft(person, start_year=year - (0 if single else rng.randint(0, 1)), end_year=year)
    record, _ = year_with_training(d, person)
    if enough if enough is not None else rng.random() < 0.5:  # enough for the year half of the time (32 public + 64 professional hours)
        add_item(d, person, record, facts={"subject": "public", "days": 2, "half_days": 0, "title": "公需二"})
        add_item(d, person, record, facts={"subject": "professional", "days": 8, "half_days": 0, "title": "专业"})
    return transitions.declaration_submit(declaration=complete(d), user=person, pledge=True)


def random_decisions(applicants, rng, moves):
    for _ in range(moves):
        mine = Declaration.objects.filter(applicant__in=applicants)
        pending = list(mine.filter(state__in=PENDING_STATES))
        returned = list(mine.filter(state__in=[State.DRAFT, State.REJECTED]))  # withdrawn or rejected
        move = rng.choice(["submit", "submit", "decide", "decide", "decide", "decide", "withdraw", "resubmit"])
        try:
            if move == "submit" or not (pending or returned):
                submit_new(rng.choice(applicants), rng, rng.randint(2021, 2024))
            elif move in ("decide", "withdraw") and pending:
                d = rng.choice(pending)
                if move == "withdraw":
                    transitions.declaration_withdraw(declaration=d, user=d.applicant)
                elif rng.random() < 0.25:
                    transitions.declaration_reject(declaration=d, user=reviewer(d), reason="材料不全")
                elif d.state == State.BUREAU_REVIEW:
                    transitions.declaration_approve(declaration=d, user=reviewer(d))
                else:
                    transitions.declaration_approve(declaration=d, user=reviewer(d), next_org=onward(d, rng))
            elif returned:
                d = rng.choice(returned)
                transitions.declaration_submit(declaration=d, user=d.applicant, pledge=True)
        except (WorkflowError, AlreadyOpen):
            pass  # a refused move (a wrong state, a span already open) changes nothing


@pytest.mark.parametrize("seed", [1, 2])
def test_figures_agree_with_the_raw_rows_at_every_level(client, p, media, seed):
    rng = random.Random(seed)
    random_decisions([p.song, p.zhao, p.li, p.wang, p.wu, p.zhang], rng, 40)
    # Then a year that meets the requirement goes all the way, and one more waits at its unit.
    d = submit_new(p.zhao, rng, 2020, enough=True, single=True)
    while d.is_pending:
        d = transitions.declaration_approve(declaration=d, user=reviewer(d), next_org=None if d.state == State.BUREAU_REVIEW else onward(d, rng))
    # 撤销认定 of a year of another approved declaration (the province's clerk: over every city): its hours leave the figures.
    revoked = Declaration.objects.filter(state=State.APPROVED).exclude(pk=d.pk).order_by("id").first() or d
    transitions.declaration_revoke(
        declaration=revoked, user=p.hn_clerk, years=[revoked.year_records.first().year], reason="other", reason_text="核查",
    )
    submit_new(p.wu, rng, 2020, single=True)
    # One declaration waits beyond the supervision limit (the limit counts from waiting_since).
    waiting = Declaration.objects.filter(state__in=PENDING_STATES).order_by("id").first()
    assert waiting is not None
    assert set(ReviewStep.objects.values_list("action", flat=True)) == set(Action.values)
    Declaration.objects.filter(pk=waiting.pk).update(waiting_since=timezone.now() - timedelta(days=30))
    assert Declaration.objects.filter(state=State.APPROVED).exists()
    for year in (2020, 2022, 2023, 2024):
        # The province, a city, a department, a unit with units below it, a unit.
        for org in (None, p.cs.pk, p.zrzy.pk, p.dzy.pk, p.dzyjs.pk, p.cswjw.pk):
            assert_page_agrees(client, p.hn_clerk, org, year)
        assert_page_agrees(client, p.cs_clerk, None, year)
        assert_page_agrees(client, p.zrzy_admin, None, year)
        assert_page_agrees(client, p.dzy_admin, None, year)
    # The sequence reached what it is meant to test: people who met the year, and one 督办.
    assert UnitYear.objects.filter(met__gt=0).exists()
    assert sum(assert_page_agrees(client, p.hn_clerk, None, waiting.end_year).scope.overdue.values()) == 1


def test_the_year_by_year_line_agrees_with_the_raw_rows(client, p, media):
    random_decisions([p.song, p.zhao, p.li], random.Random(7), 20)
    client.force_login(p.zrzy_admin)
    stats = client.get(URL).context["stats"]
    reach = reach_of(p.zrzy_admin)
    assert [year for year, _ in stats.by_year] == list(range(2019, timezone.localdate().year + 1))
    for year, figures in stats.by_year:
        raw = raw_figures(reach, year)
        assert (figures.declared, figures.met, figures.public, figures.professional) == (
            raw["declared"], raw["met"], raw["public"], raw["professional"]
        )


def test_the_default_year_is_the_last_complete_one_with_figures(client, p, media):
    client.force_login(p.hn_clerk)
    this_year = timezone.localdate().year
    assert client.get(URL).context["stats"].year == this_year  # nothing declared last year
    submit_new(p.song, random.Random(1), this_year - 1)
    assert client.get(URL).context["stats"].year == this_year - 1


def test_a_median_over_an_even_number_of_passes_is_the_middle_two_s_mean():
    figures = statistics.Figures()
    figures.days[State.UNIT_REVIEW].update({1: 1, 4: 1})
    figures.days[State.BUREAU_REVIEW].update({0: 2, 3: 1, 9: 4})
    assert figures.median_days(State.UNIT_REVIEW) == Decimal("2.5")
    assert figures.median_days(State.BUREAU_REVIEW) == 9
    assert figures.median_days(State.SUPERIOR_REVIEW) is None


# --- jurisdiction ---------------------------------------------------------------------------------


def names_outside(user):
    reach = reach_of(user)
    return [o.name for o in Organisation.objects.exclude(pk__in=reach).exclude(kind=OrganisationKind.BUREAU)]


def workbook_text(response):
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    return " ".join(str(c) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for c in row if c is not None)


@pytest.mark.parametrize(
    "who, allowed",
    [
        ("zrzy_admin", {"湖南省自然资源厅", "湖南省地质院", "湖南省地质研究所", "湖南省地质测绘院"}),
        ("cs_clerk", {"长沙市人力资源和社会保障局", "长沙市卫生健康委员会", "长沙市第一医院", "长沙智造科技有限公司"}),
    ],
)
def test_nobody_sees_figures_or_names_outside_their_jurisdiction(client, p, media, who, allowed):
    for person in (p.song, p.wu, p.zhang):
        submit_new(person, random.Random(3), 2023)
    user = getattr(p, who)
    client.force_login(user)
    foreign = names_outside(user)
    foreign_bureaus = [o.name for o in Organisation.objects.filter(kind=OrganisationKind.BUREAU) if o.name not in allowed]
    years = ["", "abc", "1990", *map(str, range(2019, timezone.localdate().year + 1))]
    for org in Organisation.objects.all():
        for year in (years if org.name in allowed else ["", "2023"]):
            response = client.get(URL, {"org": org.pk, "year": year})
            if org.name not in allowed:
                assert response.status_code == 404, org.name
                assert client.get(URL, {"org": org.pk, "export": "xlsx"}).status_code == 404
                continue
            html = response.content.decode()
            assert response.status_code == 200
            assert not [name for name in foreign + foreign_bureaus if name in html], (org.name, year)
        export = client.get(URL, {"org": org.pk, "year": "2023", "export": "xlsx"}) if org.name in allowed else None
        if export is not None:
            text = workbook_text(export)
            assert not [name for name in foreign + foreign_bureaus if name in text]
    # A malformed org is the top level, never wider.
    top = client.get(URL).context["stats"]
    for malformed in ("abc", "-1", "1e3", "", "99999999999999", "0"):
        response = client.get(URL, {"org": malformed})
        if response.status_code == 404:  # a well-formed id of nothing
            continue
        assert response.context["stats"].node == top.node, malformed
        html = response.content.decode()
        assert not [name for name in foreign + foreign_bureaus if name in html]
    # The totals are those of the jurisdiction alone.
    assert top.scope.staff == Membership.objects.filter(organisation_id__in=reach_of(user), status=MembershipStatus.ACTIVE).count()


def test_the_drill_down_and_the_way_back_up(client, p):
    client.force_login(p.hn_clerk)
    top = client.get(URL).context["stats"]
    assert [row.node.label for row in top.rows][:2] == ["长沙市", "株洲市"] and top.node.label == "湖南省"
    city = client.get(URL, {"org": p.cs.pk}).context
    assert [label for label, _ in city["crumbs"]] == ["湖南省", "长沙市"]
    assert {row.node.label for row in city["stats"].rows} == {"长沙市卫生健康委员会", "长沙智造科技有限公司"}
    unit = client.get(URL, {"org": p.csyy.pk}).context
    assert [label for label, _ in unit["crumbs"]] == ["湖南省", "长沙市", "长沙市卫生健康委员会", "长沙市第一医院"]
    assert [row.node.label for row in unit["stats"].rows] == ["长沙市第一医院（本级）"]
    html = client.get(URL, {"org": p.dzy.pk}).content.decode()
    assert f'href="{URL}?year=' in html and "湖南省地质院（本级）" in html
    # A department administrator starts at their department; its bureau is not theirs to open.
    client.force_login(p.zrzy_admin)
    assert client.get(URL).context["stats"].node.label == "湖南省自然资源厅"
    assert client.get(URL, {"org": p.hn.pk}).status_code == 404


# --- the page itself ------------------------------------------------------------------------------


def test_the_charts_have_no_script_no_address_and_no_inline_style(client, p, media):
    submit_new(p.song, random.Random(2), 2024)
    client.force_login(p.hn_clerk)
    response = client.get(URL, {"year": "2024"})
    html = response.content.decode()
    svgs = re.findall(r"<svg\b.*?</svg>", html, flags=re.S)
    assert len(svgs) == 2
    for svg in svgs:
        assert "<script" not in svg and "<style" not in svg and " style=" not in svg
        assert not re.search(r"https?:", svg)
        assert 'role="img"' in svg and re.search(r'aria-labelledby="([^"]+)"><title id="\1">', svg)
    # The page's policy allows no inline style or script, so nothing in the page may need them.
    policy = response.headers["Content-Security-Policy"]
    assert "style-src 'self'" in policy and "'unsafe-inline'" not in policy
    assert " style=" not in html and "<style" not in html
    assert "数据随每次审核实时更新（截至" in html


def test_the_export_has_a_sheet_per_table(client, p, media):
    submit_new(p.zhao, random.Random(4), 2023)
    client.force_login(p.zrzy_admin)
    response = client.get(URL, {"year": "2023", "export": "xlsx"})
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert book.sheetnames == ["学时达标情况", "申报审核情况", "审核用时与督办", "历年学时达标情况"]
    rows = list(book["学时达标情况"].iter_rows(values_only=True))
    assert rows[1][:4] == ("单位/地区", "在册人数", "申报人数", "达标人数")
    assert rows[-1][0] == "合计" and rows[-1][2] == 1


def test_the_page_reads_a_fixed_number_of_queries_whatever_the_tree(client, p, media):
    client.force_login(p.hn_clerk)
    client.get(URL)
    with assert_database_query_count(QUERIES):
        assert client.get(URL, {"year": "2023"}).status_code == 200
    # A larger tree: twenty more units under 湖南省地质院, each with staff, and more declarations.
    for n in range(20):
        unit = make_unit(name=f"测试单位{n}", parent=p.dzy)
        person = make_person(organisation=unit, name=f"测试人员{n}")
        membership = Membership.objects.get(person=person, organisation=unit)
        admin = make_staff(username=f"test_unit_admin{n}", role=Role.UNIT_ADMIN, organisation=unit)
        accounts_services.membership_confirm(membership=membership, actor=admin)
    rng = random.Random(5)
    for person in (p.song, p.zhao, p.li, p.wang, p.wu):
        submit_new(person, rng, 2023)
    random_decisions([p.song, p.zhao, p.li, p.wang, p.wu], rng, 10)
    client.force_login(p.hn_clerk)
    client.get(URL)  # the signed-in person read into the cache
    for org in (None, p.zrzy.pk, p.dzy.pk):
        with assert_database_query_count(QUERIES):
            assert client.get(URL, {"year": "2023", "org": org or ""}).status_code == 200


# The session (unless sessions live in the cache); the organisations (the signed-in person from the cache); staff, the
# years' line, the year's unit figures, state tallies, level days, 督办 and when it was counted — each
# added up in the database.
QUERIES = SESSION_QUERIES + 1 + 7


def test_the_page_says_when_overdue_cases_were_counted(client, p, media):
    OverdueCount.objects.all().delete()  # a portal that never ran the daily job (the demo loader runs it)
    client.force_login(p.hn_clerk)
    assert "督办为等待超过督办时限的申报件数，尚未统计" in text_of(client.get(URL))
    summary.overdue_refresh(now=timezone.make_aware(datetime(2026, 12, 7, 3, 30)))
    assert "统计于2026-12-07 03:30（每日更新）" in text_of(client.get(URL))


def test_odd_numbers_in_the_query_string_give_the_top_level(client, p):
    client.force_login(p.hn_clerk)
    for odd in ("²", "-1", "1e3", "99999999999999999999", "2025x"):
        assert client.get(URL, {"org": odd, "year": odd}).status_code == 200
    # Full-width digits are digits: 长沙's id typed on a Chinese keyboard opens 长沙.
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in str(p.cs.pk))
    assert "长沙市 ·" in text_of(client.get(URL, {"org": full_width}))


def test_administering_a_bureau_as_a_unit_opens_no_area(client, p):
    """湖南省自然资源厅's administrator who also administers 长沙's bureau as a unit still starts at the
    department; 长沙's area is not theirs to open."""
    RoleGrant.objects.create(user=p.zrzy_admin, role=Role.UNIT_ADMIN, organisation=p.cs)
    client.force_login(p.zrzy_admin)
    assert client.get(URL).context["stats"].node.label == "湖南省自然资源厅"
    assert client.get(URL, {"org": p.cs.pk}).status_code == 404
