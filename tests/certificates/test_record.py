"""学时档案 (certificates:record): each year's figures agree with a recount from the raw rows after
submissions, approvals and rejections; only the signed-in person's own years; a short, a met, a
pending and an undeclared year with an unticked training record; a fixed number of queries
whether the record holds one year or ten; ?year= presets a new declaration's span."""
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from certificates import records
from hours import rules
from hours.models import Declaration, ItemSource, TrainingRecord, YearRecord
from hours.policies import policy_for, reference_rule_set
from hours.transitions import declaration_reject, declaration_submit
from tests.certificates.conftest import FULL_YEAR
from tests.helpers import SESSION_QUERIES, assert_database_query_count
from tests.hours.fixtures_views import complete, draft, row_of, year_with_training
from workflow.models import PENDING_STATES, State

pytestmark = pytest.mark.django_db

THIS_YEAR = timezone.localdate().year
SHORT_YEAR = (("public", 4, 0), ("professional", 5, 0))  # 32 public, 40 professional: 20 professional short


def unticked(person, year, hours, title="公需科目网络培训"):
    return TrainingRecord.objects.create(
        source=ItemSource.PLATFORM, id_number=person.id_number, name=person.name, year=year, title=title,
        subject="public", hours=Decimal(hours),
    )


def pending(person, year):
    """A declaration of `year` waiting at the person's unit (one 16-hour public training)."""
    d = draft(person, start_year=year, end_year=year)
    year_with_training(d, person)
    return declaration_submit(declaration=complete(d), user=person, pledge=True)


def rejected(p, person, year):
    d = pending(person, year)
    return declaration_reject(declaration=d, user=p.chen, reason="佐证材料不清晰")


def recount(person, year):
    """A year's figures from the declarations' own year records, as the certificate counts them."""
    rows = YearRecord.objects.filter(declaration__applicant=person, year=year).select_related("declaration__rule_set")
    approved = [r for r in rows if r.declaration.state == State.APPROVED]
    waiting = [r for r in rows if r.declaration.state in PENDING_STATES]
    counting = max(approved, key=lambda r: (r.declaration.decided_at, r.declaration_id), default=None)
    latest_pending = max(waiting, key=lambda r: r.declaration_id, default=None)
    measure = counting or latest_pending
    policy = policy_for(measure.declaration.rule_set if measure else reference_rule_set())
    public = counting.public_hours if counting else Decimal(0)
    professional = counting.professional_hours if counting else Decimal(0)
    check = rules.year_check(policy, public, professional)
    training = TrainingRecord.objects.filter(id_number=person.id_number, year=year, item__isnull=True)
    return {
        "approved": (public, professional, public + professional),
        "pending": (latest_pending.public_hours, latest_pending.professional_hours) if latest_pending else (0, 0),
        "required": (check.required.public, check.required.professional, check.required.total),
        "met": check.compliant,
        "approved_by": counting.declaration_id if counting else None,
        "pending_in": latest_pending.declaration_id if latest_pending else None,
        "training": (training.count(), sum((t.hours for t in training), Decimal(0))),
    }


def shown(row):
    return {
        "approved": (row.approved.public, row.approved.professional, row.approved.total),
        "pending": (row.pending.public, row.pending.professional),
        "required": (row.required.public, row.required.professional, row.required.total),
        "met": row.met,
        "approved_by": row.approved_declaration.pk if row.approved_declaration else None,
        "pending_in": row.pending_declaration.pk if row.pending_declaration else None,
        "training": (row.training_count, row.training_hours),
    }


@pytest.fixture
def history(p, approve, issue):
    """宋庆涛: 2019–2021 approved and met, then 2020 approved again short; 2022 approved short of
    professional hours; 2023 pending; 2021 rejected on a second declaration; a 2017 training record
    not yet ticked in (his first year) and one of 2024; his 2019–2022 certificate."""
    approve(p.song, {2019: FULL_YEAR, 2020: FULL_YEAR, 2021: FULL_YEAR}, 2019, 2021)
    approve(p.song, {2022: SHORT_YEAR}, 2022, 2022)
    approve(p.song, {2020: SHORT_YEAR}, 2020, 2020)
    rejected(p, p.song, 2021)
    waiting = pending(p.song, 2023)
    unticked(p.song, 2017, "12.5")
    unticked(p.song, 2024, "8")
    unticked(p.song, 2024, "6", title="专业科目网络培训")
    certificate, _ = issue(p.song, 2019, 2022)
    return {"pending": waiting, "certificate": certificate}


def test_every_year_agrees_with_a_recount_from_the_raw_rows(p, history):
    record = records.applicant_record(applicant=p.song)
    assert [r.year for r in record.rows] == list(range(THIS_YEAR, 2016, -1))
    for row in record.rows:
        assert shown(row) == recount(p.song, row.year), row.year


def test_a_met_a_short_a_pending_and_an_undeclared_year(client, p, history):
    by_year = {r.year: r for r in records.applicant_record(applicant=p.song).rows}
    assert by_year[2019].met and by_year[2021].met
    assert not by_year[2020].met  # approved again, short: the declaration approved last counts
    assert by_year[2022].shortfall == rules.Totals(Decimal(0), Decimal(20), Decimal(18))
    assert by_year[2023].pending_declaration == history["pending"] and by_year[2023].approved_declaration is None
    assert by_year[2024].training_count == 2 and by_year[2024].training_hours == Decimal(14) and not by_year[2024].declared
    assert [c.number for c in by_year[2022].certificates] == [history["certificate"].number]
    assert by_year[2023].certificates == []

    client.force_login(p.song)
    response = client.get(reverse("certificates:record"))
    assert response.status_code == 200
    row = row_of(response, "<strong>2019</strong>")
    assert "已达标" in row and history["certificate"].number in row
    row = row_of(response, "<strong>2022</strong>")
    assert "短缺</span>" in row and "<span>专业20学时</span>" in row and "<span>公需" not in row
    assert f'href="{reverse("certificates:download", args=[history["certificate"].number])}"' in row
    row = row_of(response, "<strong>2023</strong>")
    assert history["pending"].business_no in row and "审核中" in row
    assert f'href="{reverse("hours:declaration_detail", args=[history["pending"].pk])}"' in row
    assert "申报该年度" not in row  # one is under review already
    row = row_of(response, "<strong>2024</strong>")
    assert "2条，14学时" in row and "未申报" in row and "<span>公需30学时</span><span>专业60学时</span>" in row
    assert f'{reverse("hours:declaration_new")}?year=2024' in row
    html = response.content.decode()
    start, end = THIS_YEAR - 5, THIS_YEAR - 1
    assert f"{reverse('certificates:print')}?start_year={start}&amp;end_year={end}" in html
    assert f"{reverse('hours:declaration_new')}?year={THIS_YEAR}" in html


def test_the_record_is_the_signed_in_persons_own(client, p, history):
    """陈立新 administers 宋庆涛's unit and is an applicant himself: his record is his own (nothing of
    宋庆涛's); a unit administrator who is not an applicant has none."""
    client.force_login(p.chen)
    response = client.get(reverse("certificates:record"))
    assert response.status_code == 200
    html = response.content.decode()
    assert history["pending"].business_no not in html and history["certificate"].number not in html
    assert list(response.context["page"].object_list)[0].year == THIS_YEAR
    assert len(response.context["page"].object_list) == 1  # nothing declared: this year alone
    for declaration in Declaration.objects.filter(applicant=p.song):
        assert declaration.business_no not in html
    # A query string naming someone else is not read.
    assert client.get(reverse("certificates:record"), {"person": p.song.pk}).content.decode().count("<tr>") == 1 + 1
    client.force_login(p.dzcl_admin)
    assert client.get(reverse("certificates:record")).status_code == 403


def test_a_fixed_number_of_queries_for_one_year_or_ten(client, p, approve, issue):
    url = reverse("certificates:record")
    client.force_login(p.zhao)  # nothing yet: this year alone
    with assert_database_query_count(QUERIES + SESSION_QUERIES):
        response = client.get(url)
    assert len(response.context["page"].object_list) == 1

    approve(p.zhao, {2017: FULL_YEAR, 2018: SHORT_YEAR, 2019: FULL_YEAR}, 2017, 2019)
    pending(p.zhao, 2021)
    unticked(p.zhao, 2020, "10")
    issue(p.zhao, 2017, 2019)
    client.force_login(p.zhao)
    with assert_database_query_count(QUERIES + SESSION_QUERIES):
        response = client.get(url)
    assert len(response.context["page"].object_list) == THIS_YEAR - 2017 + 1 >= 10


# The user and their role grants, then the record: PersonYear with the declarations, the unticked
# training records by year, the current certificates, the reference rule set.
QUERIES = 6


def test_year_presets_the_new_declarations_span(client, p):
    client.force_login(p.song)
    form = client.get(reverse("hours:declaration_new"), {"year": "2021"}).context["form"]
    assert (form.initial["start_year"], form.initial["end_year"]) == (2021, 2021)
    for ignored in ("1999", str(THIS_YEAR + 1), "abc", "-1"):
        form = client.get(reverse("hours:declaration_new"), {"year": ignored}).context["form"]
        assert form.initial["start_year"] == form.initial["end_year"] == THIS_YEAR - 1
