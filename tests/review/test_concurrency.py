"""Races on one declaration, in real threads with their own database connections: two clerks
approving at once, one clerk's double click, an approval racing the applicant's withdrawal.
Exactly one wins, the other is refused with `stale` or `wrong_state`, and exactly one step is
written. The row lock (SELECT … FOR UPDATE) serialises them, and the state field's guard would
refuse the second even without it. PostgreSQL only: SQLite lets one writer in at a time, so there
these pass whatever the lock and the guard do; the guard alone is proven on SQLite by
tests/review/test_stale_transition.py.

Run on PostgreSQL:
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/xueshi .venv/bin/python -m pytest tests/review/test_concurrency.py
"""
from operator import attrgetter
from types import SimpleNamespace

import pytest

from accounts.models import Organisation, Role, User
from hours import services
from hours.models import Declaration
from workflow.models import Action, State
from hours.models import ReviewStep
from hours.transitions import declaration_approve, declaration_reject, declaration_submit, declaration_withdraw
from workflow.runner import WorkflowError
from tests.helpers import make_staff
from tests.hours.fixtures_views import free_span
from tests.races import at_once, on_postgresql
from tests.hours.fixtures_views import complete

ROUNDS = 3
PROFILE = {"gender": "男", "ethnicity": "土家族", "phone": "18899098765", "education": "硕士研究生",
           "title_sought": "高级工程师", "category": "工程技术", "specialty": "地质勘查"}


pytestmark = on_postgresql()


def race(*calls):
    """The calls at the same moment, each in its own thread and connection; each call gets a
    freshly read declaration and user, as two separate requests would. Per call either
    ("ok", declaration) or ("refused", code)."""
    return at_once(*calls, refused=WorkflowError, reason=attrgetter("code"))


def request(service, declaration_pk, user_pk, **kwargs):
    def prepare():
        declaration = Declaration.objects.get(pk=declaration_pk)
        user = User.objects.get(pk=user_pk)
        return lambda: service(declaration=declaration, user=user, **kwargs)

    return prepare


@pytest.fixture
def p(committed_demo):
    """The demo province, committed, so that every thread's connection sees it (the shared `demo`
    fixture keeps it in a transaction that is rolled back, visible to the main connection only)."""
    hn = Organisation.objects.get(name="湖南省人力资源和社会保障厅")
    return SimpleNamespace(
        song=User.objects.get(name="宋庆涛"),
        chen=User.objects.get(name="陈立新"),
        hn_clerk=User.objects.get(username="hn_clerk"),
        second_clerk=make_staff(username="hn_clerk2", role=Role.BUREAU_CLERK, organisation=hn, name="王晓燕"),
        hn=hn,
        dzy=Organisation.objects.get(name="湖南省地质院"),
    )


def at(p, state):
    """A fresh declaration of 宋庆涛's waiting at `state`, brought there through the services."""
    start, end = free_span(p.song)  # earlier rounds' declarations may still be open for theirs
    d = services.declaration_create(
        user=p.song, applicant=p.song, data={**PROFILE, "name": p.song.name}, start_year=start, end_year=end
    )
    record = services.year_record_add(declaration=d, user=p.song, year=start)
    services.item_add(year_record=record, user=p.song, activity="training", facts={"subject": "public", "days": 2, "half_days": 0})
    d = declaration_submit(declaration=complete(d), user=p.song, pledge=True)
    if state == State.BUREAU_REVIEW:
        d = declaration_approve(declaration=d, user=p.chen, next_org=p.hn)
    assert Declaration.objects.get(pk=d.pk).state == state
    return d


def steps(d, action):
    return ReviewStep.objects.filter(declaration_id=d.pk, action=action).count()


def one_winner(results, loser_codes=("stale", "wrong_state")):
    outcomes = sorted(r[0] for r in results)
    assert outcomes == ["ok", "refused"], results
    winner = next(i for i, r in enumerate(results) if r[0] == "ok")
    loser = results[1 - winner]
    assert loser[1] in loser_codes, results
    return winner


def test_two_clerks_approve_at_once(p):
    for _ in range(ROUNDS):
        d = at(p, State.BUREAU_REVIEW)
        results = race(
            request(declaration_approve, d.pk, p.hn_clerk.pk, opinion="同意"),
            request(declaration_approve, d.pk, p.second_clerk.pk, opinion="同意"),
        )
        winner = one_winner(results)
        row = Declaration.objects.get(pk=d.pk)
        assert row.state == State.APPROVED
        step = ReviewStep.objects.get(declaration_id=d.pk, action=Action.APPROVE, to_state=State.APPROVED)
        assert step.actor_id == (p.hn_clerk.pk, p.second_clerk.pk)[winner]
        assert steps(d, Action.APPROVE) == 2  # the unit's, and one of the clerks'


def test_double_click_by_the_same_clerk(p):
    for _ in range(ROUNDS):
        d = at(p, State.BUREAU_REVIEW)
        one_winner(race(
            request(declaration_approve, d.pk, p.hn_clerk.pk),
            request(declaration_approve, d.pk, p.hn_clerk.pk),
        ))
        assert Declaration.objects.get(pk=d.pk).state == State.APPROVED
        assert ReviewStep.objects.filter(declaration_id=d.pk, to_state=State.APPROVED).count() == 1


def test_double_click_at_the_unit(p):
    """The second click finds the item at the superior unit, out of the unit admin's reach: it is
    told the item was handled (stale), with or without the state the form carried."""
    for expected in (State.UNIT_REVIEW, None, State.UNIT_REVIEW):
        d = at(p, State.UNIT_REVIEW)
        one_winner(race(
            request(declaration_approve, d.pk, p.chen.pk, next_org=p.dzy, expected_state=expected),
            request(declaration_approve, d.pk, p.chen.pk, next_org=p.dzy, expected_state=expected),
        ), loser_codes=("stale",))
        row = Declaration.objects.get(pk=d.pk)
        assert (row.state, row.current_org_id) == (State.SUPERIOR_REVIEW, p.dzy.pk)
        assert steps(d, Action.APPROVE) == 1


def test_approve_racing_withdraw(p):
    seen = set()
    for _ in range(ROUNDS + 1):
        d = at(p, State.BUREAU_REVIEW)
        results = race(
            request(declaration_approve, d.pk, p.hn_clerk.pk),
            request(declaration_withdraw, d.pk, p.song.pk),
        )
        winner = one_winner(results)
        seen.add(winner)
        row = Declaration.objects.get(pk=d.pk)
        if winner == 0:
            assert row.state == State.APPROVED
            assert (steps(d, Action.WITHDRAW), ReviewStep.objects.filter(declaration_id=d.pk, to_state=State.APPROVED).count()) == (0, 1)
        else:
            assert row.state == State.DRAFT and row.current_org_id is None
            assert (steps(d, Action.WITHDRAW), ReviewStep.objects.filter(declaration_id=d.pk, to_state=State.APPROVED).count()) == (1, 0)


def test_approve_racing_reject(p):
    for _ in range(ROUNDS):
        d = at(p, State.BUREAU_REVIEW)
        results = race(
            request(declaration_approve, d.pk, p.hn_clerk.pk),
            request(declaration_reject, d.pk, p.second_clerk.pk, reason="证书与培训名称不符"),
        )
        winner = one_winner(results)
        row = Declaration.objects.get(pk=d.pk)
        assert row.state == (State.APPROVED, State.REJECTED)[winner]
        decided = ReviewStep.objects.filter(declaration_id=d.pk, from_state=State.BUREAU_REVIEW)
        assert decided.count() == 1 and decided.get().to_state == row.state
