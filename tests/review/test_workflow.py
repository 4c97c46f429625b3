"""The review workflow (hours/transitions.py) on the demo province: every allowed transition, the
forbidden ones, who may act at each level, and the append-only steps each transition writes.

The chain in the demo province: 湖南省地质研究所 (unit, admin 陈立新) → 湖南省地质院 (superior unit,
dzy_admin) → 湖南省自然资源厅 (first-level department, zrzy_admin) → 湖南省人力资源和社会保障厅
(bureau, hn_clerk). Objects reach a state only through the services."""
import logging
from datetime import date, datetime
from types import SimpleNamespace

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.models import User
from hours import services
from hours.models import Declaration
from workflow.models import Action, Notification, State
from hours.models import ReviewStep
from hours.transitions import declaration_approve, declaration_reject, declaration_submit, declaration_withdraw
from workflow import runner
from workflow.runner import WorkflowError
from tests.helpers import assert_database_query_count
from review import services as review_services
from tests.hours.fixtures_views import complete, frozen_now

PROFILE = {
    "name": "宋庆涛",
    "gender": "男",
    "ethnicity": "土家族",
    "phone": "18899098765",
    "education": "硕士研究生",
    "title_sought": "高级工程师",
    "category": "工程技术",
    "specialty": "地质勘查",
}
TRAINING = {"subject": "public", "days": 2, "half_days": 0}


@pytest.fixture
def p(demo):
    """The people and organisations of the demo province these tests talk about."""
    return SimpleNamespace(
        song=demo.account("applicant"),
        chen=demo.account("applicant_unit_admin"),
        zhao=demo.user("430121198511291051"),  # 赵金强, another applicant of 湖南省地质研究所
        li=demo.user("430121199002171064"),  # 李雪梅, same unit
        wang=demo.user("43012119720808109X"),  # 王建国, 湖南省地质测绘院
        sun=demo.user(next(x["id_number"] for x in demo.data["people"] if x["name"] == "孙浩")),  # 长沙智造科技有限公司
        dzcl_admin=demo.account("unit_admin"),
        dzy_admin=demo.account("unit_and_dept_admin"),
        zrzy_admin=demo.account("dept_admin"),
        jyt_admin=demo.user("jyt_admin"),
        cszz_admin=demo.user("cszz_admin"),
        hn_clerk=demo.account("bureau_clerk"),
        cs_clerk=demo.account("city_bureau_clerk"),
        sysadmin=demo.account("sysadmin"),
        dzyjs=demo.org("湖南省地质研究所"),
        dzy=demo.org("湖南省地质院"),
        zrzy=demo.org("湖南省自然资源厅"),
        dzcl=demo.org("湖南省地质测绘院"),
        jyt=demo.org("湖南省教育厅"),
        cszz=demo.org("长沙智造科技有限公司"),
        hn=demo.org("湖南省人力资源和社会保障厅"),
        cs=demo.org("长沙市人力资源和社会保障局"),
    )


def new_declaration(user, applicant=None, *, profile=PROFILE):
    """A draft for 2019–2023 with one year record and one training item, made through the services."""
    applicant = applicant or user
    declaration = services.declaration_create(
        user=user, applicant=applicant, data={**profile, "name": applicant.name}, start_year=2019, end_year=2023
    )
    record = services.year_record_add(declaration=declaration, user=user, year=2019)
    services.item_add(year_record=record, user=user, activity="training", facts=TRAINING)
    return declaration


def fresh(declaration):
    return Declaration.objects.select_related("current_org").get(pk=declaration.pk)


def snapshot(declaration):
    """Everything a refused transition must leave as it was."""
    row = Declaration.objects.filter(pk=declaration.pk).values(
        "state", "current_org", "submitted_at", "waiting_since", "decided_at", "rejection_reason", "pledged_at",
        "updated_at",
    ).get()
    return row, list(ReviewStep.objects.filter(declaration_id=declaration.pk).values_list("pk", flat=True))


def steps_of(declaration):
    return list(ReviewStep.objects.filter(declaration_id=declaration.pk).select_related("actor", "organisation", "next_org"))


def advance(declaration, p, state):
    """Bring a fresh draft of 宋庆涛's to `state` the way people would, through the services."""
    if state == State.DRAFT:
        return declaration
    declaration = declaration_submit(declaration=complete(declaration), user=p.song, pledge=True)
    if state == State.UNIT_REVIEW:
        return declaration
    if state == State.REJECTED:
        return declaration_reject(declaration=declaration, user=p.chen, reason="缺少培训通知")
    declaration = declaration_approve(declaration=declaration, user=p.chen, next_org=p.dzy)
    if state == State.SUPERIOR_REVIEW:
        return declaration
    declaration = declaration_approve(declaration=declaration, user=p.dzy_admin, next_org=p.hn)
    if state == State.BUREAU_REVIEW:
        return declaration
    return declaration_approve(declaration=declaration, user=p.hn_clerk, opinion="同意")


def refused(code, call, **kwargs):
    with pytest.raises(WorkflowError) as caught:
        call(**kwargs)
    assert caught.value.code == code, caught.value.message
    assert any("\u4e00" <= ch <= "\u9fff" for ch in caught.value.message), "the user sees a Chinese message"
    return caught.value


def refused_unchanged(d, code, call, **kwargs):
    """refused(), and the declaration left exactly as it was."""
    before = snapshot(d)
    error = refused(code, call, declaration=d, **kwargs)
    assert snapshot(d) == before
    return error


# --- allowed transitions, each with its one step ---------------------------------------------------


def test_full_path_through_every_level_writes_one_step_per_transition(p):
    d = new_declaration(p.song)
    assert d.state == State.DRAFT and d.current_org is None and d.submitted_at is None

    d = declaration_submit(declaration=complete(d), user=p.song, pledge=True, ip="10.0.0.1")
    assert (fresh(d).state, fresh(d).current_org) == (State.UNIT_REVIEW, p.dzyjs)
    assert fresh(d).submitted_at and fresh(d).pledged_at and fresh(d).waiting_since

    d = declaration_approve(declaration=d, user=p.chen, next_org=p.dzy, opinion="情况属实，同意")
    assert (fresh(d).state, fresh(d).current_org) == (State.SUPERIOR_REVIEW, p.dzy)

    d = declaration_approve(declaration=d, user=p.dzy_admin, next_org=p.zrzy, opinion="同意报主管部门")
    assert (fresh(d).state, fresh(d).current_org) == (State.SUPERIOR_REVIEW, p.zrzy)

    d = declaration_approve(declaration=d, user=p.zrzy_admin, next_org=p.hn)
    assert (fresh(d).state, fresh(d).current_org) == (State.BUREAU_REVIEW, p.hn)

    d = declaration_approve(declaration=d, user=p.hn_clerk, opinion="核认通过")
    final = fresh(d)
    assert final.state == State.APPROVED and final.current_org is None and final.decided_at is not None
    assert not final.is_editable and not final.is_pending

    rows = [
        (s.action, s.actor, s.actor_role, s.organisation, s.from_state, s.to_state, s.next_org, s.opinion)
        for s in steps_of(d)
    ]
    assert rows == [
        (Action.SUBMIT, p.song, "applicant", p.dzyjs, State.DRAFT, State.UNIT_REVIEW, p.dzyjs, ""),
        (Action.APPROVE, p.chen, "unit_admin", p.dzyjs, State.UNIT_REVIEW, State.SUPERIOR_REVIEW, p.dzy, "情况属实，同意"),
        (Action.APPROVE, p.dzy_admin, "dept_admin", p.dzy, State.SUPERIOR_REVIEW, State.SUPERIOR_REVIEW, p.zrzy, "同意报主管部门"),
        (Action.APPROVE, p.zrzy_admin, "dept_admin", p.zrzy, State.SUPERIOR_REVIEW, State.BUREAU_REVIEW, p.hn, ""),
        (Action.APPROVE, p.hn_clerk, "bureau_clerk", p.hn, State.BUREAU_REVIEW, State.APPROVED, None, "核认通过"),
    ]
    first = steps_of(d)[0]
    assert first.details == {"pledge": "本人承诺以上信息真实有效"}
    assert first.ip_address == "10.0.0.1"


def test_unit_sends_straight_to_the_bureau(p):
    d = advance(new_declaration(p.song), p, State.UNIT_REVIEW)
    d = declaration_approve(declaration=d, user=p.chen, next_org=p.hn, opinion="同意")
    assert (fresh(d).state, fresh(d).current_org) == (State.BUREAU_REVIEW, p.hn)
    step = steps_of(d)[-1]
    assert (step.from_state, step.to_state, step.next_org, step.actor) == (State.UNIT_REVIEW, State.BUREAU_REVIEW, p.hn, p.chen)
    d = declaration_approve(declaration=d, user=p.hn_clerk)
    assert fresh(d).state == State.APPROVED


def test_superior_sends_to_the_bureau(p):
    d = advance(new_declaration(p.song), p, State.SUPERIOR_REVIEW)
    d = declaration_approve(declaration=d, user=p.dzy_admin, next_org=p.hn)
    assert (fresh(d).state, fresh(d).current_org) == (State.BUREAU_REVIEW, p.hn)


def test_a_first_level_unit_goes_to_its_own_city_bureau(p):
    """长沙智造科技有限公司 has nothing above it: its admin sends to 长沙市人社局, whose clerk approves;
    the provincial clerk, although his bureau is above the city's, does not act for it."""
    d = new_declaration(p.sun)
    d = declaration_submit(declaration=complete(d), user=p.sun, pledge=True)
    assert fresh(d).current_org == p.cszz
    error = refused("first_level", declaration_approve, declaration=d, user=p.cszz_admin, next_org=p.hn)
    assert error.message == "本单位为一级单位，只能选择经办机构（人社部门）。"
    d = declaration_approve(declaration=d, user=p.cszz_admin, next_org=p.cs)
    assert (fresh(d).state, fresh(d).current_org) == (State.BUREAU_REVIEW, p.cs)
    refused("forbidden", declaration_approve, declaration=d, user=p.hn_clerk)
    d = declaration_approve(declaration=d, user=p.cs_clerk)
    assert fresh(d).state == State.APPROVED


@pytest.mark.parametrize(
    "state, reviewer, organisation",
    [
        (State.UNIT_REVIEW, "chen", "dzyjs"),
        (State.SUPERIOR_REVIEW, "dzy_admin", "dzy"),
        (State.BUREAU_REVIEW, "hn_clerk", "hn"),
    ],
)
def test_reject_at_each_level_then_edit_and_resubmit(p, state, reviewer, organisation):
    d = advance(new_declaration(p.song), p, state)
    before = len(steps_of(d))
    d = declaration_reject(declaration=d, user=getattr(p, reviewer), reason="  结业证书不清晰，请重新上传  ")
    row = fresh(d)
    assert row.state == State.REJECTED and row.current_org is None and row.decided_at is not None
    assert row.rejection_reason == "结业证书不清晰，请重新上传"
    assert row.is_editable
    steps = steps_of(d)
    assert len(steps) == before + 1
    step = steps[-1]
    assert (step.action, step.actor, step.organisation, step.from_state, step.to_state, step.opinion) == (
        Action.REJECT, getattr(p, reviewer), getattr(p, organisation), state, State.REJECTED, "结业证书不清晰，请重新上传",
    )

    # Editable again: the applicant corrects it and sends it back to the unit.
    record = row.year_records.get()
    services.item_add(year_record=record, user=p.song, activity="paper", facts={"author_rank": 1, "title": "湘中找矿模型"})
    d = declaration_submit(declaration=complete(row), user=p.song, pledge=True)
    again = fresh(d)
    assert (again.state, again.current_org, again.rejection_reason) == (State.UNIT_REVIEW, p.dzyjs, "")
    assert steps_of(d)[-1].from_state == State.REJECTED


@pytest.mark.parametrize("state", [State.UNIT_REVIEW, State.SUPERIOR_REVIEW, State.BUREAU_REVIEW])
def test_withdraw_from_each_pending_state(p, state):
    d = advance(new_declaration(p.song), p, state)
    before = len(steps_of(d))
    d = declaration_withdraw(declaration=d, user=p.song, ip="10.0.0.2")
    row = fresh(d)
    assert row.state == State.DRAFT and row.current_org is None and row.waiting_since is None and row.is_editable
    steps = steps_of(d)
    assert len(steps) == before + 1
    step = steps[-1]
    assert (step.action, step.actor, step.actor_role, step.organisation, step.from_state, step.to_state, step.ip_address) == (
        Action.WITHDRAW, p.song, "applicant", p.dzyjs, state, State.DRAFT, "10.0.0.2",
    )
    # Withdrawn, it can be edited and sent again.
    record = services.year_record_add(declaration=row, user=p.song, year=2020)
    services.item_add(year_record=record, user=p.song, activity="training", facts=TRAINING)
    declaration_submit(declaration=complete(row), user=p.song, pledge=True)
    assert fresh(d).state == State.UNIT_REVIEW


# --- forbidden transitions -------------------------------------------------------------------------


def test_submit_twice(p):
    d = advance(new_declaration(p.song), p, State.UNIT_REVIEW)
    before = snapshot(d)
    refused("wrong_state", declaration_submit, declaration=d, user=p.song, pledge=True)
    assert snapshot(d) == before


@pytest.mark.parametrize("pledge", [False, None, ""])
def test_submit_without_the_pledge(p, pledge):
    d = new_declaration(p.song)
    before = snapshot(d)
    error = refused("pledge_required", declaration_submit, declaration=d, user=p.song, pledge=pledge)
    assert error.message == "请勾选“本人承诺以上信息真实有效”后再提交。"
    assert snapshot(d) == before


def test_submit_refused_while_incomplete(p):
    """Completeness is the transition's own condition: no caller can leave it out (the demo loader,
    a batch, a script). Here the education certificate is the one thing missing."""
    d = complete(new_declaration(p.song))
    d.evidence.filter(category="education").delete()
    before = snapshot(d)
    error = refused("incomplete", declaration_submit, declaration=d, user=p.song, pledge=True)
    assert error.message == "申报尚不完整：请上传学历信息"
    assert snapshot(d) == before


@pytest.mark.parametrize("reviewer", ["chen", "hn_clerk", "dzy_admin"])
def test_approve_or_reject_a_draft(p, reviewer):
    d = new_declaration(p.song)
    before = snapshot(d)
    for error in (
        refused("wrong_state", declaration_approve, declaration=d, user=getattr(p, reviewer), next_org=p.hn),
        refused("wrong_state", declaration_reject, declaration=d, user=getattr(p, reviewer), reason="不符合"),
    ):
        assert error.message == "该申报当前为“待提交”，不能审核。"
    assert snapshot(d) == before


def test_approve_or_reject_an_approved_one(p):
    d = advance(new_declaration(p.song), p, State.APPROVED)
    before = snapshot(d)
    for error in (
        refused("wrong_state", declaration_approve, declaration=d, user=p.hn_clerk),
        refused("wrong_state", declaration_reject, declaration=d, user=p.hn_clerk, reason="重新核对"),
    ):
        assert error.message == "该申报当前为“审核通过”，不能审核。"
    assert snapshot(d) == before


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_reject_without_a_reason(p, reason):
    d = advance(new_declaration(p.song), p, State.UNIT_REVIEW)
    error = refused_unchanged(d, "reason_required", declaration_reject, user=p.chen, reason=reason)
    assert error.message == "审核不通过时必须填写原因。"


def test_a_rejection_records_the_reviewers_address_and_tells_the_applicant_why(p):
    d = advance(new_declaration(p.song), p, State.UNIT_REVIEW)
    declaration_reject(declaration=d, user=p.chen, reason="缺少培训通知", ip="10.0.0.9")
    assert steps_of(d)[-1].ip_address == "10.0.0.9"
    notice = Notification.objects.filter(user=p.song).latest("pk")
    assert (notice.title, notice.subject) == (f"学时核认申报{d.business_no}审核不通过", fresh(d))
    assert "原因：缺少培训通知。请修改后重新提交。" in notice.body


def test_a_reviewer_deciding_on_a_copy_of_another_state_is_told_it_moved_on(p):
    """The state the reviewer saw (a page, a batch) is checked under the lock, before the role."""
    d = advance(new_declaration(p.song), p, State.SUPERIOR_REVIEW)
    before = snapshot(d)
    error = refused("stale", declaration_reject, declaration=d, user=p.dzy_admin, reason="缺少培训通知",
                    expected_state=State.UNIT_REVIEW)
    assert error.message == "该申报已被他人处理，请刷新后查看最新状态。"
    assert snapshot(d) == before


def test_overlong_opinion_is_refused_before_anything_is_written(p):
    d = advance(new_declaration(p.song), p, State.UNIT_REVIEW)
    before = snapshot(d)
    refused("too_long", declaration_reject, declaration=d, user=p.chen, reason="原因" * 251)
    refused("too_long", declaration_approve, declaration=d, user=p.chen, next_org=p.dzy, opinion="同意" * 251)
    assert snapshot(d) == before
    declaration_reject(declaration=d, user=p.chen, reason="因" * 500)
    assert len(fresh(d).rejection_reason) == 500


@pytest.mark.parametrize(
    "state, message",
    [
        (State.DRAFT, "该申报当前为“待提交”，不能撤销。"),
        (State.APPROVED, "该申报当前为“审核通过”，不能撤销。"),
        (State.REJECTED, "该申报当前为“审核不通过”，不能撤销。"),
    ],
)
def test_withdraw_only_while_pending(p, state, message):
    d = advance(new_declaration(p.song), p, state)
    before = snapshot(d)
    assert refused("wrong_state", declaration_withdraw, declaration=d, user=p.song).message == message
    assert snapshot(d) == before


@pytest.mark.parametrize("target", ["dzcl", "jyt", "dzyjs", "cs"])
def test_unit_cannot_send_to_a_non_ancestor(p, target):
    """A sibling unit, another department, itself, or another bureau are not the next level."""
    d = advance(new_declaration(p.song), p, State.UNIT_REVIEW)
    before = snapshot(d)
    error = refused("bad_next_level", declaration_approve, declaration=d, user=p.chen, next_org=getattr(p, target))
    assert error.message == "所选单位不是本单位的上级单位，请重新选择。"
    assert snapshot(d) == before


def test_superior_cannot_send_down_to_a_descendant(p):
    d = advance(new_declaration(p.song), p, State.SUPERIOR_REVIEW)
    before = snapshot(d)
    for target in (p.dzyjs, p.dzcl, p.dzy):
        refused("bad_next_level", declaration_approve, declaration=d, user=p.dzy_admin, next_org=target)
    assert snapshot(d) == before


def test_next_level_must_be_chosen(p):
    d = advance(new_declaration(p.song), p, State.UNIT_REVIEW)
    before = snapshot(d)
    assert refused("next_level_required", declaration_approve, declaration=d, user=p.chen).message == "请选择上级审核单位或经办机构。"
    assert snapshot(d) == before


@pytest.mark.parametrize("target", ["dzy", "dzyjs", "jyt", None])
def test_first_level_department_can_only_choose_the_bureau(p, target):
    d = advance(new_declaration(p.song), p, State.SUPERIOR_REVIEW)
    d = declaration_approve(declaration=d, user=p.dzy_admin, next_org=p.zrzy)
    before = snapshot(d)
    code = "next_level_required" if target is None else "first_level"
    error = refused(code, declaration_approve, declaration=d, user=p.zrzy_admin, next_org=getattr(p, target) if target else None)
    if target:
        assert "只能选择经办机构" in error.message
    assert snapshot(d) == before


# --- who may act ------------------------------------------------------------------------------------


def test_another_applicant_cannot_submit_withdraw_or_edit(p):
    d = new_declaration(p.song)
    before = snapshot(d)
    assert refused("forbidden", declaration_submit, declaration=d, user=p.zhao, pledge=True).message == "您无权提交该申报。"
    with pytest.raises(PermissionDenied):
        services.year_record_add(declaration=d, user=p.zhao, year=2020)
    with pytest.raises(PermissionDenied):
        services.declaration_update(declaration=d, user=p.zhao, data={"phone": "13800000000"}, start_year=2019, end_year=2023)
    with pytest.raises(PermissionDenied):
        services.declaration_delete(declaration=d, user=p.zhao)
    assert snapshot(d) == before

    d = advance(d, p, State.UNIT_REVIEW)
    before = snapshot(d)
    assert refused("forbidden", declaration_withdraw, declaration=d, user=p.zhao).message == "您无权撤销该申报。"
    # The unit's administrator reviews it but did not submit it, so cannot withdraw it either.
    assert refused("forbidden", declaration_withdraw, declaration=d, user=p.chen).message == "您无权撤销该申报。"
    assert snapshot(d) == before


@pytest.mark.parametrize(
    "state, wrong",
    [
        (State.UNIT_REVIEW, "dzcl_admin"),  # another unit's admin
        (State.UNIT_REVIEW, "dzy_admin"),  # the superior's admin cannot skip the unit
        (State.UNIT_REVIEW, "zrzy_admin"),  # a department admin on a unit-level item
        (State.UNIT_REVIEW, "hn_clerk"),  # the bureau before the item reaches it
        (State.SUPERIOR_REVIEW, "chen"),  # the unit, once it has passed it on
        (State.SUPERIOR_REVIEW, "zrzy_admin"),  # a higher department before it is sent there
        (State.SUPERIOR_REVIEW, "jyt_admin"),  # an unrelated department
        (State.SUPERIOR_REVIEW, "hn_clerk"),
        (State.BUREAU_REVIEW, "cs_clerk"),  # the city bureau on a province-level item
        (State.BUREAU_REVIEW, "dzy_admin"),
        (State.BUREAU_REVIEW, "sysadmin"),
    ],
)
def test_reviewer_of_the_wrong_level_is_refused(p, state, wrong):
    d = advance(new_declaration(p.song), p, state)
    before = snapshot(d)
    user = getattr(p, wrong)
    for error in (
        refused("forbidden", declaration_approve, declaration=d, user=user, next_org=p.hn),
        refused("forbidden", declaration_reject, declaration=d, user=user, reason="不同意"),
    ):
        assert error.message == "该申报不在您的审核范围内。"
    assert snapshot(d) == before


def test_applicant_cannot_review_own_declaration(p):
    d = advance(new_declaration(p.song), p, State.UNIT_REVIEW)
    before = snapshot(d)
    error = refused("own_declaration", declaration_approve, declaration=d, user=p.song, next_org=p.hn)
    assert error.message == "不能审核本人的申报，请由单位其他管理员或上级单位审核。"
    assert snapshot(d) == before


def test_unit_admin_own_declaration_starts_one_level_up_and_he_cannot_review_it(p):
    """陈立新 administers his own unit: his declaration goes to the level he chooses, never to himself."""
    d = new_declaration(p.chen)
    with pytest.raises(WorkflowError) as caught:
        declaration_submit(declaration=complete(d), user=p.chen, pledge=True)
    assert caught.value.code == "next_level_required"
    d = declaration_submit(declaration=complete(d), user=p.chen, pledge=True, next_org=p.dzy)
    assert (d.state, d.current_org_id) == (State.SUPERIOR_REVIEW, p.dzy.pk)
    d = declaration_approve(declaration=d, user=p.dzy_admin, next_org=p.hn)
    assert d.state == State.BUREAU_REVIEW
    back = declaration_reject(declaration=d, user=p.hn_clerk, reason="材料不全")
    back = declaration_submit(declaration=complete(back), user=p.chen, pledge=True, next_org=p.hn)
    assert back.state == State.BUREAU_REVIEW


def test_nobody_reviews_their_own_declaration_even_as_its_holder(p):
    d = declaration_submit(declaration=complete(new_declaration(p.chen)), user=p.chen, pledge=True, next_org=p.dzy)
    # 黄海燕 (dzy_admin) may review it at the superior level, but the applicant never.
    refused("own_declaration", declaration_approve, declaration=d, user=p.chen, next_org=p.hn)


# --- acting on what one saw: the second click -------------------------------------------------------------


@pytest.mark.parametrize(
    "state, reviewer, next_org, expected_state",
    [
        (State.UNIT_REVIEW, "chen", "dzy", None),
        (State.UNIT_REVIEW, "chen", "dzy", State.UNIT_REVIEW),
        (State.SUPERIOR_REVIEW, "dzy_admin", "zrzy", State.SUPERIOR_REVIEW),  # the state alone does not change
        (State.BUREAU_REVIEW, "hn_clerk", None, State.BUREAU_REVIEW),
        (State.BUREAU_REVIEW, "hn_clerk", None, None),
    ],
)
def test_second_click_on_what_was_already_decided_is_stale(p, state, reviewer, next_org, expected_state):
    """Two requests read the declaration; the first one's decision is saved; the second, acting on
    its copy, is told someone else handled it — not that it is out of scope — and changes nothing."""
    d = advance(new_declaration(p.song), p, state)
    first, second = fresh(d), fresh(d)
    user, target = getattr(p, reviewer), getattr(p, next_org) if next_org else None
    declaration_approve(declaration=first, user=user, next_org=target, expected_state=expected_state)
    before = snapshot(d)
    for call, kwargs in (
        (declaration_approve, {"next_org": target}),
        (declaration_reject, {"reason": "材料不全"}),
    ):
        error = refused("stale", call, declaration=second, user=user, expected_state=expected_state, **kwargs)
        assert error.message == "该申报已被他人处理，请刷新后查看最新状态。"
    assert snapshot(d) == before
    assert ReviewStep.objects.filter(declaration_id=d.pk, actor=user).count() == 1


def test_someone_elses_stale_copy_is_still_forbidden(p):
    """The stale answer is only for those who could act on what they saw."""
    d = advance(new_declaration(p.song), p, State.UNIT_REVIEW)
    seen = fresh(d)
    declaration_approve(declaration=d, user=p.chen, next_org=p.hn)
    refused("forbidden", declaration_approve, declaration=seen, user=p.cs_clerk)
    refused("forbidden", declaration_approve, declaration=seen, user=p.dzcl_admin, next_org=p.hn)


# --- arrival hooks (workflow.runner.on_arrival) ----------------------------------------------------------------


def test_an_arrival_hook_runs_once_after_commit_each_time_a_declaration_reaches_a_level(p, monkeypatch, django_capture_on_commit_callbacks):
    """Registered twice (ready() may run twice), the hook still runs once per arrival; a decision
    that ends the review (reject) is no arrival."""
    monkeypatch.setattr(runner, "_ARRIVAL_HOOKS", {})
    arrived = []
    runner.on_arrival(Declaration, arrived.append)
    runner.on_arrival(Declaration, arrived.append)
    d = complete(new_declaration(p.song))
    with django_capture_on_commit_callbacks(execute=True):
        declaration_submit(declaration=d, user=p.song, pledge=True)
    assert arrived == [d.pk]
    with django_capture_on_commit_callbacks(execute=True):
        declaration_approve(declaration=d, user=p.chen, next_org=p.dzy)
    assert arrived == [d.pk, d.pk]
    with django_capture_on_commit_callbacks(execute=True):
        declaration_reject(declaration=d, user=p.dzy_admin, reason="材料不全")
    assert arrived == [d.pk, d.pk]


def test_a_failing_arrival_hook_is_logged_by_name_and_the_submission_stands(p, monkeypatch, caplog, django_capture_on_commit_callbacks):
    """The hook runs after the commit: its failure cannot undo the submission nor keep the next hook
    from running, and the log names it."""
    monkeypatch.setattr(runner, "_ARRIVAL_HOOKS", {})
    arrived = []

    def check_arrival(pk):
        raise ValueError(f"无法校验 {pk}")

    runner.on_arrival(Declaration, check_arrival)
    runner.on_arrival(Declaration, arrived.append)
    d = complete(new_declaration(p.song))
    with caplog.at_level(logging.ERROR, logger="django.test"), django_capture_on_commit_callbacks(execute=True):
        declaration_submit(declaration=d, user=p.song, pledge=True)
    assert Declaration.objects.get(pk=d.pk).state == State.UNIT_REVIEW and arrived == [d.pk]
    assert [r.getMessage() for r in caplog.records if r.name == "django.test"] == [
        "Error calling test_a_failing_arrival_hook_is_logged_by_name_and_the_submission_stands.<locals>.check_arrival "
        f"in on_commit() (无法校验 {d.pk})."
    ]


# --- query counts (STYLE 11) --------------------------------------------------------------------------------


def test_each_transition_runs_a_fixed_number_of_queries(p):
    """Each count includes the savepoint pair of the service's atomic block, the locked read and
    the acting user's role grants (read once per request: each call gets a user as a new request would)."""
    def new_request(user):
        return User.objects.get(pk=user.pk)

    d = complete(new_declaration(p.song))
    song = new_request(p.song)
    # + the unit's bureau, the bureau chain's filing period, the completeness check (the rule set, the
    # evidence, the years, their items, the open training records), the update, the step, and the
    # summary (hours/summary.py: the state tally's rows and their update, the person locked, their
    # year records and summary rows, the unit's rows and their update, the new row)
    with assert_database_query_count(22):
        d = declaration_submit(declaration=d, user=song, pledge=True)
    song = new_request(p.song)
    # + the summary, as for submitting, with the days it waited at the unit (its arrival step) and
    # the declaration's rule set (submitting had read it for the completeness check)
    with assert_database_query_count(18):
        d = declaration_withdraw(declaration=d, user=song)
    d = declaration_submit(declaration=complete(d), user=p.song, pledge=True)
    # + the items whose hours a reviewer determines (every approval checks them), the holder's
    # ancestors and the bureau, the update, the step, and the summary (the state tally both ways, the
    # days at the level left, the person locked, their year records and summary rows, unchanged)
    chen, dzy_admin, hn_clerk = new_request(p.chen), new_request(p.dzy_admin), new_request(p.hn_clerk)
    with assert_database_query_count(19):
        d = declaration_approve(declaration=d, user=chen, next_org=p.dzy)
    with assert_database_query_count(19):
        d = declaration_approve(declaration=d, user=dzy_admin, next_org=p.hn)
    # + the determinable items, the update, the step, the applicant (for the e-mail address) and the
    # portal notification, the summary (as above, the unit's row moved by the difference, the row
    # updated), and the pushed training records ticked into it (their updated_at, for the platforms)
    ContentType.objects.get_for_model(d)  # cached for the process: warm, whatever ran before
    with assert_database_query_count(23):
        d = declaration_approve(declaration=d, user=hn_clerk)
    other = advance(new_declaration(p.song), p, State.UNIT_REVIEW)
    chen = new_request(p.chen)
    # + what it holds when turned down (its rule set, items and files: the snapshot the case page
    # compares with after a resubmission), and the summary as for withdrawing
    with assert_database_query_count(24):
        declaration_reject(declaration=other, user=chen, reason="缺少结业证书")


# --- the audit steps and the state field ---------------------------------------------------------------


def test_review_steps_cannot_be_changed_or_deleted(p):
    d = advance(new_declaration(p.song), p, State.UNIT_REVIEW)
    step = steps_of(d)[0]
    step.opinion = "改过的意见"
    with pytest.raises(ValueError):
        step.save()
    with pytest.raises(ValueError):
        step.delete()
    # Nor in bulk, which would go round the instance methods.
    with pytest.raises(ValueError):
        ReviewStep.objects.filter(pk=step.pk).update(opinion="改过的意见")
    with pytest.raises(ValueError):
        ReviewStep.objects.filter(declaration_id=d.pk).delete()
    with pytest.raises(ValueError):
        fresh(d).steps.all().delete()
    stored = ReviewStep.objects.get(pk=step.pk)
    assert stored.opinion == "" and stored.to_state == State.UNIT_REVIEW
    # A declaration with steps is kept: the steps protect it.
    with pytest.raises(ValidationError):
        services.declaration_delete(declaration=declaration_withdraw(declaration=d, user=p.song), user=p.song)
    assert Declaration.objects.filter(pk=d.pk).exists()


def test_state_field_cannot_be_assigned(p):
    d = new_declaration(p.song)
    with pytest.raises(AttributeError):
        d.state = State.APPROVED
    loaded = Declaration.objects.get(pk=d.pk)
    with pytest.raises(AttributeError):
        loaded.state = State.BUREAU_REVIEW
    assert Declaration.objects.get(pk=d.pk).state == State.DRAFT
    loaded.refresh_from_db()  # reloading a protected field still works
    assert loaded.state == State.DRAFT


@pytest.mark.parametrize("state, reviewer, next_org", [(State.UNIT_REVIEW, "chen", "dzy"), (State.BUREAU_REVIEW, "hn_clerk", None)])
def test_an_approval_records_the_address_and_the_details_it_was_given(p, state, reviewer, next_org):
    d = advance(new_declaration(p.song), p, state)
    declaration_approve(declaration=d, user=getattr(p, reviewer), next_org=next_org and getattr(p, next_org), opinion="同意",
                        ip="203.0.113.5", details={"on_staff": "是", "principle": "按折算细则核定"})
    step = ReviewStep.objects.get(declaration=d, action=Action.APPROVE, from_state=state)
    assert (step.ip_address, step.opinion, step.details) == ("203.0.113.5", "同意", {"on_staff": "是", "principle": "按折算细则核定"})


def test_an_approval_for_the_state_a_page_showed_is_refused_once_the_case_moved_on(p):
    """hn_clerk may approve the case where it now waits, but his page showed it at the unit."""
    d = advance(new_declaration(p.song), p, State.BUREAU_REVIEW)
    error = refused("stale", declaration_approve, declaration=d, user=p.hn_clerk, expected_state=State.UNIT_REVIEW)
    assert error.message == "该申报已被他人处理，请刷新后查看最新状态。"
    assert fresh(d).state == State.BUREAU_REVIEW


def test_submitting_outside_the_bureaus_window_is_refused_with_its_dates(p):
    with frozen_now(datetime(2026, 6, 10, 10, 0)):
        review_services.filing_period_set(bureau=p.hn, year=2026, opens_on=date(2026, 6, 20), closes_on=date(2026, 7, 20),
                                          supervision_days=5, user=p.hn_clerk)
        error = refused_unchanged(complete(new_declaration(p.song)), "closed", declaration_submit, user=p.song, pledge=True)
    assert error.message == "2026年学时核认集中办理时间为2026年06月20日至2026年07月20日，当前不在申报期内，不能提交。"


def test_the_final_approval_tells_the_applicant_with_a_link_to_the_declaration(p):
    d = advance(new_declaration(p.song), p, State.BUREAU_REVIEW)
    declaration_approve(declaration=d, user=p.hn_clerk)
    notice = Notification.objects.filter(user=p.song).latest("pk")
    assert (notice.title, notice.subject) == (f"学时核认申报{d.business_no}审核通过", fresh(d))
    assert notice.body == (
        f"您的{fresh(d).years_label}年度学时核认申报已由湖南省人力资源和社会保障厅审核通过，可在“学时证书打印”中下载学时认定单。"
    )


def test_a_department_declaring_for_a_person_below_sends_it_above_itself(p):
    """湖南省地质院's administrator declares for 宋庆涛 of 湖南省地质研究所 (below it): the declaration
    starts above the department, not at 地质院 itself."""
    d = complete(new_declaration(p.dzy_admin, applicant=p.song))
    error = refused("bad_next_level", declaration_submit, declaration=d, user=p.dzy_admin, pledge=True, next_org=p.dzy)
    assert error.message == "所选单位不是本单位的上级单位，请重新选择。"
    d = declaration_submit(declaration=d, user=p.dzy_admin, pledge=True, next_org=p.zrzy)
    assert (fresh(d).state, fresh(d).current_org) == (State.SUPERIOR_REVIEW, p.zrzy)
    assert (steps_of(d)[-1].action, steps_of(d)[-1].organisation) == (Action.SUBMIT, p.dzy)


def test_every_missing_piece_is_named_in_one_message(p):
    d = complete(new_declaration(p.song))
    d.evidence.filter(category__in=["education", "hours"]).delete()
    error = refused("incomplete", declaration_submit, declaration=d, user=p.song, pledge=True)
    assert error.message == "申报尚不完整：请上传学历信息；请上传学时证明材料（学时上传）"
