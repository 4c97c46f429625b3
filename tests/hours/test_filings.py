"""Unit training filings: the same review machinery as declarations, one level deep; rosters feed
attendees' declarations."""
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from hours import filings, selectors, services
from hours.models import TrainingRecord
from hours import transitions
from workflow.runner import WorkflowError
from workflow.models import State
from hours.models import FilingStep
from accounts.models import Role
from workflow.models import Notification
from tests.helpers import make_staff, make_unit
from tests.hours.fixtures_views import *  # noqa: F401,F403
from tests.hours.fixtures_views import draft, frozen_now, pdf

pytestmark = pytest.mark.django_db


def filing_data(**overrides):
    today = timezone.localdate()
    data = {
        "year": today.year, "name": "地质勘查新技术专题培训", "training_type": "class", "course_type": "professional",
        "hours": Decimal("24"), "days": Decimal("3"), "planned_start": today - timedelta(days=3), "planned_end": today - timedelta(days=1),
    }
    data.update(overrides)
    return data


def new_filing(p, **overrides):
    return filings.filing_create(user=p.chen, organisation=p.dzyjs, data=filing_data(**overrides), notice=pdf("通知.pdf"), schedule=pdf("课程表.pdf"))


def roster(text, name="名单.csv"):
    return SimpleUploadedFile(name, ("\ufeff" + text).encode("utf-8"))


def test_professional_filing_goes_to_the_supervising_department_and_is_recorded(p, media):
    f = transitions.filing_submit(filing=new_filing(p), user=p.chen)
    assert (f.state, f.current_org) == (State.SUPERIOR_REVIEW, p.zrzy)  # the department, not the superior unit
    f = transitions.filing_approve(filing=f, user=p.zrzy_admin, opinion="同意备案")
    assert f.state == State.APPROVED
    assert [(s.action, s.from_state, s.to_state) for s in FilingStep.objects.filter(filing=f)] == [
        ("submit", "draft", "superior_review"), ("approve", "superior_review", "approved"),
    ]


def test_public_filing_goes_to_the_bureau(p, media):
    f = transitions.filing_submit(filing=new_filing(p, course_type="public", name="公需科目专题培训"), user=p.chen)
    assert (f.state, f.current_org) == (State.BUREAU_REVIEW, p.hn)
    with pytest.raises(WorkflowError) as caught:
        transitions.filing_approve(filing=f, user=p.cs_clerk)
    assert caught.value.code == "forbidden"
    assert transitions.filing_approve(filing=f, user=p.hn_clerk).state == State.APPROVED


def test_reject_with_reason_then_edit_and_resubmit(p, media):
    f = transitions.filing_submit(filing=new_filing(p), user=p.chen)
    with pytest.raises(WorkflowError):
        transitions.filing_reject(filing=f, user=p.zrzy_admin, reason=" ")
    f = transitions.filing_reject(filing=f, user=p.zrzy_admin, reason="课程表不完整")
    assert (f.state, f.rejection_reason) == (State.REJECTED, "课程表不完整")
    f = filings.filing_update(filing=f, user=p.chen, data=filing_data(hours=Decimal("20")), schedule=pdf("新课程表.pdf"))
    assert f.hours == Decimal("20")
    assert transitions.filing_submit(filing=f, user=p.chen).state == State.SUPERIOR_REVIEW


def test_who_may_act(p, media):
    with pytest.raises(PermissionDenied):
        filings.filing_create(user=p.dzcl_admin, organisation=p.dzyjs, data=filing_data(), notice=pdf(), schedule=pdf())
    f = new_filing(p)
    with pytest.raises(WorkflowError):
        transitions.filing_submit(filing=f, user=p.dzcl_admin)
    f = transitions.filing_submit(filing=f, user=p.chen)
    for outsider in (p.dzy_admin, p.hn_clerk, p.chen):
        with pytest.raises(WorkflowError):
            transitions.filing_approve(filing=f, user=outsider)
    with pytest.raises(ValidationError):
        filings.filing_update(filing=f, user=p.chen, data=filing_data())
    with pytest.raises(WorkflowError):
        transitions.filing_submit(filing=f, user=p.chen)
    assert transitions.filing_withdraw(filing=f, user=p.chen).state == State.DRAFT
    with pytest.raises(ValidationError):
        filings.filing_delete(filing=f, user=p.chen)  # once submitted, its steps stay


def test_bad_dates_and_disguised_files_are_refused(p, media):
    with pytest.raises(ValidationError):
        new_filing(p, planned_end=timezone.localdate() - timedelta(days=10))
    with pytest.raises(ValidationError):
        filings.filing_create(
            user=p.chen, organisation=p.dzyjs, data=filing_data(), notice=SimpleUploadedFile("通知.pdf", b"MZ" + b"\0" * 100),
            schedule=pdf(),
        )


def test_roster_rows_are_checked_by_line_and_good_rows_kept(p, media):
    f = transitions.filing_approve(filing=transitions.filing_submit(filing=new_filing(p), user=p.chen), user=p.zrzy_admin)
    text = (
        "证件号码,姓名,学时\n"
        f"{p.song.id_number},宋庆涛,24\n"
        f"{p.zhao.id_number},赵金强,30\n"          # above the filed hours
        "430121199901011234,查无此人,8\n"           # invalid check digit
        f"{p.li.id_number},李雪梅,16\n"
        f"{p.song.id_number},宋庆涛,24\n"          # duplicate of line 2
        f"{p.wang.id_number},王某,8\n"             # name does not match
    )
    report = filings.filing_roster_upload(filing=f, user=p.chen, upload=roster(text))
    assert report.created == 2
    assert [line for line, _ in report.errors] == [3, 4, 6, 7]
    assert "不超过备案学时24.0" in dict(report.errors)[3]
    assert "与第2行重复" in dict(report.errors)[6]
    again = filings.filing_roster_upload(filing=f, user=p.chen, upload=roster(f"证件号码,姓名,学时\n{p.song.id_number},宋庆涛,24\n"))
    assert again.created == 0 and "已在名单中" in again.errors[0][1]


def test_roster_only_after_approval_and_the_training(p, media):
    f = new_filing(p)
    with pytest.raises(ValidationError):
        filings.filing_roster_upload(filing=f, user=p.chen, upload=roster("证件号码,姓名,学时\n"))
    later = timezone.localdate() + timedelta(days=5)
    g = transitions.filing_approve(
        filing=transitions.filing_submit(filing=new_filing(p, name="未来培训", planned_start=later, planned_end=later), user=p.chen),
        user=p.zrzy_admin,
    )
    with pytest.raises(ValidationError) as caught:
        filings.filing_roster_upload(filing=g, user=p.chen, upload=roster("证件号码,姓名,学时\n"))
    assert "尚未举办" in caught.value.messages[0]


def test_attendee_sees_only_own_records_and_claims_once(p, media):
    f = transitions.filing_approve(filing=transitions.filing_submit(filing=new_filing(p), user=p.chen), user=p.zrzy_admin)
    filings.filing_roster_upload(
        filing=f, user=p.chen,
        upload=roster(f"证件号码,姓名,学时\n{p.song.id_number},宋庆涛,24\n{p.li.id_number},李雪梅,16\n"),
    )
    d = draft(p.song, start_year=f.year, end_year=f.year)
    record = services.year_record_add(declaration=d, user=p.song, year=f.year)
    open_records = selectors.declaration_workspace(d)["years"][0]["training_records"]
    assert [(r.name, r.hours, r.filing_id) for r in open_records] == [("宋庆涛", Decimal("24.0"), f.pk)]
    (item,) = services.training_records_claim(year_record=record, user=p.song, record_ids=[open_records[0].pk])
    assert (item.source, item.professional_hours) == ("unit_filing", Decimal("24.0"))
    assert selectors.declaration_workspace(d)["years"][0]["items"][0]["missing"] == []  # no further evidence
    theirs = TrainingRecord.objects.get(id_number=p.li.id_number)
    with pytest.raises(ValidationError):
        services.training_records_claim(year_record=record, user=p.song, record_ids=[theirs.pk])
    with pytest.raises(ValidationError):
        services.training_records_claim(year_record=record, user=p.song, record_ids=[open_records[0].pk])


def submitted(p):
    return transitions.filing_submit(filing=new_filing(p), user=p.chen)


REFUSALS = {
    "submit, by another unit's administrator": (
        lambda p: transitions.filing_submit(filing=new_filing(p), user=p.dzcl_admin), "只有举办单位的管理员可以提交备案。", "forbidden",
    ),
    "withdraw, by another unit's administrator": (
        lambda p: transitions.filing_withdraw(filing=submitted(p), user=p.dzcl_admin), "只有举办单位的管理员可以撤销备案。", "forbidden",
    ),
    "submit, once submitted": (
        lambda p: transitions.filing_submit(filing=submitted(p), user=p.chen), "该备案当前为“待上级单位审核”，不能提交。", "wrong_state",
    ),
    "withdraw, a draft": (
        lambda p: transitions.filing_withdraw(filing=new_filing(p), user=p.chen), "该备案当前为“待提交”，不能撤销。", "wrong_state",
    ),
    "approve, once approved": (
        lambda p: transitions.filing_approve(filing=transitions.filing_approve(filing=submitted(p), user=p.zrzy_admin), user=p.zrzy_admin),
        "该备案当前为“审核通过”，不能审核。", "wrong_state",
    ),
    "reject, a draft": (
        lambda p: transitions.filing_reject(filing=new_filing(p), user=p.zrzy_admin, reason="课程表不完整"),
        "该备案当前为“待提交”，不能审核。", "wrong_state",
    ),
    "approve, at another level": (
        lambda p: transitions.filing_approve(filing=submitted(p), user=p.hn_clerk), "该备案不在您的审核范围内。", "forbidden",
    ),
    "reject, without a reason": (
        lambda p: transitions.filing_reject(filing=submitted(p), user=p.zrzy_admin, reason="  "), "审核不通过时必须填写原因。", "reason_required",
    ),
}


@pytest.mark.parametrize("attempt, message, code", REFUSALS.values(), ids=REFUSALS.keys())
def test_each_refusal_says_why_with_its_code(p, media, attempt, message, code):
    with pytest.raises(WorkflowError) as caught:
        attempt(p)
    assert (caught.value.message, caught.value.code) == (message, code)


def audit(filing):
    return [
        (s.action, s.from_state, s.to_state, s.actor, s.actor_role, s.organisation, s.next_org, s.opinion, s.ip_address)
        for s in FilingStep.objects.filter(filing=filing).order_by("id")  # in the order taken (a frozen clock may say otherwise)
    ]


def test_submit_and_withdraw_are_recorded_as_the_unit_administrators_at_the_unit(p, media):
    f = transitions.filing_submit(filing=new_filing(p), user=p.chen, ip="10.0.0.1")
    transitions.filing_withdraw(filing=f, user=p.chen, ip="10.0.0.2")
    assert audit(f) == [
        ("submit", "draft", "superior_review", p.chen, "unit_admin", p.dzyjs, p.zrzy, "", "10.0.0.1"),
        ("withdraw", "superior_review", "draft", p.chen, "unit_admin", p.dzyjs, None, "", "10.0.0.2"),
    ]


@pytest.fixture
def chen_has_email(p, settings):
    """Copies outside the portal would go to the filer by e-mail, were they sent."""
    settings.NOTIFY_CHANNELS = ["portal", "email"]
    p.chen.email = "chen@example.cn"
    p.chen.save(update_fields=["email"])


def notices(user):
    return [(n.title, n.body, n.subject) for n in Notification.objects.filter(user=user)]


DECISIONS = {
    "approve": (
        lambda f, p: transitions.filing_approve(filing=f, user=p.zrzy_admin, opinion=" 同意备案 ", ip="10.0.0.3"),
        (State.APPROVED, ""),
        ("approve", "superior_review", "approved", "同意备案", "10.0.0.3"),
        ("培训备案“地质勘查新技术专题培训”已备案", "湖南省自然资源厅已同意“地质勘查新技术专题培训”备案，培训结束后请上传参训人员名单。"),
    ),
    "reject": (
        lambda f, p: transitions.filing_reject(filing=f, user=p.zrzy_admin, reason=" 课程表不完整 ", ip="10.0.0.4"),
        (State.REJECTED, "课程表不完整"),
        ("reject", "superior_review", "rejected", "课程表不完整", "10.0.0.4"),
        ("培训备案“地质勘查新技术专题培训”未通过", "湖南省自然资源厅退回了“地质勘查新技术专题培训”的备案，原因：课程表不完整。请修改后重新提交。"),
    ),
}


@pytest.mark.parametrize("decide, outcome, step, notice", DECISIONS.values(), ids=DECISIONS.keys())
def test_a_decision_is_recorded_at_the_department_and_the_filer_told_in_the_portal_only(
    p, media, chen_has_email, django_capture_on_commit_callbacks, decide, outcome, step, notice,
):
    f = submitted(p)
    with frozen_now(datetime(2024, 6, 3, 9, 30)) as moment, django_capture_on_commit_callbacks(execute=True):
        f = decide(f, p)
    f.refresh_from_db()
    assert (f.state, f.rejection_reason, f.current_org, f.decided_at) == (*outcome, None, moment)
    action, from_state, to_state, opinion, ip = step
    assert audit(f)[1:] == [(action, from_state, to_state, p.zrzy_admin, "dept_admin", p.zrzy, None, opinion, ip)]
    assert notices(p.chen) == [(*notice, f)]
    assert mail.outbox == []  # a unit's filer is told in the portal only, though an address is on file


def test_a_public_filing_approved_without_an_opinion_is_recorded_at_the_bureau_with_none(p, media):
    f = transitions.filing_submit(filing=new_filing(p, course_type="public"), user=p.chen)
    f = transitions.filing_approve(filing=f, user=p.hn_clerk)
    assert audit(f)[1:] == [("approve", "bureau_review", "approved", p.hn_clerk, "bureau_clerk", p.hn, None, "", None)]


def test_a_professional_filing_of_a_unit_with_no_department_above_goes_to_its_superior_unit(p, demo, media):
    parent = demo.org("长沙智造科技有限公司")  # a unit with no supervising department
    branch = make_unit(name="长沙智造科技有限公司株洲分公司", parent=parent)
    admin = make_staff(username="zzfgs_admin", role=Role.UNIT_ADMIN, organisation=branch)
    f = filings.filing_create(user=admin, organisation=branch, data=filing_data(), notice=pdf("通知.pdf"), schedule=pdf("课程表.pdf"))
    f = transitions.filing_submit(filing=f, user=admin)
    assert (f.state, f.current_org) == (State.SUPERIOR_REVIEW, parent)
