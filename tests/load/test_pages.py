"""The load test's virtual users read links and forms off the real pages (load/pages.py): against
the demo province, what they read must be what a reviewer, a clerk or an applicant would submit,
and it must do what they mean. The ping page exists only in the load test's URLconf."""
import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from hours import services as hours_services
from hours.models import Item
from load.pages import approval, case_ids, items_after, pickable
from workflow.runner import next_level_choices
from workflow.models import State
from tests.hours.fixtures_views import *  # noqa: F401,F403


def signed_in(user):
    client = Client()
    client.force_login(user)
    return client


def approve_as_load_test(client, queue, declaration):
    """Queue → case page → the decision the virtual reviewer posts."""
    assert str(declaration.pk) in case_ids(client.get(queue).content.decode())
    case = reverse("review:case", args=[declaration.pk])
    form = approval(client.get(case).content.decode())
    return form, client.post(case, form)


def test_a_unit_administrator_forwards_to_the_superior_offered(p):
    d = submitted(p.song)
    superiors, _ = next_level_choices(d, d.organisation)
    form, response = approve_as_load_test(signed_in(p.chen), reverse("review:unit_queue"), d)
    assert form["next_type"] == "superior" and form["expected_state"] == State.UNIT_REVIEW
    assert form["next_org"] == str(superiors[0].pk)
    assert response.status_code == 302
    assert (fresh(d).state, fresh(d).current_org) == (State.SUPERIOR_REVIEW, superiors[0])


def test_a_superior_forwards_and_the_bureau_approves(p):
    d = at_state(p, State.SUPERIOR_REVIEW)
    form, response = approve_as_load_test(signed_in(p.dzy_admin), reverse("review:superior_queue"), d)
    assert response.status_code == 302 and form["expected_state"] == State.SUPERIOR_REVIEW
    d = fresh(d)
    assert d.state in (State.SUPERIOR_REVIEW, State.BUREAU_REVIEW) and d.current_org != p.dzy
    d = at_state(p, State.BUREAU_REVIEW, applicant=p.zhao)
    form, response = approve_as_load_test(signed_in(p.hn_clerk), reverse("review:bureau_todo"), d)
    assert "next_type" not in form and response.status_code == 302
    assert fresh(d).state == State.APPROVED


def test_an_approval_read_off_another_page_is_refused(p):
    """Had the case page changed beyond recognition, the post would fail loudly, not approve."""
    d = submitted(p.song)
    form = approval("<html>维护中</html>")
    assert "next_type" not in form
    response = signed_in(p.chen).post(reverse("review:case", args=[d.pk]), form)
    assert response.status_code == 302 and response["Location"].endswith("#decision-errors")  # back to the case, errors shown
    assert fresh(d).state == State.UNIT_REVIEW


def test_the_clerk_picks_what_the_todo_list_offers_and_batch_approves_it(p):
    waiting = [at_state(p, State.BUREAU_REVIEW, applicant=a) for a in (p.song, p.zhao)]
    client = signed_in(p.hn_clerk)
    ids = pickable(client.get(reverse("review:bureau_todo")).content.decode())
    assert {str(d.pk) for d in waiting} <= set(ids)
    response = client.post(reverse("review:bureau_batch"), {"ids": ids, "scope": "picked", "decision": "approve"})
    assert response.status_code == 200
    assert {fresh(d).state for d in waiting} == {State.APPROVED}


def test_the_applicant_finds_only_the_items_added_after_the_start(p):
    d = draft(p.song)
    record, old = year_with_training(d, p.song)
    client = signed_in(p.song)
    edit = reverse("hours:declaration_edit", args=[d.pk]) + f"?year={record.pk}"
    assert items_after(client.get(edit).content.decode(), old.pk) == []
    response = client.post(reverse("hours:item_add", args=[d.pk, record.pk]), {
        "activity": "training", "subject": "professional", "days": "2", "half_days": "1", "title": "压测专业科目研修班",
    })
    assert response.status_code == 302
    new = Item.objects.get(year_record=record, title="压测专业科目研修班")
    assert items_after(client.get(edit).content.decode(), old.pk) == [str(new.pk)]
    hours_services.item_delete(item=new, user=p.song)
    assert items_after(client.get(edit).content.decode(), old.pk) == []


@pytest.mark.urls("load.urls")
def test_the_ping_page_answers_without_touching_the_database(db):
    with CaptureQueriesContext(connection) as queries:
        response = Client().get("/load/ping")
    assert response.status_code == 200 and response.content == b"ok" and response["Content-Type"] == "text/plain"
    assert len(queries) == 0


def test_the_deployed_portal_has_no_ping_page(db):
    assert Client().get("/load/ping").status_code == 404
