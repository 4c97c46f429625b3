"""Audit completeness (issue 8, item 5): the browser journeys replayed through the services their
views call. Every state change of a declaration leaves exactly one audit step, with the same
from- and to-state, chained from 待提交 to where the declaration now stands; refused attempts leave
neither. No step can then be changed or deleted: not by any URL of the portal, whoever asks, not in
the admin, not even by a superuser, and not by deleting what a step points to.

The state changes are observed independently of the steps, through django-fsm's post_transition
signal, which fires for every transition method called."""
import pytest
from django.contrib.auth.models import Permission
from django.db.models import ProtectedError
from django_fsm.signals import post_transition

from accounts.models import User
from review import services as review_services
from hours import transitions
from workflow.runner import WorkflowError
from workflow.models import State
from hours.models import FilingStep, ReviewStep
from tests.conftest import DEMO_ACCOUNTS
from tests.hours.fixtures_views import complete, complete_draft, media, p  # noqa: F401 - media and p are fixtures
from tests.portal.test_every_url import quiet_request_log, signed_in, urls_to_visit

pytestmark = pytest.mark.django_db


@pytest.fixture
def state_changes():
    seen = []

    def record(sender, instance, name, source, target, **kwargs):
        if sender._meta.model_name == "declaration":
            seen.append((instance.pk, source, target))

    post_transition.connect(record, weak=False)
    yield seen
    post_transition.disconnect(record)


def refused(call):
    with pytest.raises(WorkflowError):
        call()


@pytest.fixture
def journeys(p, media, state_changes):
    """The journeys of tests/e2e/test_journeys.py and test_accessibility.py, with the refusals a
    careless click would meet on the way."""
    zhao, li, song = (complete_draft(person) for person in (p.zhao, p.li, p.song))

    # The whole life: unit → supervising department → bureau, approved in one batch with two others.
    refused(lambda: transitions.declaration_submit(declaration=complete(zhao), user=p.zhao, pledge=False))
    zhao = transitions.declaration_submit(declaration=complete(zhao), user=p.zhao, pledge=True, ip="10.0.0.1")
    refused(lambda: transitions.declaration_approve(declaration=zhao, user=p.zrzy_admin, next_org=p.hn))  # not at its level yet
    zhao = transitions.declaration_approve(declaration=zhao, user=p.chen, next_org=p.zrzy, opinion="同意")
    refused(lambda: transitions.declaration_approve(declaration=zhao, user=p.chen, next_org=p.zrzy, expected_state=State.UNIT_REVIEW))
    zhao = transitions.declaration_approve(declaration=zhao, user=p.zrzy_admin, next_org=p.hn, opinion="同意")
    for other in (li, song):
        other = transitions.declaration_submit(declaration=complete(other), user=other.applicant, pledge=True)
        other = transitions.declaration_approve(declaration=other, user=p.chen, next_org=p.dzy)
        transitions.declaration_approve(declaration=other, user=p.dzy_admin, next_org=p.hn)
    transitions.declaration_accept(declaration=zhao, user=p.hn_clerk)  # 受理 is not a state change
    results = review_services.declaration_batch_decide(user=p.hn_clerk, ids=[zhao.pk, li.pk, song.pk, zhao.pk], decision="approve")
    assert [r.ok for r in results] == [True, True, True]
    refused(lambda: transitions.declaration_withdraw(declaration=zhao, user=p.zhao))

    # Rejection at the unit and at the bureau, each followed by a resubmission.
    wang = complete_draft(p.wang)
    wang = transitions.declaration_submit(declaration=complete(wang), user=p.wang, pledge=True)
    refused(lambda: transitions.declaration_reject(declaration=wang, user=p.dzcl_admin, reason=""))
    wang = transitions.declaration_reject(declaration=wang, user=p.dzcl_admin, reason="结业证书不清晰")
    wang = transitions.declaration_submit(declaration=complete(wang), user=p.wang, pledge=True)
    wang = transitions.declaration_approve(declaration=wang, user=p.dzcl_admin, next_org=p.hn)
    wang = transitions.declaration_reject(declaration=wang, user=p.hn_clerk, reason="学时证明与培训记录不符")
    wang = transitions.declaration_submit(declaration=complete(wang), user=p.wang, pledge=True)

    # Withdrawal at the unit, and again at the bureau after resubmitting.
    zhang = complete_draft(p.zhang)
    zhang = transitions.declaration_submit(declaration=complete(zhang), user=p.zhang, pledge=True)
    refused(lambda: transitions.declaration_withdraw(declaration=zhang, user=p.song))
    zhang = transitions.declaration_withdraw(declaration=zhang, user=p.zhang)
    refused(lambda: transitions.declaration_withdraw(declaration=zhang, user=p.zhang))
    zhang = transitions.declaration_submit(declaration=complete(zhang), user=p.zhang, pledge=True)
    zhang = transitions.declaration_approve(declaration=zhang, user=p.hnsd_admin, next_org=p.hn)
    zhang = transitions.declaration_withdraw(declaration=zhang, user=p.zhang)
    return [zhao, li, song, wang, zhang]


def assert_every_change_has_one_step(declarations, state_changes):
    for d in declarations:
        d.refresh_from_db()
        changes = [(source, target) for pk, source, target in state_changes if pk == d.pk]
        steps = list(ReviewStep.objects.filter(declaration=d).order_by("created_at", "id"))
        assert [(s.from_state, s.to_state) for s in steps] == changes, f"{d.business_no}：状态变化与审核记录不一一对应"
        chain = [State.DRAFT] + [s.to_state for s in steps]
        assert [s.from_state for s in steps] == chain[:-1], f"{d.business_no}：审核记录前后状态不衔接"
        assert chain[-1] == d.state
        for step in steps:
            assert step.actor_id and step.actor_role and step.created_at, f"{d.business_no}：审核记录缺少经办人、角色或时间"


def test_every_state_change_of_the_journeys_has_exactly_one_step(journeys, state_changes, p):
    zhao, li, song, wang, zhang = journeys
    assert_every_change_has_one_step(journeys, state_changes)
    assert len(state_changes) == ReviewStep.objects.count()  # and no step without a state change
    assert [s.action for s in zhao.steps.all()] == ["submit", "approve", "approve", "approve"]
    assert [s.to_state for s in zhao.steps.all()] == [State.UNIT_REVIEW, State.SUPERIOR_REVIEW, State.BUREAU_REVIEW, State.APPROVED]
    assert zhao.steps.first().ip_address == "10.0.0.1"
    assert [s.action for s in wang.steps.all()] == ["submit", "reject", "submit", "approve", "reject", "submit"]
    assert [s.action for s in zhang.steps.all()] == ["submit", "withdraw", "submit", "approve", "withdraw"]
    assert (zhang.state, wang.state, li.state, song.state) == (State.DRAFT, State.UNIT_REVIEW, State.APPROVED, State.APPROVED)


def test_the_comparison_notices_a_change_without_its_step(journeys, state_changes):
    """The check above can fail: a transition whose step went missing is reported."""
    state_changes.append((journeys[0].pk, State.APPROVED, State.REJECTED))
    with pytest.raises(AssertionError, match="不一一对应"):
        assert_every_change_has_one_step(journeys[:1], state_changes)


def snapshot():
    return {row["id"]: row for row in ReviewStep.objects.order_by("id").values()}


# The fields a form anywhere in the portal might read: enough for every decision, submit and withdraw to go through.
EAGER_FORM = {
    "decision": "reject", "reason": "测试", "opinion": "测试", "pledge": "on", "next_type": "bureau", "confirmed": "1",
    "scope": "selected",
}


# Between them these hold every role that can act on a declaration (陈立新 is an applicant and his
# unit's administrator, 黄海燕 administers a unit and a superior unit).
ACTING_ACCOUNTS = ["applicant_unit_admin", "unit_and_dept_admin", "dept_admin", "bureau_clerk", "sysadmin"]


@pytest.mark.parametrize("kind", ACTING_ACCOUNTS)
def test_no_portal_url_changes_or_deletes_a_step(client, demo, journeys, state_changes, kind):
    """Every URL, filled with the ids of the declarations (each end state) and of steps, POSTed (and
    DELETEd) with a form eager to act: new steps may appear (the workflow's own, each matching a
    state change), the existing ones stay exactly as they were."""
    before = snapshot()
    ids = sorted({str(d.pk) for d in journeys} | {str(min(before)), str(max(before))}, key=int)
    user = demo.account(kind)
    data = {**EAGER_FORM, "ids": [d.pk for d in journeys]}
    with quiet_request_log():
        for name, url in urls_to_visit(ids=ids):
            if url.startswith("/admin/") or name in ("accounts:logout",):
                continue
            if not signed_in(client):
                client.force_login(user)
            client.post(url, data)
            client.delete(url)
    after = snapshot()
    assert {pk: after.get(pk) for pk in before} == before, "已有的审核记录被修改或删除"
    assert_every_change_has_one_step(journeys, state_changes)


def test_steps_refuse_changes_and_deletion_in_code(journeys):
    step = journeys[0].steps.first()
    step.opinion = "改过的意见"
    with pytest.raises(ValueError, match="只能新增"):
        step.save()
    with pytest.raises(ValueError, match="不能删除"):
        step.delete()
    with pytest.raises(ValueError, match="只能新增"):
        ReviewStep.objects.filter(pk=step.pk).update(opinion="改过的意见")
    with pytest.raises(ValueError, match="不能删除"):
        ReviewStep.objects.all().delete()
    # Nor by deleting what the steps point to: the declaration, the person who acted.
    with pytest.raises(ProtectedError):
        journeys[0].delete()
    with pytest.raises(ProtectedError):
        step.actor.delete()
    assert ReviewStep.objects.get(pk=step.pk).opinion == ""


@pytest.fixture
def superuser(demo):
    return User.objects.create_superuser(username="root_admin", password="x", name="超级管理员")


@pytest.fixture
def staff_with_every_step_permission(demo):
    """A staff account granted add/change/delete/view on the steps: the admin must still refuse."""
    user = User.objects.create_user(username="audit_staff", password="x", name="审计员", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="hours", content_type__model__in=["reviewstep", "filingstep"]))
    return user


@pytest.mark.parametrize("who", ["sysadmin", "superuser", "staff_with_every_step_permission"])
def test_the_admin_shows_steps_but_never_changes_or_deletes_them(client, demo, journeys, request, who):
    user = demo.account("sysadmin") if who == "sysadmin" else request.getfixturevalue(who)
    client.force_login(user)
    step = journeys[0].steps.first()
    before = snapshot()
    base = "/admin/hours/reviewstep/"

    listing = client.get(base)
    assert listing.status_code == 200
    assert journeys[0].business_no in listing.content.decode()
    assert "delete_selected" not in listing.content.decode()
    page = client.get(f"{base}{step.pk}/change/")
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()

    assert client.post(f"{base}{step.pk}/change/", {"opinion": "改过的意见", "_save": "1"}).status_code == 403
    assert client.get(f"{base}{step.pk}/delete/").status_code == 403
    assert client.post(f"{base}{step.pk}/delete/", {"post": "yes"}).status_code == 403
    assert client.get(f"{base}add/").status_code == 403
    client.post(base, {"action": "delete_selected", "_selected_action": [step.pk], "post": "yes"})
    assert client.get("/admin/hours/filingstep/").status_code == 200
    assert client.post("/admin/hours/filingstep/add/", {}).status_code == 403
    assert snapshot() == before


def test_the_admin_cannot_delete_the_people_or_units_the_steps_name(client, demo, journeys):
    client.force_login(demo.account("sysadmin"))
    before = snapshot()
    applicant, unit = journeys[0].applicant, journeys[0].organisation
    for url in (f"/admin/accounts/user/{applicant.pk}/delete/", f"/admin/accounts/organisation/{unit.pk}/delete/"):
        page = client.get(url)
        assert page.status_code == 200
        assert "<title>无法删除" in page.content.decode()  # Django's page listing the protected objects
        client.post(url, {"post": "yes"})
    assert User.objects.filter(pk=applicant.pk).exists()
    assert snapshot() == before


@pytest.mark.parametrize("kind", [k for k in DEMO_ACCOUNTS if k != "sysadmin"])
def test_nobody_else_reaches_the_steps_in_the_admin(client, demo, journeys, kind):
    client.force_login(demo.account(kind))
    step = journeys[0].steps.first()
    for url in ("/admin/hours/reviewstep/", f"/admin/hours/reviewstep/{step.pk}/change/", f"/admin/hours/reviewstep/{step.pk}/delete/"):
        response = client.post(url, {"post": "yes", "opinion": "改过的意见"})
        assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert ReviewStep.objects.filter(pk=step.pk).exists()
    assert FilingStep.objects.count() == 0
