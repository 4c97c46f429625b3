"""The declaration's identity — 姓名, 证件号码, and 性别 which follows from the number — is the
account's: shown on step 6 but not editable there, and taken from the account by the services
whatever is posted, for the applicant's own declarations and for those a unit declares for them."""
import importlib

from django.apps import apps
from django.urls import reverse

from hours import services
from hours.models import Declaration
from workflow.models import State
from tests.hours.fixtures_views import *  # noqa: F401,F403

IDENTITY = ("name", "id_number", "gender")


def identity(declaration):
    return tuple(getattr(declaration, f) for f in IDENTITY)


def account_identity(user):
    return (user.name, user.id_number, user.gender)


def test_step_6_shows_the_accounts_name_and_gender_without_letting_them_change(client, p):
    client.force_login(p.song)
    form = client.get(reverse("hours:declaration_new")).context["form"]
    for field in IDENTITY:
        assert form.fields[field].disabled, field
    assert (form["name"].value(), form["gender"].value()) == ("宋庆涛", "男")


def test_a_posted_name_gender_and_number_are_ignored_on_a_new_declaration(client, p):
    client.force_login(p.song)
    posted = form_data_for_new(name="王五六", gender="女", id_number="43012119720808109X")
    response = client.post(reverse("hours:declaration_new"), posted)
    assert response.status_code == 302, response.context["form"].errors
    assert identity(Declaration.objects.get(applicant=p.song)) == account_identity(p.song)


def test_a_posted_name_is_ignored_when_the_declaration_is_edited(client, p):
    d = draft(p.song)
    client.force_login(p.song)
    url = reverse("hours:declaration_applicant_edit", args=[d.pk])
    response = client.post(url, form_data_for_new(name="王五六", gender="女", specialty="岩土工程"))
    assert response.status_code == 302, response.context["form"].errors
    d.refresh_from_db()
    assert identity(d) == account_identity(p.song) and d.specialty == "岩土工程"


def test_the_services_take_the_identity_from_the_account(p):
    d = services.declaration_create(
        user=p.song, applicant=p.song, data={**PROFILE, "name": "王五六", "gender": "女"}, start_year=2022, end_year=2022
    )
    assert identity(d) == account_identity(p.song)
    d = services.declaration_update(declaration=d, user=p.song, data={**PROFILE, "name": "赵六"}, start_year=2022, end_year=2022)
    assert identity(Declaration.objects.get(pk=d.pk)) == account_identity(p.song)


def test_a_unit_declaring_for_someone_cannot_change_their_name(client, p):
    client.force_login(p.chen)
    response = client.post(reverse("hours:proxy_new", args=[p.zhao.pk]), form_data_for_new(name="王五六", gender="女"))
    assert response.status_code == 302, response.context["form"].errors
    assert identity(Declaration.objects.get(applicant=p.zhao)) == account_identity(p.zhao)


def test_the_edit_page_shows_the_account_after_a_name_is_corrected(client, p):
    """A name corrected on the account (the system administrator's 用户 page) reaches a draft when it is saved again."""
    d = draft(p.song)
    type(p.song).objects.filter(pk=p.song.pk).update(name="宋清涛")
    client.force_login(p.song)
    url = reverse("hours:declaration_applicant_edit", args=[d.pk])
    assert client.get(url).context["form"]["name"].value() == "宋清涛"
    client.post(url, form_data_for_new())
    d.refresh_from_db()
    assert d.name == "宋清涛"


# --- declarations made before: the migration ---------------------------------------------------------


def test_open_declarations_take_the_accounts_identity_and_approved_ones_keep_theirs(p):
    open_ones = [draft(p.song, start_year=2021, end_year=2021), submitted(p.zhao), rejected(p, start_year=2019, end_year=2019)]
    kept = approved(p, start_year=2020, end_year=2020)
    Declaration.objects.update(name="王五六", gender="女")
    importlib.import_module("hours.migrations.0015_declaration_identity_from_account").identity_from_account(apps, None)
    for d in open_ones:
        d = Declaration.objects.get(pk=d.pk)
        assert identity(d) == account_identity(d.applicant), d.state
    kept = Declaration.objects.get(pk=kept.pk)
    assert kept.state == State.APPROVED and (kept.name, kept.gender) == ("王五六", "女")
