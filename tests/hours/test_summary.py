"""The summary (hours/summary.py) kept by each transition agrees with a recount from the raw rows,
whatever sequence of submissions, approvals, rejections, withdrawals, revocations and moves between
units made it;
and each person's year agrees with what the 学时认定单 counts (certificates/selectors.py)."""
import random

import pytest

from accounts import services as accounts_services
from accounts.models import Membership
from certificates.selectors import approved_span
from hours import summary, transitions
from hours.models import Declaration, PersonYear, UnitYear
from tests.hours.fixtures_views import add_item, approved, at_state, complete, draft, p, media, submitted, year_with_training  # noqa: F401
from workflow.models import PENDING_STATES, State
from workflow.runner import WorkflowError

pytestmark = pytest.mark.django_db


def assert_agrees():
    counted, kept = summary.recount(), summary.stored()
    for model in summary.KEYS:
        assert kept[model] == counted[model], model.__name__


def assert_matches_certificates(people):
    for person in people:
        for row in PersonYear.objects.filter(person=person):
            span = approved_span(applicant=person, start_year=row.year, end_year=row.year).rows[0]
            assert (row.public, row.professional) == (span.public, span.professional)
            assert row.met == span.check.compliant
            assert row.required_total == span.check.required.total


def submit_new(person, rng, *, enough=None, **span):
    """A declaration whose first year meets the requirement half of the time (32 public + 64
    professional hours), else falls short (16 public)."""
    d = draft(person, **span)
    record, _ = year_with_training(d, person)
    if enough if enough is not None else rng.random() < 0.5:
        add_item(d, person, record, facts={"subject": "public", "days": 2, "half_days": 0, "title": "公需二"})
        add_item(d, person, record, facts={"subject": "professional", "days": 8, "half_days": 0, "title": "专业"})
    return transitions.declaration_submit(declaration=complete(d), user=person, pledge=True)


def reviewer_of(p, declaration):
    return {State.UNIT_REVIEW: p.chen, State.SUPERIOR_REVIEW: p.dzy_admin, State.BUREAU_REVIEW: p.hn_clerk}[declaration.state]


def next_org(p, declaration):
    return {State.UNIT_REVIEW: p.dzy, State.SUPERIOR_REVIEW: p.hn}.get(declaration.state)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_summary_agrees_with_a_recount_after_random_decisions(p, media, seed):
    rng = random.Random(seed)
    applicants = [p.song, p.zhao, p.li]
    for step in range(18):
        open_ones = list(Declaration.objects.filter(applicant__in=applicants, state__in=[*PENDING_STATES, State.REJECTED]))
        move = rng.choice(["submit", "decide", "decide", "decide", "withdraw", "resubmit", "move", "revoke"])
        try:
            if move == "submit" or not open_ones:
                person = rng.choice(applicants)
                end = rng.randint(2019, 2023)
                submit_new(person, rng, start_year=end - rng.randint(0, 1), end_year=end)
            elif move == "decide":
                d = rng.choice([d for d in open_ones if d.is_pending] or open_ones)
                if not d.is_pending:
                    continue
                if rng.random() < 0.25:
                    transitions.declaration_reject(declaration=d, user=reviewer_of(p, d), reason="材料不全")
                else:
                    transitions.declaration_approve(declaration=d, user=reviewer_of(p, d), next_org=next_org(p, d))
            elif move == "withdraw":
                d = rng.choice(open_ones)
                transitions.declaration_withdraw(declaration=d, user=d.applicant)
            elif move == "resubmit":
                d = rng.choice(open_ones)
                transitions.declaration_submit(declaration=d, user=d.applicant, pledge=True)
            elif move == "revoke":  # 撤销认定 of one year (or all) of an approved declaration
                done = list(Declaration.objects.filter(applicant__in=applicants, state=State.APPROVED))
                if not done:
                    continue
                d = rng.choice(done)
                years = [rng.choice(list(d.years))] if rng.random() < 0.5 else list(d.years)
                transitions.declaration_revoke(declaration=d, user=p.hn_clerk, years=years, reason="review_error", reason_text="审核错误")
            else:  # 李雪梅 moves to 湖南省地质院 and back: her years go with her
                person = p.li
                unit = p.dzy if person.organisation_id == p.dzyjs.pk else p.dzyjs
                membership = Membership.objects.create(person=person, organisation=unit)
                admin = p.dzy_admin if unit == p.dzy else p.chen
                accounts_services.membership_confirm(membership=membership, actor=admin)
                person.refresh_from_db()
        except WorkflowError:
            pass  # a refusal (a wrong state, a span already open) changes nothing, as the recount will say
        assert_agrees()
    # Then everything still waiting goes through, with one more year that meets the requirement.
    submit_new(p.zhao, rng, enough=True, start_year=2018, end_year=2018)
    while waiting := Declaration.objects.filter(applicant__in=applicants, state__in=PENDING_STATES).first():
        try:
            transitions.declaration_approve(declaration=waiting, user=reviewer_of(p, waiting), next_org=next_org(p, waiting))
        except WorkflowError:  # declared at the unit 李雪梅 moved to, which these reviewers do not hold
            transitions.declaration_withdraw(declaration=waiting, user=waiting.applicant)
    assert_agrees()
    assert_matches_certificates(applicants)
    # The sequence reached what it is meant to test: approvals that met the year.
    assert UnitYear.objects.filter(met__gt=0).exists()


def test_a_rebuild_gives_back_what_the_transitions_kept(p, media):
    approved(p)
    at_state(p, State.BUREAU_REVIEW, applicant=p.zhao)
    kept = summary.stored()
    summary.rebuild()
    assert summary.stored() == kept
    row = PersonYear.objects.get(person=p.song, year=2023)
    assert row.approved is not None and row.organisation_id == p.dzyjs.pk
    waiting = PersonYear.objects.get(person=p.zhao, year=2023)
    assert waiting.pending is not None and waiting.total == 0 and waiting.pending_public > 0


def test_working_days_skip_weekends():
    from datetime import datetime

    from django.utils import timezone
    friday = timezone.make_aware(datetime(2026, 12, 4, 10))
    assert summary.working_days_between(friday, timezone.make_aware(datetime(2026, 12, 7, 9))) == 1  # Monday
    assert summary.working_days_between(friday, timezone.make_aware(datetime(2026, 12, 14, 9))) == 6
    assert summary.working_days_between(friday, friday) == 0


def test_changing_a_rule_set_moves_the_requirements_it_sets(p, media):
    import copy

    from hours.models import RuleSet
    from hours.rulesets import rule_set_update

    d = approved(p)
    rule_set = RuleSet.objects.get(pk=d.rule_set_id)
    data = copy.deepcopy(rule_set.data)
    data["requirement"] = {"public": 10, "professional": 0, "total": 10}  # 16 public hours approved: now met
    rule_set_update(rule_set=rule_set, data=data, user=p.hn_clerk, note="要求调整")
    row = PersonYear.objects.get(person=p.song, year=d.start_year)
    assert (row.required_public, row.required_professional, row.required_total, row.met) == (10, 0, 10, True)
    assert_agrees()
