"""撤销认定 (hours.transitions.declaration_revoke, review:case_revoke): the revoked years' hours
leave the 学时档案, the staff ledger and 查询统计 exactly, the summary equals a recount; only the
approving bureau or one above may revoke; the case page offers it with a confirmation, and a second
POST revokes nothing more; the applicant and the reviewers who approved are told.
(The certificates' side: tests/certificates/test_revocation.py.)"""
from datetime import datetime, timezone
from decimal import Decimal

import pytest
from django.db.models.signals import post_save
from django.urls import reverse

from accounts.models import Role
from hours import services, transitions
from hours.models import ItemSource, PersonYear, Revocation, ReviewStep, TrainingRecord
from tests.helpers import another_browser, hidden_fields, text_of
from tests.hours.fixtures_views import (  # noqa: F401
    add_item, complete, draft, frozen_now, media, messages_of, p, year_with_training,
)
from tests.hours.test_summary import assert_agrees
from tests.review.test_statistics import assert_page_agrees
from workflow.models import Action, Notification, State
from workflow.runner import WorkflowError

pytestmark = pytest.mark.django_db

# Each year: 2 days of public training (16 h); 2020 has one more day (8 h more).
YEARS = (2019, 2020, 2021)


def approved_span(p, applicant, reviewers, start=2019, end=2021):
    d = draft(applicant, start_year=start, end_year=end)
    for year in range(start, end + 1):
        record, _ = year_with_training(d, applicant, year=year)
        if year == 2020:
            add_item(d, applicant, record, facts={"subject": "public", "days": 1, "half_days": 0, "title": "加一天"})
    d = transitions.declaration_submit(declaration=complete(d), user=applicant, pledge=True)
    for reviewer, next_org in reviewers:
        d = transitions.declaration_approve(declaration=d, user=reviewer, next_org=next_org, opinion="同意")
    assert d.state == State.APPROVED
    return d


@pytest.fixture
def song(p, media):
    """宋庆涛's 2019–2021, approved by 湖南省地质研究所 → 湖南省地质院 → the province bureau."""
    return approved_span(p, p.song, [(p.chen, p.dzy), (p.dzy_admin, p.hn), (p.hn_clerk, None)])


def revoke(p, declaration, years, user=None):
    return transitions.declaration_revoke(
        declaration=declaration, user=user or p.hn_clerk, years=years, reason="false_materials", reason_text="结业证书系伪造",
    )


def record_years(client, person):
    client.force_login(person)
    response = client.get(reverse("certificates:record"))
    return {row.year: row.approved.total for row in response.context["record"].rows}


def ledger_total(client, admin, person, year):
    client.force_login(admin)
    response = client.get("/hours/staff/", {"start_year": year})
    return {row.name: row.total for row in response.context["page"].object_list}[person.name]


def test_revoking_one_year_removes_exactly_its_hours_everywhere(client, p, song):
    before = record_years(client, p.song)
    assert (before[2020], before[2021]) == (Decimal(24), Decimal(16))
    assert ledger_total(client, p.chen, p.song, 2021) == 16
    revocation = revoke(p, song, [2021])
    after = record_years(client, p.song)
    assert after[2021] == 0 and after[2019] == before[2019] and after[2020] == before[2020]
    assert not PersonYear.objects.filter(person=p.song, year=2021).exists()  # nothing else covers it
    assert PersonYear.objects.get(person=p.song, year=2020).approved_id == song.pk
    assert ledger_total(client, p.chen, p.song, 2021) == 0
    assert ledger_total(client, p.chen, p.song, 2020) == 24
    assert_agrees()
    for year in YEARS:
        assert_page_agrees(client, p.hn_clerk, None, year)
    assert revocation.years == [2021] and revocation.organisation == p.hn
    assert list(song.year_records.filter(revocation__isnull=False).values_list("year", flat=True)) == [2021]
    # The rest of the declaration, then: nothing of it counts, and it stays approved in the workflow.
    revoke(p, song, [2019, 2020])
    assert not PersonYear.objects.filter(person=p.song, year__in=YEARS).exists()
    song.refresh_from_db()
    assert song.state == State.APPROVED
    assert_agrees()


def test_an_earlier_approval_of_the_year_counts_again(p, song, media):
    later = approved_span(p, p.song, [(p.chen, p.dzy), (p.dzy_admin, p.hn), (p.hn_clerk, None)], 2021, 2021)
    assert PersonYear.objects.get(person=p.song, year=2021).approved_id == later.pk
    revoke(p, later, [2021])
    assert PersonYear.objects.get(person=p.song, year=2021).approved_id == song.pk
    assert_agrees()


def test_only_the_approving_bureau_or_one_above_may_revoke(p, media, demo):
    sun = demo.user(next(x["id_number"] for x in demo.data["people"] if x["name"] == "孙浩"))  # 长沙 city bureau's area
    city = approved_span(p, sun, [(demo.user("cszz_admin"), p.cs), (p.cs_clerk, None)], 2021, 2021)
    zz_clerk = demo.user("zz_clerk")
    with pytest.raises(WorkflowError) as refused:
        revoke(p, city, [2021], user=zz_clerk)  # another city's bureau
    assert refused.value.code == "forbidden"
    assert revoke(p, city, [2021], user=p.hn_clerk).organisation == p.hn  # the province, above 长沙
    song_case = approved_span(p, p.song, [(p.chen, p.dzy), (p.dzy_admin, p.hn), (p.hn_clerk, None)], 2020, 2020)
    with pytest.raises(WorkflowError) as refused:
        revoke(p, song_case, [2020], user=p.cs_clerk)  # a city below the province that approved it
    assert refused.value.code == "forbidden"
    with pytest.raises(WorkflowError) as refused:
        revoke(p, song_case, [2020], user=p.chen)
    assert refused.value.code == "forbidden"
    assert Revocation.objects.count() == 1


def test_a_declaration_not_approved_cannot_be_revoked(p, media):
    d = draft(p.song, start_year=2019, end_year=2019)
    year_with_training(d, p.song)
    d = transitions.declaration_submit(declaration=complete(d), user=p.song, pledge=True)
    with pytest.raises(WorkflowError) as refused:
        revoke(p, d, [2019])
    assert (refused.value.message, refused.value.code) == ("该申报当前为“待单位审核”，不能撤销认定。", "wrong_state")


def test_a_ticked_in_record_is_marked_changed_when_approved_and_when_revoked(p, media):
    """A platform polling its records with updated_since finds the approval and the revocation."""
    d = draft(p.song, start_year=2019, end_year=2019)
    record, _ = year_with_training(d, p.song, year=2019)
    pushed = TrainingRecord.objects.create(
        source=ItemSource.PLATFORM, id_number=p.song.id_number, name=p.song.name, year=2019,
        title="2019年公需科目在线学习", subject="public", hours=Decimal("10"), external_id="R-2019",
    )
    services.training_records_claim(year_record=record, user=p.song, record_ids=[pushed.pk])
    d = transitions.declaration_submit(declaration=complete(d), user=p.song, pledge=True)
    d = transitions.declaration_approve(declaration=d, user=p.chen, next_org=p.dzy)
    d = transitions.declaration_approve(declaration=d, user=p.dzy_admin, next_org=p.hn)
    with frozen_now(datetime(2024, 3, 1, 9, 30)) as approved_at:
        d = transitions.declaration_approve(declaration=d, user=p.hn_clerk, opinion="同意")
    assert TrainingRecord.objects.get(pk=pushed.pk).updated_at == approved_at
    with frozen_now(datetime(2024, 5, 6, 14, 0)) as revoked_at:
        revoke(p, d, [2019])
    assert TrainingRecord.objects.get(pk=pushed.pk).updated_at == revoked_at


def test_a_revocation_records_marks_audits_recounts_and_tells_the_applicant_and_the_approvers(p, song):
    records = {r.year: r for r in song.year_records.all()}
    old = datetime(2024, 1, 1, tzinfo=timezone.utc)
    pushed = {
        year: TrainingRecord.objects.create(
            source=ItemSource.TRAINING_BASE, id_number=p.song.id_number, name=p.song.name, year=year, title="培训",
            subject="public", hours=16, item=records[year].items.first(), updated_at=old,
        )
        for year in (2020, 2021)
    }
    # Synthetic history may record an approval by the applicant (a unit's only administrator):
    # they are told once, as the applicant.
    song.steps.create(action=Action.APPROVE, from_state=State.UNIT_REVIEW, to_state=State.BUREAU_REVIEW, actor=p.song)
    revocation = transitions.declaration_revoke(
        declaration=song, user=p.hn_clerk, years=[2021, 2019, 2021], reason="review_error", reason_text="  重复计入  ",
        ip="10.1.2.3",
    )
    revocation.refresh_from_db()
    assert (revocation.declaration, revocation.years, revocation.reason, revocation.reason_text, revocation.actor,
            revocation.organisation) == (song, [2019, 2021], "review_error", "重复计入", p.hn_clerk, p.hn)
    assert sorted(song.year_records.filter(revocation=revocation).values_list("year", flat=True)) == [2019, 2021]
    assert not song.year_records.filter(revocation__isnull=False).exclude(revocation=revocation).exists()
    # A platform polling updated_since sees the revoked year's record changed, not the other's.
    pushed[2020].refresh_from_db()
    pushed[2021].refresh_from_db()
    assert pushed[2020].updated_at == old and pushed[2021].updated_at > old
    step = ReviewStep.objects.get(declaration=song, action=Action.REVOKE)
    assert (step.from_state, step.to_state, step.actor, step.actor_role, step.organisation, step.next_org, step.opinion,
            step.details, step.ip_address) == (
        State.APPROVED, State.APPROVED, p.hn_clerk, Role.BUREAU_CLERK, p.hn, None, "撤销2019、2021年度认定（审核错误）：重复计入",
        {"revocation": revocation.pk, "years": [2019, 2021], "reason": "review_error"}, "10.1.2.3",
    )
    assert sorted(PersonYear.objects.filter(person=p.song).values_list("year", "approved_id")) == [(2020, song.pk)]
    what = f"学时核认申报{song.business_no}（宋庆涛，2019–2021年度）的2019、2021年度学时认定"
    told = Notification.objects.filter(title__contains="撤销认定").order_by("pk")
    assert [(n.user, n.subject, n.title, n.body) for n in told] == [
        (p.song, song, f"学时核认申报{song.business_no}撤销认定",
         f"您的{what}已由湖南省人力资源和社会保障厅撤销，原因：审核错误，重复计入。这些年度的学时不再计入，"
         "载有这些学时的学时认定单（如已出具）同时撤销；如有异议请联系该人社部门，也可重新申报这些年度。"),
        (p.dzy_admin, song, f"学时核认申报{song.business_no}撤销认定", f"您审核通过的{what}已由湖南省人力资源和社会保障厅撤销，原因：审核错误。"),
        (p.chen, song, f"学时核认申报{song.business_no}撤销认定", f"您审核通过的{what}已由湖南省人力资源和社会保障厅撤销，原因：审核错误。"),
    ]


@pytest.fixture
def rival(p, song):
    """Another clerk's revocation of 2021 that lands after this one read the year records and before
    it marks them (where row locks do nothing, SQLite)."""
    theirs = Revocation.objects.create(
        declaration=song, years=[2021], reason="duplicate", reason_text="另一经办人", actor=p.hn_clerk, organisation=p.hn,
    )

    def lands(sender, instance, created, **kwargs):
        if instance.pk != theirs.pk:
            song.year_records.filter(year=2021).update(revocation=theirs)

    post_save.connect(lands, sender=Revocation, dispatch_uid="rival")
    yield theirs
    post_save.disconnect(sender=Revocation, dispatch_uid="rival")


@pytest.mark.parametrize(
    "clerk, years, earlier, race, message, code",
    [
        ("cs_clerk", [2021], [], False, "只有审批该申报的人社部门或其上级人社部门的经办人可以撤销认定。", "forbidden"),
        ("hn_clerk", [2022, 2021, 2018], [], False, "该申报不含2018、2022年度。", "bad_year"),
        ("hn_clerk", [2021, 2020, 2019], [2019, 2020], False, "2019、2020年度的认定已经撤销，无需再次撤销。", "already_revoked"),
        ("hn_clerk", [2021], [], True, "该申报已被他人处理，请刷新后查看最新状态。", "stale"),
    ],
    ids=["forbidden", "bad-year", "already-revoked", "stale"],
)
def test_a_refused_revocation_says_why_and_changes_nothing(request, p, song, clerk, years, earlier, race, message, code):
    if earlier:
        revoke(p, song, earlier)
    if race:
        request.getfixturevalue("rival")

    def now():
        return (
            list(Revocation.objects.values_list("pk", flat=True)),
            sorted(song.year_records.values_list("year", "revocation_id")),
            list(ReviewStep.objects.filter(declaration=song, action=Action.REVOKE).values_list("pk", flat=True)),
            list(Notification.objects.values_list("pk", flat=True)),
            sorted(PersonYear.objects.filter(person=p.song).values_list("year", "approved_id")),
        )

    before = now()
    with pytest.raises(WorkflowError) as refused:
        revoke(p, song, years, user=getattr(p, clerk))
    assert (refused.value.message, refused.value.code, str(refused.value)) == (message, code, message)
    assert now() == before


def test_the_case_page_revokes_after_a_confirmation_once(client, p, song):
    case = reverse("review:case", args=[song.pk])
    url = reverse("review:case_revoke", args=[song.pk])
    client.force_login(p.hn_clerk)
    assert url in client.get(case).content.decode()
    form = client.get(url)
    assert form.status_code == 200 and "仅2021年度" in text_of(form)
    refused = client.post(url, {"scope": "2021", "reason_text": "结业证书系伪造"})
    assert refused.status_code == 400 and "请选择撤销原因类别" in text_of(refused)
    confirm = client.post(url, {"scope": "2021", "reason": "false_materials", "reason_text": "结业证书系伪造"})
    assert confirm.status_code == 200 and "不可恢复" in text_of(confirm) and not Revocation.objects.exists()
    data = hidden_fields(confirm)
    assert data["confirmed"] == "1"
    done = client.post(url, data, follow=True)
    assert any("已撤销申报" in m for m in messages_of(done))
    assert Revocation.objects.count() == 1
    page = text_of(client.get(case))
    assert "已撤销认定" in page and "撤销认定 · 刘晓华" in page.replace("  ", " ")
    # The same confirmation again: from this browser, and from another (the service's own refusal).
    again = client.post(url, data, follow=True)
    assert messages_of(again) and Revocation.objects.count() == 1
    elsewhere = another_browser(p.hn_clerk).post(url, data, follow=True)
    assert any("已经撤销" in m for m in messages_of(elsewhere))
    assert Revocation.objects.count() == 1
    assert ReviewStep.objects.filter(declaration=song, action=Action.REVOKE).count() == 1
    # The applicant's own page shows the revoked year with its reason.
    client.force_login(p.song)
    detail = text_of(client.get(reverse("hours:declaration_detail", args=[song.pk])))
    assert "2021年度的认定已于" in detail and "材料不实" in detail


def test_the_action_is_offered_only_where_it_may_be_taken(client, p, song):
    url = reverse("review:case_revoke", args=[song.pk])
    client.force_login(p.chen)
    assert url not in client.get(reverse("review:case", args=[song.pk])).content.decode()
    assert client.get(url).status_code == 403  # not a bureau clerk
    client.force_login(p.cs_clerk)
    assert client.get(url).status_code == 404  # outside the city's area: not even seen
    revoke(p, song, list(YEARS))
    client.force_login(p.hn_clerk)
    assert url not in client.get(reverse("review:case", args=[song.pk])).content.decode()
    assert client.get(url).status_code == 302  # every year revoked already


@pytest.mark.parametrize(
    "years, reason, reason_text, message, code",
    [
        ([2021], "false_materials", "   ", "请填写撤销原因。", "reason_required"),
        ([2021], "false_materials", None, "请填写撤销原因。", "reason_required"),
        ([2021], "", "结业证书系伪造", "请选择撤销原因类别。", "reason_required"),
        ([2021], "fraud", "结业证书系伪造", "请选择撤销原因类别。", "reason_required"),
        ([], "false_materials", "结业证书系伪造", "请选择要撤销认定的年度。", "years_required"),
    ],
    ids=["blank-text", "no-text", "no-category", "unknown-category", "no-year"],
)
def test_an_incomplete_request_is_refused_with_its_message_and_changes_nothing(p, song, years, reason, reason_text, message, code):
    with pytest.raises(WorkflowError) as refused:
        transitions.declaration_revoke(declaration=song, user=p.hn_clerk, years=years, reason=reason, reason_text=reason_text)
    assert (refused.value.message, refused.value.code, str(refused.value)) == (message, code, message)
    assert not Revocation.objects.exists()
    assert not song.year_records.filter(revocation__isnull=False).exists()
    assert not ReviewStep.objects.filter(declaration=song, action=Action.REVOKE).exists()
    assert not Notification.objects.filter(title__contains="撤销认定").exists()
    assert sorted(PersonYear.objects.filter(person=p.song).values_list("year", "approved_id")) == [
        (2019, song.pk), (2020, song.pk), (2021, song.pk),
    ]
