"""批量审核 by two clerks of one bureau at the same moment, on PostgreSQL, in real threads with
their own connections: their ticked sets overlap, and still every declaration is approved exactly
once (one approve step from bureau_review), and each clerk's report says, item by item, either
done or already handled by someone else.

Run with: DATABASE_URL=postgres://postgres@127.0.0.1:5432/xueshi .venv/bin/python -m pytest tests/review/test_batch_postgres.py
"""
import pytest

from accounts.models import Role, User
from accounts.services import staff_account_create
from workflow.models import Action, State
from hours.models import ReviewStep
from review.services import declaration_batch_decide
from workflow.runner import STALE_MESSAGE
from tests.helpers import DEMO_PASSWORD
from tests.hours.fixtures_views import at_state, fresh, people
from tests.races import at_once, on_postgresql

# The threads' connections must see the declarations: committed data, not the shared demo
# province inside a rolled-back transaction.
pytestmark = on_postgresql()

ROUNDS = 3
DONE = "审核通过"


@pytest.fixture
def province(committed_demo):
    p = people(committed_demo)
    p.second_clerk = staff_account_create(
        username="hn_clerk2", name="王晓燕", password=DEMO_PASSWORD, role=Role.BUREAU_CLERK, organisation=p.hn
    )
    return p


def batch_at_once(*batches):
    """Each (user, ids) batch in its own thread and connection; all start together."""

    def press(user_pk, ids):
        def prepare():
            user = User.objects.get(pk=user_pk)  # each request reads its own user…
            # …then both press 批量审核 at once
            return lambda: declaration_batch_decide(user=user, ids=ids, decision="approve", ip="127.0.0.1")

        return prepare

    reports = [report for _, report in at_once(*(press(user.pk, ids) for user, ids in batches))]
    assert all(isinstance(r, list) for r in reports), reports
    return reports


def test_two_clerks_batch_approve_overlapping_sets(province):
    p = province
    applicants = [p.song, p.zhao, p.li]
    for round_no in range(ROUNDS):
        waiting = [at_state(p, State.BUREAU_REVIEW, applicant=applicants[i % 3]) for i in range(8)]
        ids = [d.pk for d in waiting]
        first, second = ids[:6], ids[2:]  # ids[2:6] are in both batches
        if round_no % 2:
            second = list(reversed(second))  # meet the other clerk from the other end too
        reports = batch_at_once((p.hn_clerk, first), (p.second_clerk, second))

        for report, asked in zip(reports, (first, second)):
            assert [r.pk for r in report] == asked
            for r in report:
                assert (r.ok, r.message) in ((True, DONE), (False, STALE_MESSAGE)), r
        done = {}
        for report, clerk in zip(reports, (p.hn_clerk, p.second_clerk)):
            for r in report:
                if r.ok:
                    assert r.pk not in done, f"{r.pk} approved by both clerks"
                    done[r.pk] = clerk.pk
        assert sorted(done) == sorted(ids)  # every declaration by exactly one of them
        for pk in ids[:2]:
            assert done[pk] == p.hn_clerk.pk
        for pk in ids[6:]:
            assert done[pk] == p.second_clerk.pk

        for d in waiting:
            assert fresh(d).state == State.APPROVED
            decided = ReviewStep.objects.filter(declaration_id=d.pk, from_state=State.BUREAU_REVIEW)
            assert decided.count() == 1, d.pk
            step = decided.get()
            assert (step.action, step.to_state, step.actor_id) == (Action.APPROVE, State.APPROVED, done[d.pk])
