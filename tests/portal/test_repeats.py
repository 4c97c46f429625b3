"""A form sent twice is carried out once (core/repeats.py): the second identical POST from the same
browser is answered with the first one's page and a message, in sequence and at the same moment.
Only a repeat of the visitor's last successful action is held back. The generated double-submit
test over every form of every role is tests/security/test_generated_input.py."""
import pytest
from django.test import Client
from django.urls import reverse

from hours.models import Declaration
from core.repeats import REPEATED
from workflow.models import State
from tests.hours.fixtures_views import *  # noqa: F403 - fixtures by name

NEW = "hours:declaration_new"


@pytest.mark.django_db
def test_a_double_click_on_save_makes_one_draft_and_says_so(client, p):
    client.force_login(p.song)
    first = client.post(reverse(NEW), form_data_for_new())
    second = client.post(reverse(NEW), form_data_for_new())
    assert Declaration.objects.filter(applicant=p.song).count() == 1
    assert first.status_code == second.status_code == 302 and second["Location"] == first["Location"]
    assert REPEATED in messages_of(client.get(second["Location"]))


@pytest.mark.django_db
def test_the_same_form_with_other_values_is_another_action(client, p):
    client.force_login(p.song)
    client.post(reverse(NEW), form_data_for_new(start_year="2022", end_year="2022"))
    client.post(reverse(NEW), form_data_for_new(start_year="2023", end_year="2023"))
    assert sorted(Declaration.objects.filter(applicant=p.song).values_list("start_year", flat=True)) == [2022, 2023]


@pytest.mark.django_db
def test_only_the_last_action_is_held_back(client, p, media):
    """Submit, withdraw, submit again: the second 提交 repeats no *last* action, so it is carried out."""
    declaration = complete_draft(p.song)
    client.force_login(p.song)
    submit = {"pledge": "on"}
    client.post(reverse("hours:declaration_submit", args=[declaration.pk]), submit)
    client.post(reverse("hours:declaration_withdraw", args=[declaration.pk]))
    assert Declaration.objects.get(pk=declaration.pk).state == State.DRAFT
    client.post(reverse("hours:declaration_submit", args=[declaration.pk]), submit)
    assert Declaration.objects.get(pk=declaration.pk).state == State.UNIT_REVIEW


@pytest.mark.django_db
def test_a_refused_form_is_answered_again_not_held_back(client, p):
    client.force_login(p.song)
    for _ in range(2):
        response = client.post(reverse(NEW), form_data_for_new(specialty=""))
        assert response.status_code == 200 and "specialty" in response.context["form"].errors
    assert not Declaration.objects.filter(applicant=p.song).exists()


@pytest.mark.django_db
def test_another_browser_is_not_held_back_by_this_one(p):
    """Two sessions are two visitors: the domain's own rules answer the second (one draft per span)."""
    one, other = Client(), Client()
    one.force_login(p.song)
    other.force_login(p.song)
    one.post(reverse(NEW), form_data_for_new())
    response = other.post(reverse(NEW), form_data_for_new())
    page = other.get(response["Location"]) if response.status_code == 302 else response
    assert REPEATED not in messages_of(page)
