"""`manage.py seed_synthetic`: the synthetic province it writes at speed must look like one the
services would have built — valid identity numbers, a sound tree, states with the right holder,
totals that add up, steps that tell each declaration's history — and a second run must add to it."""
import json
import re
from collections import Counter, defaultdict
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db.models import Count, F, Sum
from django.utils import timezone
from stdnum.cn import ric, uscc

from accounts import services
from portal.management.commands.load_demo import load
from accounts.models import Membership, MembershipStatus, Nature, Organisation, OrganisationKind, Role, RoleGrant, User
from accounts.validators import validate_phone
from hours import rules
from hours.models import Declaration, Item, YearRecord
from hours.policies import policy_for
from workflow.models import PENDING_STATES, Action, State
from hours.models import ReviewStep
from tests.conftest import province_only

pytestmark = pytest.mark.django_db

N = 300
EXPECTED_STATES = {
    State.DRAFT: 45,
    State.UNIT_REVIEW: 75,
    State.SUPERIOR_REVIEW: 45,
    State.BUREAU_REVIEW: 75,
    State.APPROVED: 45,
    State.REJECTED: 15,
}


def seed(declarations=N, **options):
    out = StringIO()
    call_command("seed_synthetic", declarations=declarations, stdout=out, **options)
    return out.getvalue()


@pytest.fixture
def seeded():
    return seed(seed=20240613)


def test_counts(seeded):
    assert Declaration.objects.count() == N
    assert dict(Declaration.objects.values_list("state").annotate(n=Count("id"))) == EXPECTED_STATES
    assert YearRecord.objects.count() == 5 * N
    per_year = Counter(YearRecord.objects.annotate(n=Count("items")).values_list("n", flat=True))
    assert set(per_year) <= {1, 2}
    assert Item.objects.count() == sum(n * count for n, count in per_year.items())
    assert not Item.objects.exclude(activity="training").exists()
    for declaration in Declaration.objects.prefetch_related("year_records"):
        assert [r.year for r in declaration.year_records.all()] == list(range(declaration.start_year, declaration.end_year + 1))
        assert declaration.end_year - declaration.start_year == 4
    # Each person's latest declaration is for 2019–2023, an earlier one for the five years before:
    # never two open for one span (the constraint would refuse them).
    assert Declaration.objects.filter(start_year=2019).values("applicant").distinct().count() == User.objects.filter(declarations__isnull=False).distinct().count()
    assert Declaration.objects.filter(start_year=2014).exists()

    bureaus = Organisation.objects.filter(kind=OrganisationKind.BUREAU)
    assert bureaus.filter(depth=1).count() == 1 and bureaus.filter(depth=2).count() == 14
    units = Organisation.objects.filter(kind=OrganisationKind.UNIT)
    departments = Organisation.objects.filter(kind=OrganisationKind.DEPARTMENT)
    assert units.count() == 30  # the default: max(30, N / 50)
    assert departments.exists()
    assert {u.depth for u in units} <= {1, 2, 3} and units.filter(depth=3).exists()
    assert len(set(units.values_list("nature", flat=True))) >= 2

    # People: 0.8 N professionals, so some declare more than once; each confirmed in one unit.
    applicants = User.objects.filter(role_grants__role=Role.APPLICANT)
    assert applicants.count() == 240
    assert Declaration.objects.values("applicant").distinct().count() == 240
    assert Membership.objects.filter(status=MembershipStatus.ACTIVE).count() == 240
    unit_admins = set(RoleGrant.objects.filter(role=Role.UNIT_ADMIN).values_list("user", "organisation"))
    for person in applicants.select_related("organisation"):
        assert person.username == person.id_number
        membership = person.memberships.get()
        assert membership.organisation == person.organisation
        assert (membership.decided_by_id, membership.organisation_id) in unit_admins  # confirmed by its admin
        assert membership.requested_at < membership.decided_at < timezone.now()
    assert not Declaration.objects.exclude(organisation=F("applicant__organisation")).exists()

    # Staff: one administrator per unit and per department, clerks in every bureau, one password.
    for unit in units:
        assert RoleGrant.objects.filter(role=Role.UNIT_ADMIN, organisation=unit).count() == 1
        if unit.numchild:  # a superior unit's administrator reviews as its superior too
            assert RoleGrant.objects.filter(role=Role.DEPT_ADMIN, organisation=unit).count() == 1
    for department in departments:
        assert RoleGrant.objects.filter(role=Role.DEPT_ADMIN, organisation=department).count() == 1
    for bureau in bureaus:
        assert RoleGrant.objects.filter(role=Role.BUREAU_CLERK, organisation=bureau).count() >= 2
    staff = User.objects.filter(username__startswith="syn1-")
    clerks = RoleGrant.objects.filter(role=Role.BUREAU_CLERK).count()
    assert staff.count() == units.count() + departments.count() + clerks
    assert len(set(User.objects.values_list("password", flat=True))) == 1
    assert staff.first().check_password("Demo@2024")
    assert "完成，用时" in seeded


def test_identity_numbers_credit_codes_and_phones_are_valid_and_unique(seeded):
    people = list(User.objects.exclude(id_number=None))
    assert len(people) == 240
    for person in people:
        assert ric.validate(person.id_number) == person.id_number
        assert person.gender == ("男" if int(person.id_number[16]) % 2 else "女")
        assert person.id_number[:2] == "43"
    phones = [u.phone for u in User.objects.all()]
    assert len(phones) == len(set(phones))
    for phone in phones + list(Organisation.objects.values_list("contact_phone", flat=True)):
        validate_phone(phone)
    for org in Organisation.objects.all():
        assert uscc.validate(org.uscc) == org.uscc
        assert org.uscc[:2] in {"11", "12", "51", "52", "91"}
        if org.kind in (OrganisationKind.BUREAU, OrganisationKind.DEPARTMENT):
            assert org.uscc.startswith("11")
        elif org.nature == Nature.PUBLIC_INSTITUTION:
            assert org.uscc.startswith("12")
    # The declarations copy the applicant's data as it was declared.
    for declaration in Declaration.objects.select_related("applicant")[:50]:
        applicant = declaration.applicant
        assert (declaration.name, declaration.id_number, declaration.gender, declaration.phone) == (
            applicant.name, applicant.id_number, applicant.gender, applicant.phone)


def test_tree_is_sound(seeded):
    assert Organisation.objects.find_problems() == ([], [], [], [], [])
    for department in Organisation.objects.filter(kind=OrganisationKind.DEPARTMENT):
        below = Organisation.objects.get_descendants(department)
        assert below.exists()
        assert set(below.values_list("kind", flat=True)) == {OrganisationKind.UNIT}
        assert set(below.values_list("bureau", flat=True)) == {department.bureau_id}
        assert Organisation.objects.get_children(department).count() == department.numchild
    province = Organisation.objects.get(kind=OrganisationKind.BUREAU, depth=1)
    assert Organisation.objects.get_children(province).filter(kind=OrganisationKind.BUREAU).count() == 14
    for org in Organisation.objects.exclude(kind=OrganisationKind.BUREAU):
        assert org.bureau.kind == OrganisationKind.BUREAU
        assert not any(a.kind == OrganisationKind.BUREAU for a in Organisation.objects.get_ancestors(org))
    # The paths leave room for the services: treebeard adds roots and children after them.
    unit = Organisation.objects.filter(kind=OrganisationKind.UNIT, depth=2).first()
    child = services.organisation_create(name="新设分院", uscc=valid_uscc(), nature=Nature.PUBLIC_INSTITUTION, parent=unit)
    root = services.organisation_create(name="新设单位", uscc=valid_uscc(), nature=Nature.NON_PUBLIC, bureau=province)
    assert child.path.startswith(unit.path) and child.bureau == unit.bureau
    assert root.depth == 1 and root.path > max(Organisation.objects.exclude(pk=root.pk).values_list("path", flat=True))
    assert Organisation.objects.find_problems() == ([], [], [], [], [])


def valid_uscc():
    body = f"91430100MA4{Organisation.objects.count():06d}"
    return body + uscc.calc_check_digit(body)


def test_each_pending_declaration_is_held_where_its_state_says(seeded):
    declarations = Declaration.objects.select_related("organisation__bureau", "current_org")
    for d in declarations:
        if d.state == State.UNIT_REVIEW:
            assert d.current_org == d.organisation
        elif d.state == State.SUPERIOR_REVIEW:
            assert d.current_org.kind != OrganisationKind.BUREAU
            assert d.organisation.path.startswith(d.current_org.path) and d.current_org.depth < d.organisation.depth
        elif d.state == State.BUREAU_REVIEW:
            assert d.current_org == d.organisation.bureau
        else:
            assert d.current_org is None
        if d.state in PENDING_STATES:
            assert d.waiting_since is not None and d.decided_at is None
        if d.state in (State.APPROVED, State.REJECTED):
            assert d.decided_at is not None and d.waiting_since is None
        assert bool(d.rejection_reason) == (d.state == State.REJECTED)


def test_times_and_business_numbers(seeded):
    now = timezone.now()
    window = now - timezone.timedelta(days=60, minutes=1)
    numbers = set()
    for d in Declaration.objects.all():
        assert re.fullmatch(r"\d{15}", d.business_no)
        assert d.business_no == f"{timezone.localtime(d.created_at):%Y%m%d}{d.pk:07d}"  # as hours/services.py numbers
        numbers.add(d.business_no)
        if d.state == State.DRAFT:
            assert d.submitted_at is None and d.pledged_at is None and window <= d.created_at <= now
        else:
            assert window <= d.submitted_at <= now and d.created_at < d.submitted_at == d.pledged_at
        if d.waiting_since:
            assert d.submitted_at <= d.waiting_since <= now
    assert len(numbers) == N
    submitted = Declaration.objects.exclude(state=State.DRAFT)
    assert submitted.order_by("submitted_at").first().submitted_at < now - timezone.timedelta(days=40)


def test_totals_are_the_sums_of_the_items(seeded):
    policy = policy_for(Declaration.objects.first().rule_set)
    for item in Item.objects.select_related("year_record"):
        facts = item.facts
        hours = Decimal(8 * facts["days"] + 4 * facts["half_days"])
        credit = rules.credit(policy, item.activity, facts)
        assert (item.public_hours, item.professional_hours) == (credit.public, credit.professional)
        assert item.public_hours + item.professional_hours == hours > 0
        assert item.counted_year == facts["year"] == item.year_record.year == credit.year
    item_sums = {
        row["year_record"]: (row["p"], row["q"])
        for row in Item.objects.values("year_record").annotate(p=Sum("public_hours"), q=Sum("professional_hours"))
    }
    year_sums = defaultdict(lambda: [Decimal(0), Decimal(0)])
    for record in YearRecord.objects.all():
        assert (record.public_hours, record.professional_hours) == item_sums[record.pk]
        year_sums[record.declaration_id][0] += record.public_hours
        year_sums[record.declaration_id][1] += record.professional_hours
    for d in Declaration.objects.all():
        assert [d.total_public, d.total_professional] == year_sums[d.pk]


def test_steps_tell_each_declarations_history(seeded):
    grants = set(RoleGrant.objects.values_list("user", "role", "organisation"))
    steps = defaultdict(list)
    for step in ReviewStep.objects.order_by("created_at", "id"):
        steps[step.declaration_id].append(step)
    for d in Declaration.objects.select_related("organisation"):
        history = steps[d.pk]
        if d.state == State.DRAFT:
            assert history == []
            continue
        first = history[0]
        assert (first.action, first.from_state, first.to_state) == (Action.SUBMIT, State.DRAFT, State.UNIT_REVIEW)
        assert (first.actor_id, first.actor_role) == (d.applicant_id, Role.APPLICANT)
        assert first.organisation_id == first.next_org_id == d.organisation_id
        assert first.created_at == d.submitted_at
        assert sum(s.action == Action.SUBMIT for s in history) == 1
        for before, after in zip(history, history[1:]):
            assert after.from_state == before.to_state
            assert after.organisation_id == before.next_org_id  # the reviewer acts where it was sent
            assert after.created_at >= before.created_at
            assert (after.actor_id, after.actor_role, after.organisation_id) in grants
        last = history[-1]
        assert last.to_state == d.state
        if d.state in PENDING_STATES:
            assert last.next_org_id == d.current_org_id and last.created_at == d.waiting_since
        elif d.state == State.APPROVED:
            assert (last.action, last.actor_role, last.organisation_id) == (
                Action.APPROVE, Role.BUREAU_CLERK, d.organisation.bureau_id)
            assert last.created_at == d.decided_at
        else:
            assert last.action == Action.REJECT and last.opinion == d.rejection_reason
            assert last.created_at == d.decided_at
    assert ReviewStep.objects.filter(action=Action.SUBMIT).count() == N - EXPECTED_STATES[State.DRAFT]


def test_the_seeded_reviewers_can_act_through_the_workflow(seeded):
    """What waits at each level can be reviewed there, through hours/transitions.py, by the
    administrator or clerk the seeder made for that organisation."""
    from hours.transitions import declaration_approve, declaration_reject

    def waiting(state):
        return Declaration.objects.select_related("organisation__bureau").filter(state=state).first()

    def reviewer(declaration, role):
        return User.objects.filter(role_grants__role=role, role_grants__organisation=declaration.current_org).first()

    at_unit = waiting(State.UNIT_REVIEW)
    done = declaration_approve(declaration=at_unit, user=reviewer(at_unit, Role.UNIT_ADMIN),
                               next_org=at_unit.organisation.bureau, opinion="同意。")
    assert done.state == State.BUREAU_REVIEW and done.current_org == at_unit.organisation.bureau

    at_superior = waiting(State.SUPERIOR_REVIEW)
    done = declaration_reject(declaration=at_superior, user=reviewer(at_superior, Role.DEPT_ADMIN), reason="材料不全。")
    assert done.state == State.REJECTED

    at_bureau = waiting(State.BUREAU_REVIEW)
    done = declaration_approve(declaration=at_bureau, user=reviewer(at_bureau, Role.BUREAU_CLERK))
    assert done.state == State.APPROVED
    for declaration in (at_unit, at_superior, at_bureau):  # the new step continues the seeded history
        *seeded_steps, new = ReviewStep.objects.filter(declaration=declaration).order_by("created_at", "id")
        assert new.from_state == seeded_steps[-1].to_state and new.organisation_id == seeded_steps[-1].next_org_id


def test_running_twice_adds_a_second_province():
    first = seed(100, seed=5)
    second = seed(50, units=12, seed=5)  # the same seed must not produce the same numbers again
    assert "第 1 批" in first and "第 2 批" in second
    assert Declaration.objects.count() == 150
    assert Organisation.objects.filter(kind=OrganisationKind.BUREAU, depth=1).count() == 2
    assert Organisation.objects.filter(kind=OrganisationKind.UNIT).count() == 30 + 12
    assert User.objects.filter(username__startswith="syn2-").exists()
    assert Organisation.objects.find_problems() == ([], [], [], [], [])
    numbers = list(User.objects.exclude(id_number=None).values_list("id_number", flat=True))
    assert len(numbers) == len(set(numbers)) == 80 + 40


def test_seeding_on_top_of_the_demo_province():
    data = json.loads((Path(settings.BASE_DIR) / "fixtures" / "demo.json").read_text(encoding="utf-8"))
    load(province_only(data))  # the seeded declarations are the ones counted here
    before = Organisation.objects.count()
    seed(60, seed=1)
    assert Organisation.objects.find_problems() == ([], [], [], [], [])
    assert Organisation.objects.count() > before
    assert Declaration.objects.count() == 60
    assert User.objects.get(username="hn_clerk")  # the demo accounts are untouched


def test_zero_declarations_still_builds_the_province():
    out = seed(0, units=5, seed=3)
    assert Declaration.objects.count() == 0
    assert Organisation.objects.filter(kind=OrganisationKind.UNIT).count() == 5
    assert "完成" in out
