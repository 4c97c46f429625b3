"""Every URL the portal serves answers every kind of visitor without a server error.

The list is built by walking Django's URL resolver, so pages added later are covered without
editing this file. Parameters are filled with ids that exist (the smallest id of each of the
project's tables) and with one that does not (999999)."""
import logging
import uuid
from contextlib import contextmanager

import pytest
from django.apps import apps
from django.conf import settings
from django.http import HttpResponse
from django.urls import URLPattern, URLResolver, get_resolver, include, path, re_path, reverse
from django.utils.regex_helper import normalize

from accounts.models import Membership
from tests.conftest import DEMO_ACCOUNTS
from tests.helpers import PROJECT_APPS

pytestmark = pytest.mark.django_db

MISSING_ID = "999999"
# Tried, in order, for parameters that do not take an id.
SAMPLE_VALUES = ["x", "2024", str(uuid.UUID(int=1)), "x/y"]


def endpoints(patterns, chain=()):
    """Every endpoint as the chain of patterns leading to it. The admin site's own pages are
    left out (admin:index is added by hand): they are Django's, not ours."""
    for entry in patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace != "admin":
                yield from endpoints(entry.url_patterns, chain + (entry,))
        elif isinstance(entry, URLPattern):
            yield chain + (entry,)


def describe(chain):
    namespaces = [r.namespace for r in chain[:-1] if r.namespace]
    if chain[-1].name:
        return ":".join(namespaces + [chain[-1].name])
    return "".join(str(p.pattern) for p in chain)


def parameters(pattern):
    return normalize(pattern.pattern.regex.pattern)[0][1]


def fits(pattern, piece, is_endpoint):
    match = pattern.pattern.match(piece)
    return bool(match) and (not is_endpoint or match[0] == "")


def fill(pattern, id_value, is_endpoint):
    """The piece of path one pattern contributes, each parameter filled with the id when the
    pattern takes it there, else with the first sample value it takes; None if nothing fits."""
    template, params = normalize(pattern.pattern.regex.pattern)[0]
    values = {p: id_value for p in params}
    for param in params:
        for candidate in [id_value, *SAMPLE_VALUES]:
            if fits(pattern, template % dict(values, **{param: candidate}), is_endpoint):
                values[param] = candidate
                break
        else:
            return None
    piece = template % values
    return piece if fits(pattern, piece, is_endpoint) else None


def existing_ids():
    """The smallest id of each project table that has rows (on SQLite usually just 1)."""
    ids = set()
    for model in apps.get_models():
        if model._meta.app_label in PROJECT_APPS and model._meta.pk.get_internal_type() in {"AutoField", "BigAutoField"}:
            first = model._default_manager.order_by("pk").values_list("pk", flat=True).first()
            if first is not None:
                ids.add(str(first))
    return sorted(ids, key=int)


def urls_to_visit(patterns=None, ids=None):
    """(name, url) of every endpoint; those taking parameters once per existing id and once with 999999."""
    ids = existing_ids() if ids is None else ids
    found = [] if patterns else [("admin:index", reverse("admin:index"))]
    unfillable = []
    for chain in endpoints(patterns or get_resolver().url_patterns):
        with_params = any(parameters(p) for p in chain)
        urls = []
        for id_value in [*ids, MISSING_ID] if with_params else [MISSING_ID]:
            pieces = [fill(p, id_value, is_endpoint=p is chain[-1]) for p in chain]
            if None in pieces:
                unfillable.append(describe(chain))
                break
            url = "/" + "".join(pieces)
            if url not in urls:
                urls.append(url)
        found.extend((describe(chain), url) for url in urls)
    assert not unfillable, f"cannot build a URL for {unfillable}: add a sample value that fits"
    return found


def test_the_walk_finds_the_foundation_pages(demo):
    visited = urls_to_visit()
    names = {name for name, _ in visited}
    for name in [
        "portal:home", "accounts:login", "accounts:logout", "accounts:register", "accounts:organisation_suggest",
        "accounts:profile", "accounts:membership_move", "accounts:membership_withdraw", "accounts:membership_queue",
        "accounts:membership_confirm", "accounts:membership_reject", "accounts:subordinates", "accounts:jurisdiction",
        "admin:index",
    ]:
        assert name in names
    urls = {url for _, url in visited}
    first_membership = Membership.objects.order_by("pk").first().pk
    assert reverse("accounts:membership_confirm", args=[MISSING_ID]) in urls
    assert reverse("accounts:membership_confirm", args=[first_membership]) in urls
    assert not any("/admin/" in url and url != "/admin/" for url in urls)


def view(request, **kwargs):
    return HttpResponse()


def test_the_walk_fills_every_kind_of_parameter():
    patterns = [
        path("a/<int:pk>/", view, name="by_id"),
        path("b/<slug:code>/<int:year>/", view, name="slug_and_year"),
        path("c/<uuid:token>/", view),
        path("d/<path:rest>", view, name="rest"),
        re_path(r"^e/(?P<year>[0-9]{4})/$", view, name="regex_year"),
        path("f/<int:org>/", include(([path("g/<str:tab>/", view, name="tab")], "nested"))),
        path("plain/", view, name="plain"),
    ]
    assert urls_to_visit(patterns, ids=["7"]) == [
        ("by_id", "/a/7/"),
        ("by_id", "/a/999999/"),
        ("slug_and_year", "/b/7/7/"),
        ("slug_and_year", "/b/999999/999999/"),
        ("c/<uuid:token>/", f"/c/{uuid.UUID(int=1)}/"),
        ("rest", "/d/7"),
        ("rest", "/d/999999"),
        ("regex_year", "/e/2024/"),
        ("nested:tab", "/f/7/g/7/"),
        ("nested:tab", "/f/999999/g/999999/"),
        ("plain", "/plain/"),
    ]


@contextmanager
def quiet_request_log():
    """403, 404 and 405 answers are expected here by the dozen; keep only errors in the log."""
    logger = logging.getLogger("django.request")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def signed_in(client):
    cookie = client.cookies.get(settings.SESSION_COOKIE_NAME)
    return cookie is not None and cookie.value != ""


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("kind", ["anonymous", *DEMO_ACCOUNTS])
def test_no_url_answers_with_a_server_error(demo, client, kind, method):
    """GET, and POST with an empty form, as every kind of visitor: never a 500."""
    user = None if kind == "anonymous" else demo.account(kind)
    failures = []
    with quiet_request_log():
        for name, url in urls_to_visit():
            if user is None:
                client.cookies.clear()  # a page may have signed someone in
            elif not signed_in(client):
                client.force_login(user)  # first time, or a page signed the visitor out
            try:
                response = getattr(client, method)(url)
            except Exception as exc:  # the test client re-raises what the view raised
                failures.append(f"{method.upper()} {url} ({name}): {type(exc).__name__}: {exc}")
                continue
            if response.status_code >= 500:
                failures.append(f"{method.upper()} {url} ({name}): {response.status_code}")
    assert not failures, f"as {kind}:\n" + "\n".join(failures)
