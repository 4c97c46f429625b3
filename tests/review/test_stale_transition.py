"""The state field alone refuses a stale transition, with no row lock involved: what keeps two
clerks (or two tabs) from both deciding one declaration on SQLite, where SELECT … FOR UPDATE does
nothing, and on PostgreSQL should a lock ever be missed. ConcurrentTransitionMixin saves with
`WHERE state = <the state this copy read>`; a copy read before someone else's decision matches no
row. (Real threads racing on PostgreSQL: tests/review/test_concurrency.py.)"""
import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django_fsm import ConcurrentTransition

from accounts.models import Role
from hours import transitions
from hours.models import ReviewStep
from tests.helpers import hidden_fields, make_staff, text_of
from tests.hours.fixtures_views import *  # noqa: F401,F403 (fixtures)
from tests.hours.fixtures_views import at_state, fresh, messages_of
from workflow.models import Action, State
from workflow.runner import WorkflowError

pytestmark = pytest.mark.usefixtures("media")


def test_the_second_tabs_copy_cannot_be_saved_over_the_first_decision(p):
    d = at_state(p, State.BUREAU_REVIEW)
    first, second = fresh(d), fresh(d)  # both tabs have loaded it at 经办机构审核
    first.approve(now=timezone.now())
    first.save()
    second.reject(reason="材料不全", now=timezone.now())  # its copy still reads bureau_review: the transition is allowed
    with pytest.raises(ConcurrentTransition), transaction.atomic():  # as the runner saves: its own transaction
        second.save()
    row = fresh(d)
    assert (row.state, row.rejection_reason, row.decided_at) == (State.APPROVED, "", first.decided_at)


def test_a_clerk_deciding_on_what_they_read_before_a_colleague_decided_is_told_so(client, p, monkeypatch):
    """王晓燕 opened the case while it waited at the bureau; hn_clerk approves it while her request
    is under way, after it has read the declaration. With no row lock to make her wait (the runner's
    lock patched to hand back the row as her request read it), her 审核不通过 is still refused:
    she sees the stale message, and the history holds hn_clerk's decision only."""
    d = at_state(p, State.BUREAU_REVIEW)
    colleague = make_staff(username="hn_clerk2", role=Role.BUREAU_CLERK, organisation=p.hn, name="王晓燕")
    monkeypatch.setattr(transitions, "lock", lambda read: read)
    real_reject = transitions.declaration_reject

    def colleague_decides_first(**kwargs):
        transitions.declaration_approve(declaration=fresh(d), user=p.hn_clerk, opinion="同意")
        return real_reject(**kwargs)

    monkeypatch.setattr(transitions, "declaration_reject", colleague_decides_first)
    client.force_login(colleague)
    response = client.post(
        reverse("review:case", args=[d.pk]),
        {"decision": "reject", "opinion": "证书与培训名称不符", "expected_state": State.BUREAU_REVIEW},
        follow=True,
    )
    assert messages_of(response) == ["该申报已被他人处理，以下为最新状态。"]
    row = fresh(d)
    assert (row.state, row.rejection_reason) == (State.APPROVED, "")
    decided = ReviewStep.objects.filter(declaration_id=d.pk, from_state=State.BUREAU_REVIEW)
    assert [(s.action, s.to_state, s.actor.username) for s in decided] == [(Action.APPROVE, State.APPROVED, "hn_clerk")]


def the_decision_form(client, d):
    page = client.get(reverse("review:case", args=[d.pk]))
    assert page.status_code == 200
    return {name: value for name, value in hidden_fields(page).items() if name.startswith("expected_")}


def test_a_page_left_open_while_the_case_was_turned_down_and_came_back_decides_nothing(client, p):
    """王晓燕's tab shows the case as it first reached the bureau. Meanwhile hn_clerk turns it down,
    宋庆涛 resubmits it and it comes back to the bureau: the same state, another version. Her
    审核通过 from the old page is refused; the resubmitted case still waits, undecided."""
    d = at_state(p, State.BUREAU_REVIEW)
    colleague = make_staff(username="hn_clerk2", role=Role.BUREAU_CLERK, organisation=p.hn, name="王晓燕")
    client.force_login(colleague)
    seen = the_decision_form(client, d)
    assert seen == {"expected_state": "bureau_review", "expected_since": fresh(d).waiting_since.isoformat()}

    back = transitions.declaration_reject(declaration=fresh(d), user=p.hn_clerk, reason="请补充佐证材料")
    back = transitions.declaration_submit(declaration=back, user=p.song, pledge=True)
    back = transitions.declaration_approve(declaration=back, user=p.chen, next_org=p.dzy, opinion="同意")
    transitions.declaration_approve(declaration=back, user=p.dzy_admin, next_org=p.hn, opinion="同意")

    response = client.post(
        reverse("review:case", args=[d.pk]), {"decision": "approve", "opinion": "材料齐全，同意认定", **seen}, follow=True
    )
    assert messages_of(response) == ["该申报已被他人处理，以下为最新状态。"]
    assert fresh(d).state == State.BUREAU_REVIEW
    assert not ReviewStep.objects.filter(declaration_id=d.pk, to_state=State.APPROVED).exists()
    # She is shown the case as it is now, her opinion kept, the form carrying the new version.
    assert response.redirect_chain[-1][0] == reverse("review:case", args=[d.pk]) + "?from=%2Freview%2Ftodo%2F#decision"
    assert response.context["form"]["opinion"].value() == "材料齐全，同意认定"
    assert "材料齐全，同意认定</textarea>" in response.content.decode()
    now = {name: value for name, value in hidden_fields(response).items() if name.startswith("expected_")}
    assert now == {"expected_state": "bureau_review", "expected_since": fresh(d).waiting_since.isoformat()} != seen

    # From that page her decision goes through.
    response = client.post(reverse("review:case", args=[d.pk]), {"decision": "approve", "opinion": "材料齐全，同意认定", **now}, follow=True)
    assert fresh(d).state == State.APPROVED
    assert [s.actor.username for s in ReviewStep.objects.filter(declaration_id=d.pk, to_state=State.APPROVED)] == ["hn_clerk2"]


@pytest.mark.parametrize("since", ["", "昨天", "2026-13-45T10:00:00+08:00", "2026-05-01T10:00:00"])
def test_an_arrival_time_altered_by_hand_leaves_the_state_check_alone(client, p, since):
    """A hidden arrival time that is blank, not a time, impossible or without its zone is not
    compared (the form cannot be told apart from one without it): the decision stands on the state."""
    d = at_state(p, State.BUREAU_REVIEW)
    client.force_login(p.hn_clerk)
    response = client.post(
        reverse("review:case", args=[d.pk]),
        {"decision": "approve", "opinion": "同意", "expected_state": "bureau_review", "expected_since": since}, follow=True,
    )
    assert response.status_code == 200 and fresh(d).state == State.APPROVED


def test_a_form_shown_again_for_its_errors_is_about_the_version_the_page_then_shows(client, p):
    """王晓燕 chooses 审核不通过 but forgets the reason; before her page comes back with the error the
    case is turned down by a colleague and comes back resubmitted. The page she then reads is the new
    version, and so is the form she completes on it: her decision goes through."""
    d = at_state(p, State.BUREAU_REVIEW)
    colleague = make_staff(username="hn_clerk2", role=Role.BUREAU_CLERK, organisation=p.hn, name="王晓燕")
    client.force_login(colleague)
    seen = the_decision_form(client, d)
    response = client.post(reverse("review:case", args=[d.pk]), {"decision": "reject", "opinion": "", **seen})
    assert response.status_code == 302 and response["Location"].endswith("#decision-errors")

    back = transitions.declaration_reject(declaration=fresh(d), user=p.hn_clerk, reason="请补充佐证材料")
    back = transitions.declaration_submit(declaration=back, user=p.song, pledge=True)
    back = transitions.declaration_approve(declaration=back, user=p.chen, next_org=p.dzy, opinion="同意")
    transitions.declaration_approve(declaration=back, user=p.dzy_admin, next_org=p.hn, opinion="同意")

    page = client.get(response["Location"])
    assert page.context["form"]["decision"].value() == "reject"
    assert "审核不通过时必须填写原因。" in text_of(page)
    now = {name: value for name, value in hidden_fields(page).items() if name.startswith("expected_")}
    assert now == {"expected_state": "bureau_review", "expected_since": fresh(d).waiting_since.isoformat()} != seen
    client.post(reverse("review:case", args=[d.pk]), {"decision": "reject", "opinion": "证书与培训名称不符", **now})
    assert (fresh(d).state, fresh(d).rejection_reason) == (State.REJECTED, "证书与培训名称不符")


def test_the_state_guard_refuses_a_stale_save_with_the_message_to_refresh(p, monkeypatch):
    """Without the row lock (patched out), the save of a copy read before a colleague's approval is
    refused by the state field's guard alone, with what to do."""
    d = at_state(p, State.BUREAU_REVIEW)
    seen = fresh(d)
    monkeypatch.setattr(transitions, "lock", lambda read: read)
    transitions.declaration_approve(declaration=fresh(d), user=p.hn_clerk, opinion="同意")
    with pytest.raises(WorkflowError) as refused:
        transitions.declaration_reject(declaration=seen, user=p.hn_clerk, reason="证书与培训名称不符")
    assert (refused.value.code, refused.value.message) == ("stale", "该申报已被他人处理，请刷新后查看最新状态。")
    assert (fresh(d).state, fresh(d).rejection_reason) == (State.APPROVED, "")


def test_a_rejection_of_a_version_since_sent_back_and_resubmitted_is_refused(p):
    d = at_state(p, State.BUREAU_REVIEW)
    seen = fresh(d).waiting_since
    back = transitions.declaration_reject(declaration=fresh(d), user=p.hn_clerk, reason="请补充佐证材料")
    back = transitions.declaration_submit(declaration=back, user=p.song, pledge=True)
    back = transitions.declaration_approve(declaration=back, user=p.chen, next_org=p.dzy, opinion="同意")
    transitions.declaration_approve(declaration=back, user=p.dzy_admin, next_org=p.hn, opinion="同意")
    with pytest.raises(WorkflowError) as refused:
        transitions.declaration_reject(declaration=fresh(d), user=p.hn_clerk, reason="证书与培训名称不符",
                                       expected_state=State.BUREAU_REVIEW, expected_since=seen)
    assert (refused.value.code, refused.value.message) == ("stale", "该申报已被他人处理，请刷新后查看最新状态。")
    assert (fresh(d).state, fresh(d).rejection_reason) == (State.BUREAU_REVIEW, "")


def test_a_stale_refusal_at_the_unit_keeps_every_choice_and_asks_nothing_new(client, p):
    """陈立新 fills in the unit's decision; 宋庆涛 withdraws and resubmits meanwhile. The page shows the
    new version with his choices as he made them and no error: one click decides it."""
    d = at_state(p, State.UNIT_REVIEW)
    client.force_login(p.chen)
    seen = the_decision_form(client, d)
    transitions.declaration_submit(declaration=transitions.declaration_withdraw(declaration=fresh(d), user=p.song), user=p.song, pledge=True)
    typed = {"decision": "approve", "opinion": "同意", "next_type": "bureau", "on_staff": "是", "principle": "按折算细则核定"}
    response = client.post(reverse("review:case", args=[d.pk]), {**typed, **seen}, follow=True)
    assert messages_of(response) == ["该申报已被他人处理，以下为最新状态。"]
    form = response.context["form"]
    assert {name: form[name].value() for name in typed} == typed and not form.errors
    client.post(reverse("review:case", args=[d.pk]), {**typed, **the_decision_form(client, d)})
    assert (fresh(d).state, fresh(d).current_org) == (State.BUREAU_REVIEW, p.hn)
