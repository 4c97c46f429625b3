"""CSRF: every form that posts carries the token, and every view that takes a POST refuses one
without it (403, nothing changed), found from the URL matrix (its POST-taking views) and from
the forms on every page. The one exemption is the JSON endpoint /verify/bulk/, which has no side
effects."""
import re
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.urls import Resolver404, resolve, reverse

from tests.security.conftest import ROLES
from tests.security.test_headers import PAGES, first_visitor
from tests.security.access import ACCESS, OK, PARAMS, snapshot, url_kwargs

pytestmark = pytest.mark.django_db

FORM = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.S | re.I)
TOKEN = re.compile(r'<input type="hidden" name="csrfmiddlewaretoken" value="[^"]+">')


@pytest.fixture
def strict(world):
    """A client that checks CSRF tokens as browsers meet them (the test client skips it by default)."""
    return Client(enforce_csrf_checks=True)


def allowed_poster(access):
    """(role, object) of a visitor whose POST the view would act on."""
    for obj, expected in access.expect.items():
        for role in ROLES:
            if role == "anonymous" and access.guard != frozenset(ROLES):
                continue
            if role in access.guard and expected.get(role) in (OK, 200, 302):
                return role, obj
    return None


POSTED = [name for name, access in ACCESS.items() if (access.post or access.post_only) and allowed_poster(access)]


def url_of(world, name, obj):
    kwargs = url_kwargs(world, obj)
    return reverse(name, kwargs={k: kwargs[k] for k in PARAMS[name]})


@pytest.mark.parametrize("name", POSTED)
def test_a_post_without_the_token_is_refused_and_changes_nothing(strict, world, name):
    role, obj = allowed_poster(ACCESS[name])
    if world.users[role] is not None:
        strict.force_login(world.users[role])
    before = snapshot()
    response = strict.post(url_of(world, name, obj), {"opinion": "同意", "decision": "approve"})
    assert response.status_code == 403, name
    assert "CSRF" in response.content.decode()
    assert snapshot() == before


def test_the_token_is_what_lets_a_post_through(strict, world):
    """The refusal above is the missing token, not the visitor: the same POST with it is taken."""
    strict.force_login(world.users["applicant"])
    page = strict.get(reverse("accounts:profile"))
    token = TOKEN.search(page.content.decode())[0].split('value="')[1].rstrip('">')
    response = strict.post(reverse("accounts:membership_move"), {"csrfmiddlewaretoken": token, "move-organisation": ""})
    assert response.status_code == 302


def post_forms(html):
    for attrs, body in FORM.findall(html):
        if re.search(r"""method\s*=\s*["']?post""", attrs, re.I):
            action = re.search(r'action="([^"]*)"', attrs)
            yield (action[1] if action else None), body


@pytest.mark.parametrize("name", PAGES)
def test_every_form_on_every_page_carries_the_token_and_posts_to_a_protected_view(strict, world, name):
    role, obj = first_visitor(ACCESS[name])
    if world.users[role] is not None:
        strict.force_login(world.users[role])
    url = url_of(world, name, obj)
    response = strict.get(url)
    if not response["Content-Type"].startswith("text/html"):
        return
    for action, body in post_forms(response.content.decode()):
        assert TOKEN.search(body), f"{url}: a form posting to {action or 'itself'} has no csrfmiddlewaretoken"
        target = urlsplit(action).path if action else url
        try:
            match = resolve(target)
        except Resolver404:
            pytest.fail(f"{url}: a form posts to {target}, which no view serves")
        assert not getattr(match.func, "csrf_exempt", False), f"{url}: the form's target {target} is CSRF-exempt"


def test_bulk_verification_is_the_one_exempt_view_and_has_no_side_effects(strict, world):
    """…besides the API's records endpoints (django-ninja exempts them): their one credential is an
    Authorization header, which no browser sends on its own, and a session gets 401 there
    (test_url_matrix.py test_api_urls)."""
    exempt = sorted(name for name in PARAMS if not name.startswith("admin:") and getattr(resolve_name(name), "csrf_exempt", False))
    assert exempt == ["api:push", "api:record_detail", "api:record_list", "api:record_withdraw", "verify:bulk"]
    before = snapshot()
    response = strict.post(
        reverse("verify:bulk"), {"numbers": [world.certificate.number, "XS2024-0000-0000-0000"]}, content_type="application/json"
    )
    assert response.status_code == 200
    assert [r["status"] for r in response.json()["results"]] == ["genuine", "unknown"]
    assert snapshot() == before
    assert not response.cookies.get("sessionid")


def resolve_name(name):
    access_kwargs = {p: "1" for p in PARAMS[name]}
    if "number" in access_kwargs:
        access_kwargs["number"] = "XS2024-0000-0000-0000"
    return resolve(reverse(name, kwargs=access_kwargs)).func
