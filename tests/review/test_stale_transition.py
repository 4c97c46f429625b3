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
from tests.helpers import make_staff
from tests.hours.fixtures_views import *  # noqa: F401,F403 (fixtures)
from tests.hours.fixtures_views import at_state, fresh, messages_of
from workflow.models import Action, State

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
    assert messages_of(response) == ["该申报已被他人处理，请刷新后查看最新状态。"]
    row = fresh(d)
    assert (row.state, row.rejection_reason) == (State.APPROVED, "")
    decided = ReviewStep.objects.filter(declaration_id=d.pk, from_state=State.BUREAU_REVIEW)
    assert [(s.action, s.to_state, s.actor.username) for s in decided] == [(Action.APPROVE, State.APPROVED, "hn_clerk")]
