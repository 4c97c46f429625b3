"""Every URL the portal serves × every kind of visitor × objects of their own and of others.

The URLs come from Django's resolver: a named pattern missing from ACCESS fails the first test, so
a new page cannot escape the matrix. Each case names the URL, the visitor and the object, e.g.
`hours:declaration_detail-city_clerk-unit_case`. What is expected:

- anonymous visitors of a page that needs a login: 302 to the login page (Django's admin: to its own);
- signed-in visitors without the page's role: 403;
- with the role but not allowed that object (another applicant's declaration, another unit's filing,
  another department's or city's case): 404, so whether it exists is not revealed;
- POST-only views: GET answers 405; their POST is made for every visitor, and where it is refused
  the database and the stored files are exactly as before.
Views that take GET and POST are also POSTed by every visitor they refuse, with the same answer and
nothing changed; `post_refused` lists visitors who may see a page but not act on it."""
import pytest
from django.apps import apps
from django.urls import reverse

from tests.portal.test_every_url import quiet_request_log
from tests.security.access import (
    ACCESS, ADMIN_NAMES, ENDPOINTS, GET_REFUSED, OK, PARAMS, PORTAL_NAMES, REFUSALS, expected_answer, snapshot, url_kwargs,
)
from tests.security.conftest import ROLES

pytestmark = pytest.mark.django_db


def test_every_url_of_the_portal_is_in_the_matrix():
    """A new page must say who may open it: add it to ACCESS (or GET_REFUSED)."""
    assert None not in PORTAL_NAMES, [route for name, _, admin, route in ENDPOINTS if name is None and not admin]
    assert PORTAL_NAMES - set(ACCESS) - set(GET_REFUSED) == set(), "URLs missing from ACCESS"
    assert set(ACCESS) | set(GET_REFUSED) <= PORTAL_NAMES, "ACCESS names URLs that no longer exist"


def test_the_table_is_consistent():
    for name, access in ACCESS.items():
        for obj, expected in [*access.expect.items(), *access.post_refused.items()]:
            assert set(expected) <= access.guard, (name, obj, set(expected) - access.guard)
            assert (obj is None) == (not PARAMS[name]), (name, obj, "objects exactly where the URL takes parameters")
        if None in access.expect:
            assert set(access.expect[None]) == access.guard, (name, "every visitor who passes the guard needs an answer")
        assert not (access.post_only and access.post), name


CASES = [
    pytest.param(name, role, obj, id=f"{name}-{role}-{obj or 'page'}")
    for name, access in ACCESS.items()
    for obj in access.expect
    for role in ROLES
]


# --- the checks --------------------------------------------------------------------------------


def sign_in(client, world, role):
    user = world.users[role]
    if user is not None:
        client.force_login(user)


def visit(client, world, name, obj, method):
    kwargs = url_kwargs(world, obj)
    url = reverse(name, kwargs={k: kwargs[k] for k in PARAMS[name]})
    with quiet_request_log():
        return url, getattr(client, method)(url)


def check(response, url, status, name):
    assert response.status_code == status, f"{url}: {response.status_code}, expected {status}"
    if status == 302 and name not in {"accounts:login", "accounts:register", "accounts:otp_setup", "accounts:otp_verify", "hours:declaration_edit"}:
        # Every other 302 here is a visitor sent to sign in.
        assert response["Location"] == f"{reverse('accounts:login')}?next={url}", response["Location"]


@pytest.mark.parametrize("name, role, obj", CASES)
def test_get(client, world, name, role, obj):
    access = ACCESS[name]
    status, _ = expected_answer(access, role, obj, "get")
    sign_in(client, world, role)
    url, response = visit(client, world, name, obj, "get")
    if status == OK:
        assert response.status_code not in REFUSALS and response.status_code < 500, (url, response.status_code)
    else:
        check(response, url, status, name)


POST_CASES = [
    pytest.param(name, role, obj, id=f"{name}-{role}-{obj or 'page'}")
    for name, access in ACCESS.items()
    if access.post_only or access.post
    for obj in access.expect
    for role in ROLES
    if access.post_only or expected_answer(access, role, obj, "post")[1]
]


@pytest.mark.parametrize("name, role, obj", POST_CASES)
def test_post(client, world, name, role, obj):
    """POST with an empty form: refused POSTs change nothing, allowed ones are not refused."""
    access = ACCESS[name]
    status, refused = expected_answer(access, role, obj, "post")
    sign_in(client, world, role)
    # A visitor the guard turns away never reaches the view's code; the others are where a missed
    # check would write something, so the database and the files are compared for them.
    compare = role in access.guard
    before = snapshot() if compare else None
    url, response = visit(client, world, name, obj, "post")
    if status == OK:
        assert response.status_code not in {403, 404, 405} and response.status_code < 500, (url, response.status_code)
        if response.status_code == 302 and name != "accounts:logout":
            assert not response["Location"].startswith(reverse("accounts:login")), url
        return
    check(response, url, status, name)
    assert refused
    if compare:
        assert snapshot() == before, f"{url}: a refused POST changed something"


@pytest.mark.parametrize("name", GET_REFUSED)
def test_get_refused_endpoints(client, db, name):
    assert client.get(reverse(name)).status_code == GET_REFUSED[name]


# --- Django's admin: for the system administrator only -------------------------------------------


def admin_url(name, world):
    """The admin page with its parameters filled: an app label, or the id of a row that exists."""
    prefixes = {f"admin:{m._meta.app_label}_{m._meta.model_name}_": m for m in apps.get_models()}
    model = next((m for prefix, m in sorted(prefixes.items(), key=lambda i: -len(i[0])) if name.startswith(prefix)), None)
    first = model._default_manager.order_by("pk").values_list("pk", flat=True).first() if model else None
    values = {"app_label": "accounts", "content_type_id": "1"}
    kwargs = {p: values.get(p, str(first if first is not None else world.unit_case.pk)) for p in PARAMS[name]}
    return reverse(name, kwargs=kwargs)


# No portal role is staff (checked below), so one signed-in visitor stands for all of them: the
# province's clerk, who may see the most.
ADMIN_VISITORS = ("anonymous", "province_clerk", "sysadmin")
ADMIN_CASES = [pytest.param(name, role, id=f"{name}-{role}") for name in ADMIN_NAMES for role in ADMIN_VISITORS]


def test_only_the_system_administrator_is_staff(world):
    assert {role for role, user in world.users.items() if user is not None and user.is_staff} == {"sysadmin"}


@pytest.mark.parametrize("name, role", ADMIN_CASES)
def test_admin(client, world, name, role):
    user = world.users[role]
    if user is not None:
        client.force_login(user)
    url = admin_url(name, world)
    with quiet_request_log():
        response = client.get(url)
    if name == "admin:logout" and role == "sysadmin":
        assert response.status_code == 405  # signing out of the admin is a POST
    elif role == "sysadmin":
        # Pages for rows that are not there redirect; models without an add page answer 403.
        assert response.status_code < 500, (url, response.status_code)
        if name.endswith("_changelist") or name == "admin:index":
            assert response.status_code == 200, (url, response.status_code)
    elif name == "admin:logout":
        assert response.status_code == 302 and response["Location"] == reverse("admin:index")  # and from there to its login
    elif name == "admin:javascript-catalog":
        assert response.status_code == 200  # treebeard's translation catalogue: static text, for anyone
    elif name == "admin:login":
        assert response.status_code == 200
        assert "csrfmiddlewaretoken" in response.content.decode()
    else:
        # Django's admin sends everyone but staff to its own login page.
        assert response.status_code == 302 and response["Location"].startswith(reverse("admin:login")), (url, response.status_code)


# --- objects named in the POST body rather than the URL ------------------------------------------


@pytest.mark.parametrize("decision", ["approve", "reject"])
def test_a_batch_decision_on_cases_outside_the_clerks_area_changes_nothing(client, world, decision):
    """长沙's clerk ticks the province's and the institute's cases: each is refused, none moves."""
    client.force_login(world.users["city_clerk"])
    before = snapshot()
    ids = [world.bureau_case.pk, world.unit_case.pk, world.draft.pk]
    response = client.post(reverse("review:bureau_batch"), {"ids": ids, "decision": decision, "reason": "批量"})
    assert response.status_code == 200
    assert response.context["done"] == 0 and response.context["failed"] == len(ids)
    assert snapshot() == before


def test_a_filtered_batch_reaches_only_the_clerks_own_cases(client, world):
    """全部筛选结果 decides what the clerk's own list finds, whatever ids the form carries."""
    client.force_login(world.users["city_clerk"])
    before = snapshot()
    response = client.post(
        reverse("review:bureau_batch"),
        {"scope": "filtered", "filters": "", "confirmed": "on", "ids": [world.bureau_case.pk], "decision": "approve"},
    )
    # Nothing of 长沙's waits at its bureau: back to the list, and the province's case did not move.
    assert response.status_code == 302 and response["Location"].startswith(reverse("review:bureau_todo"))
    assert snapshot() == before
