"""受理: a bureau clerk takes a case on; the to-do list shows and filters by 受理人."""
import pytest
from django.urls import reverse

from accounts.models import Role
from hours.models import Declaration
from hours import transitions
from workflow.runner import WorkflowError
from workflow.models import State
from hours.models import ReviewStep
from tests.helpers import make_staff
from tests.hours.fixtures_views import *  # noqa: F401,F403
from tests.hours.fixtures_views import at_state

pytestmark = pytest.mark.django_db


def test_clerk_accepts_a_case_and_the_list_shows_it(client, p):
    d = at_state(p, State.BUREAU_REVIEW)
    other = at_state(p, State.BUREAU_REVIEW, applicant=p.zhao)
    steps_before = ReviewStep.objects.count()
    client.force_login(p.hn_clerk)
    assert client.post(reverse("review:case_accept", args=[d.pk])).status_code == 302
    assert Declaration.objects.get(pk=d.pk).accepted_by == p.hn_clerk
    assert ReviewStep.objects.count() == steps_before  # not a state change
    todo = client.get(reverse("review:bureau_todo"), {"handler": p.hn_clerk.name}).content.decode()
    assert d.business_no in todo and other.business_no not in todo
    unaccepted = client.get(reverse("review:bureau_todo"), {"handler": "未受理"}).content.decode()
    assert other.business_no in unaccepted and d.business_no not in unaccepted


def test_only_one_clerk_of_the_right_bureau_accepts(p):
    d = at_state(p, State.BUREAU_REVIEW)
    second = make_staff(username="hn_clerk2", role=Role.BUREAU_CLERK, organisation=p.hn, name="王晓燕")
    transitions.declaration_accept(declaration=d, user=p.hn_clerk)
    with pytest.raises(WorkflowError) as caught:
        transitions.declaration_accept(declaration=d, user=second)
    assert caught.value.code == "taken" and p.hn_clerk.name in caught.value.message
    with pytest.raises(WorkflowError):
        transitions.declaration_accept(declaration=d, user=p.cs_clerk)
    waiting = at_state(p, State.UNIT_REVIEW, applicant=p.li)
    with pytest.raises(WorkflowError):
        transitions.declaration_accept(declaration=waiting, user=p.hn_clerk)
    # Accepting does not reserve the decision: the other clerk can still approve.
    assert transitions.declaration_approve(declaration=d, user=second).state == State.APPROVED


def test_accepting_returns_the_case_with_its_handler(p):
    d = at_state(p, State.BUREAU_REVIEW)
    accepted = transitions.declaration_accept(declaration=d, user=p.hn_clerk)
    assert accepted.pk == d.pk and accepted.accepted_by == p.hn_clerk


@pytest.mark.parametrize(
    "state, clerk",
    [
        (State.BUREAU_REVIEW, "cs_clerk"),  # the case waits at another bureau
        (State.UNIT_REVIEW, "hn_clerk"),  # not yet at the bureau
        (State.APPROVED, "hn_clerk"),  # decided
    ],
)
def test_only_a_clerk_of_the_bureau_holding_the_case_may_accept_it(p, state, clerk):
    d = at_state(p, state)
    with pytest.raises(WorkflowError) as caught:
        transitions.declaration_accept(declaration=d, user=getattr(p, clerk))
    assert (caught.value.message, caught.value.code) == ("只有该申报所在人社部门的经办人可以受理。", "forbidden")
    assert Declaration.objects.get(pk=d.pk).accepted_by is None
