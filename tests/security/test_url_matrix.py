"""Every URL the portal serves × every kind of visitor × objects of their own and of others.

The URLs come from Django's resolver: a named pattern missing from ACCESS fails the first test, so
a new page cannot escape the matrix. Each case names the URL, the visitor and the object, e.g.
`hours:declaration_detail-city_clerk-unit_case`. What is expected:

- anonymous visitors of a page that needs a login: 302 to the login page (Django's admin: to its own);
- signed-in visitors without the page's role: 403;
- with the role but not allowed that object (another applicant's declaration, another unit's filing,
  another department's or city's case): 404, so whether it exists is not revealed;
- allowed a page about an object: the page shows that object (access.py `identity`: its 业务编号 or
  name; a file its own bytes), so a page with another object, or an empty one, fails;
- POST-only views (found by their decorators): GET answers 405, checked once per view; their POST
  is made for every visitor, and where it is refused the database and the stored files are exactly
  as before.
Views that take GET and POST are also POSTed by every visitor they refuse, with the same answer and
nothing changed; `post_refused` lists visitors who may see a page but not act on it."""
from urllib.parse import quote, unquote

import pytest
from django.apps import apps
from django.urls import reverse

from tests.portal.test_every_url import quiet_request_log
from tests.security.access import (
    ACCESS, ADMIN_NAMES, API, ENDPOINTS, FRAGMENTS, GET_REFUSED, OK, PARAMS, PORTAL_NAMES, POST_ONLY, STORED_FILES, expected_answer,
    identities, identity, snapshot, url_kwargs,
)
from tests.security.conftest import ROLES

pytestmark = pytest.mark.django_db


def test_every_url_of_the_portal_is_in_the_matrix():
    """A new page must say who may open it: add it to ACCESS (or GET_REFUSED, or API)."""
    assert None not in PORTAL_NAMES, [route for name, _, admin, route, _ in ENDPOINTS if name is None and not admin]
    assert PORTAL_NAMES - set(ACCESS) - set(GET_REFUSED) - set(API) == set(), "URLs missing from ACCESS"
    assert set(ACCESS) | set(GET_REFUSED) | set(API) <= PORTAL_NAMES, "ACCESS names URLs that no longer exist"
    # GET_REFUSED skips the matrix's POST cases: only a view that checks its method by hand belongs there.
    assert set(GET_REFUSED) == {"verify:bulk"}


def test_the_table_is_consistent():
    for name, access in ACCESS.items():
        for obj, expected in [*access.expect.items(), *access.post_refused.items()]:
            assert set(expected) <= access.guard, (name, obj, set(expected) - access.guard)
            assert (obj is None) == (not PARAMS[name]), (name, obj, "objects exactly where the URL takes parameters")
        if None in access.expect:
            assert set(access.expect[None]) == access.guard, (name, "every visitor who passes the guard needs an answer")
        assert not (access.post_only and access.post), name
        # OK is what a POST gets: the views it stands in have no page to GET.
        assert access.post_only or OK not in {s for expected in access.expect.values() for s in expected.values()}, name


def test_the_tables_post_only_views_are_the_decorated_ones():
    """Access.post_only says what the views' decorators do (require_POST, and where it stands)."""
    assert {name: access.post_only for name, access in ACCESS.items() if access.post_only} == POST_ONLY


def test_the_objects_of_a_page_are_told_apart(world):
    """Each object a page is allowed for has its own identity, none within another's: the page of
    one cannot pass for another's."""
    for name, access in ACCESS.items():
        if name in STORED_FILES or name in FRAGMENTS:
            continue
        allowed = [obj for obj, expected in access.expect.items() if obj and 200 in expected.values()]
        assert all(identity(world, obj) for obj in allowed), (name, allowed)
        # Against every object of the same kind in the world, not only this page's: a page answering
        # with another one must not show the expected text inside that object's own.
        clashes = [
            (obj, other) for obj in allowed for other, text in identities(world).items()
            if other != obj and type(getattr(world, other)) is type(getattr(world, obj)) and identity(world, obj) in text
        ]
        assert not clashes, (name, clashes)


# A POST-only view's GET answers 405 the same for every visitor and object its method check lets
# reach it: that is test_get_of_a_post_only_view, once per view.
CASES = [
    pytest.param(name, role, obj, id=f"{name}-{role}-{obj or 'page'}")
    for name, access in ACCESS.items()
    for obj in access.expect
    for role in ROLES
    if expected_answer(access, role, obj, "get")[0] != 405
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
    if status == 302 and name not in {
        "accounts:login", "accounts:register", "accounts:password_forgot", "accounts:password_reset", "accounts:otp_setup",
        "accounts:otp_verify", "hours:declaration_edit",
    }:
        # Every other 302 here is a visitor sent to sign in.
        assert response["Location"] == f"{reverse('accounts:login')}?next={url}", response["Location"]


def check_shows(response, url, world, name, obj):
    """An allowed page about an object shows that object: not another one, not an empty page."""
    if name in STORED_FILES:
        with STORED_FILES[name](world, obj).open("rb") as stored:
            assert b"".join(response.streaming_content) == stored.read(), f"{url}: not the object's own file"
        return
    expected = FRAGMENTS[name](world, obj) if name in FRAGMENTS else identity(world, obj)
    if response.has_header("Content-Disposition"):
        shown = unquote(response["Content-Disposition"])
    else:
        # The page's own content only: not its menu, and not its own address (大字模式's next), plain
        # or quoted, so a number in the URL does not count.
        page = response.content.decode()
        main = page.partition("<main")[2].partition("</main>")[0] or page
        shown = main.replace(url, "").replace(quote(url), "").replace(quote(url, safe=""), "")
    assert expected in shown, f"{url}: {expected} is not shown"


@pytest.mark.parametrize("name, role, obj", CASES)
def test_get(client, world, name, role, obj):
    access = ACCESS[name]
    status, refused = expected_answer(access, role, obj, "get")
    sign_in(client, world, role)
    url, response = visit(client, world, name, obj, "get")
    check(response, url, status, name)
    if status == 200 and obj is not None:
        check_shows(response, url, world, name, obj)
    elif status == 302 and not refused and name == "hours:declaration_edit":
        # Reviewers who may see the declaration are sent to its detail page.
        detail = reverse("hours:declaration_detail", kwargs={"pk": url_kwargs(world, obj)["pk"]})
        assert response["Location"] == detail, response["Location"]


@pytest.mark.parametrize("name", sorted(POST_ONLY))
def test_get_of_a_post_only_view(client, world, name):
    """GET answers 405, naming POST. Where the method check comes first, even to a visitor not
    signed in; where it follows the guard, to a visitor who passes it (allowed the object if any is)."""
    access = ACCESS[name]
    obj = next(iter(access.expect))
    if POST_ONLY[name] == "outer":
        role = "anonymous"
    else:
        role = next((r for r in ROLES if access.expect[obj].get(r) == OK), next(r for r in ROLES if r in access.guard))
    sign_in(client, world, role)
    url, response = visit(client, world, name, obj, "get")
    assert response.status_code == 405, (url, role, response.status_code)
    assert "POST" in response["Allow"] and "GET" not in response["Allow"], response["Allow"]


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


API_CASES = [pytest.param(name, role, id=f"{name}-{role}") for name in API for role in ROLES]


@pytest.mark.parametrize("name, role", API_CASES)
def test_api_urls(client, world, name, role):
    """A session is no key: each role gets the API's own answer, and its writes change nothing."""
    sign_in(client, world, role)
    kwargs = {"record_id": "R-1"} if PARAMS[name] else {}
    url = reverse(name, kwargs=kwargs)
    before = snapshot()
    with quiet_request_log():
        answers = [client.get(url), client.post(url, "{}", content_type="application/json"), client.delete(url)]
    expected = API[name]
    assert answers[0].status_code == expected, (url, answers[0].status_code)
    if expected == 401:
        assert all(a.status_code in (401, 405) for a in answers), (url, [a.status_code for a in answers])
        assert answers[0]["WWW-Authenticate"] == "Bearer"
    else:
        assert all(a.status_code in (expected, 405) for a in answers[1:]), (url, [a.status_code for a in answers])
    assert snapshot() == before


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
