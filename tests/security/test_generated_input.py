"""What people do to forms, on every form of every role: the forms are not listed here but read
from the pages each visitor of the URL matrix (tests/security/access.py) opens, following each
page's own GET forms (a chosen year, a learning form) one step, so a new form or field is covered
as soon as a page shows it.

For every form found:
- sent twice as a person fills it (a double click, the back button and send again): the second
  changes nothing and is answered, never with a server error;
- sent with generated values (Hypothesis: pasted control characters, full-width digits, lone
  surrogates, huge and negative numbers, dates of another millennium, 10,000 characters, empty):
  never a server error, and when refused nothing is stored;
- every file input sent each malformed file (tests/malformed_files.py): refused, nothing stored.
Every page's query string gets generated values too: never a server error."""
import os
import re
from urllib.parse import urlencode

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client, override_settings
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.portal.test_every_url import quiet_request_log
from tests.security.access import ACCESS, PARAMS, url_kwargs
from tests.security.conftest import ROLES
from tests.security.crawl import changed, filled, fingerprints, forms_of, messages_on, rewind
from tests.malformed_files import malformed_imports, malformed_uploads
from tests.strategies import typed_value

pytestmark = pytest.mark.django_db

# A visit: a page of the matrix, as a visitor who may open it, with an object it is about; and the
# settings it is seen under.
VISITS = [
    pytest.param(name, role, obj, {}, id=f"{name}-{role}-{obj or 'page'}")
    for name, access in ACCESS.items()
    if not access.post_only
    for obj, expected in access.expect.items()
    for role in ROLES
    if expected.get(role) == 200
] + [
    # Pages that show their forms only to someone outside the matrix's roles, for objects it does
    # not visit, or with the second factor required (tests/security/conftest.py builds them).
    pytest.param("accounts:profile", "pending_member", None, {}, id="accounts:profile-pending_member"),
    pytest.param("hours:declaration_detail", "applicant", "song_pending", {}, id="hours:declaration_detail-applicant-pending"),
    pytest.param("hours:filing_detail", "unit_admin", "held_filing", {}, id="hours:filing_detail-unit_admin-held_filing"),
    pytest.param("accounts:otp_setup", "province_clerk", None, {"REQUIRE_2FA": True}, id="accounts:otp_setup-province_clerk-2fa"),
    pytest.param("accounts:otp_verify", "city_clerk", None, {"REQUIRE_2FA": True}, id="accounts:otp_verify-city_clerk-2fa"),
]
# Generated submissions per form (each in its own savepoint) and query strings per page. The same
# examples every run (derandomize), so CI is repeatable; CRAWL_EXPLORE=1 draws new ones, and more.
EXPLORE = bool(os.environ.get("CRAWL_EXPLORE"))
EXAMPLES = 40 if EXPLORE else 8
QUERY_EXAMPLES = 30 if EXPLORE else 6
HYPOTHESIS = {"deadline": None, "database": None, "derandomize": not EXPLORE, "suppress_health_check": list(HealthCheck)}
# How many variants of a page's GET forms are followed to find the forms they open.
GET_VARIANTS = 25


def sign_in(client, world, role):
    client.logout()
    user = world.users.get(role) or world.extra_users.get(role)
    if user is not None:
        client.force_login(user)


def page_url(world, name, obj):
    kwargs = url_kwargs(world, obj)
    return reverse(name, kwargs={k: kwargs[k] for k in PARAMS[name]})


def get_variants(form):
    """Submissions of a GET form that open further forms: as shown, and each choice of each select."""
    base = filled(form)
    yield base
    for name, control in form.controls.items():
        if control.kind == "select" and not control.multiple:
            for option in [o for o in control.options if o][:GET_VARIANTS]:
                yield {**base, name: option}


def discover(client, url):
    """(POST forms, GET forms) of the page and of the pages its GET forms open (one step)."""
    with quiet_request_log():
        response = client.get(url)
        found = forms_of(response, url) if response.status_code == 200 else []
        gets = [f for f in found if f.method == "get"]
        for form in list(gets):
            for variant in get_variants(form):
                target = f"{form.action}?{urlencode(variant, doseq=True)}"
                opened = client.get(target)
                if opened.status_code == 200:
                    found += [f for f in forms_of(opened, target) if f.method == "post"]
    posts, seen = [], set()
    for form in found:
        key = form.signature() + (form.query,)
        if form.method == "post" and key not in seen:
            seen.add(key)
            posts.append(form)
    return posts, gets


SURROGATE = re.compile("[\ud800-\udfff]")


def as_a_browser_sends(value):
    """Browsers send a lone surrogate as U+FFFD (the WHATWG encoding rules); the test client could
    not encode it at all. (Raw bytes that are no UTF-8 reach JSON bodies: tests/certificates/test_bulk.py.)"""
    if isinstance(value, str):
        return SURROGATE.sub("\ufffd", value)
    if isinstance(value, list):
        return [as_a_browser_sends(v) for v in value]
    return value


def send(client, form, data):
    url = form.action + (f"?{form.query}" if form.query else "")
    with quiet_request_log():
        return client.post(url, {name: as_a_browser_sends(value) for name, value in data.items()})


@pytest.fixture
def rolled_back():
    """Each attempt in a savepoint of its own, rolled back after it: every form starts from the
    world as the page showed it."""

    class Savepoint:
        def __enter__(self):
            self.atomic = transaction.atomic()
            self.atomic.__enter__()

        def __exit__(self, *exc):
            transaction.set_rollback(True)
            self.atomic.__exit__(*exc)

    return Savepoint


DONE = {"twice": set(), "typed": set(), "files": set()}


def untried(kind, role, form):
    """Each form once per visitor role: the header's forms are on every page."""
    key = (role, form.signature())
    if key in DONE[kind]:
        return False
    DONE[kind].add(key)
    return True


@pytest.fixture
def seen_with(request):
    """The visit's settings, for the whole test (the second factor's pages need it required)."""
    with override_settings(**request.node.callspec.params["visit_settings"]):
        yield


# Sent again from another browser, the domain's own rules answer (one open declaration per span, one
# item per paper, the workflow's states…). These may legitimately happen twice that way, and why.
AGAIN_FROM_ANOTHER_BROWSER = {
    "accounts:login": "signing in from a second browser is a second sign-in (the account's last login time)",
    "hours:item_add": "two trainings of the same days need not be one (a title is optional): only "
    "works (papers, patents, awards…) and once-a-year activities have an identity",
}


@pytest.mark.parametrize("name, role, obj, visit_settings", VISITS)
def test_every_form_sent_twice_has_one_effect(client, world, rolled_back, seen_with, name, role, obj, visit_settings):
    """Twice from the same browser (a double click, a second tab, back and resend: core/repeats.py
    answers), and twice from two browsers (the domain answers)."""
    sign_in(client, world, role)
    posts, _ = discover(client, page_url(world, name, obj))
    failures = []
    for form in posts:
        if not untried("twice", role, form):
            continue
        for button in form.buttons or [None]:
            for again in ("the same browser", "another browser"):
                with rolled_back():
                    sign_in(client, world, role)
                    other = client
                    if again == "another browser":
                        other = Client()
                        sign_in(other, world, role)
                    data = filled(form, button)
                    before = fingerprints()
                    first = send(client, form, data)
                    after_first = fingerprints()
                    second = send(other, form, rewind(data))
                    twice = changed(after_first, fingerprints())
                    said = messages_on(second, other)
                where = f"{form.action} ({form.url_name}{', ' + '='.join(button) if button else ''}), again from {again}"
                allowed_again = again == "another browser" and form.url_name in AGAIN_FROM_ANOTHER_BROWSER
                if first.status_code >= 500 or second.status_code >= 500:
                    failures.append(f"{where}: answered {first.status_code}, then {second.status_code}")
                elif twice and not allowed_again:
                    failures.append(f"{where}: the second changed {twice} (the first changed {changed(before, after_first)})")
                elif changed(before, after_first) and second.status_code < 400 and not any(said) and not allowed_again:
                    # A form that changed something tells the second sender why nothing happened.
                    failures.append(f"{where}: the second was answered with no message")
    assert not failures, f"sent twice as {role}:\n" + "\n".join(failures)


@pytest.mark.parametrize("name, role, obj, visit_settings", VISITS)
def test_every_form_takes_what_people_type(client, world, rolled_back, seen_with, name, role, obj, visit_settings):
    sign_in(client, world, role)
    posts, _ = discover(client, page_url(world, name, obj))
    for form in posts:
        if not untried("typed", role, form):
            continue
        fields = sorted(form.controls)

        @settings(max_examples=EXAMPLES, **HYPOTHESIS)
        @given(data=st.data())
        def attempt(data):
            values = filled(form, form.buttons[0] if form.buttons else None)
            for field_name in fields:
                if form.controls[field_name].kind != "file" and data.draw(st.booleans(), label=f"change {field_name}"):
                    values[field_name] = data.draw(typed_value(), label=field_name)
            with rolled_back():
                sign_in(client, world, role)
                before = fingerprints()
                response = send(client, form, values)
                assert response.status_code < 500, (form.action, values, response.status_code)
                errors, said = messages_on(response, client)
                if response.status_code >= 400 or (errors and not said):
                    assert changed(before, fingerprints()) == [], (
                        f"{form.action} as {role} refused {values} ({errors}) but changed {changed(before, fingerprints())}"
                    )

        attempt()


MALFORMED = malformed_uploads() + malformed_imports()


@pytest.mark.parametrize("name, role, obj, visit_settings", VISITS)
def test_every_file_input_refuses_malformed_files(client, world, rolled_back, seen_with, name, role, obj, visit_settings):
    """Each file of tests/malformed_files.py (truncated images, a 9-byte PDF, zip bombs, a CSV cell
    of 200,000 characters…) in each file input, the rest of the form as a person fills it: refused,
    nothing stored, never a server error."""
    sign_in(client, world, role)
    posts, _ = discover(client, page_url(world, name, obj))
    failures = []
    for form in posts:
        if not form.has_files or form.signature() in DONE["files"]:
            continue
        DONE["files"].add(form.signature())
        for control in [c for c in form.controls.values() if c.kind == "file"]:
            for label, filename, content, content_type in MALFORMED:
                with rolled_back():
                    sign_in(client, world, role)
                    data = {**filled(form, form.buttons[0] if form.buttons else None),
                            control.name: SimpleUploadedFile(filename, content, content_type=content_type)}
                    before = fingerprints()
                    response = send(client, form, data)
                    stored = changed(before, fingerprints())
                if response.status_code >= 500 or stored:
                    failures.append(f"{form.action} ({form.url_name}) {control.name}={label}: {response.status_code}, changed {stored}")
    assert not failures, f"malformed files as {role}:\n" + "\n".join(failures)


@pytest.mark.parametrize("name, role, obj, visit_settings", VISITS)
def test_every_query_string_is_answered(client, world, seen_with, name, role, obj, visit_settings):
    sign_in(client, world, role)
    url = page_url(world, name, obj)
    _, gets = discover(client, url)
    names = sorted({n for f in gets for n in f.controls} | {"page", "status", "year", "activity", "export", "preview", "q", "next"})

    @settings(max_examples=QUERY_EXAMPLES, **HYPOTHESIS)
    @given(query=st.dictionaries(st.sampled_from(names) | st.text(max_size=5), typed_value(), max_size=6))
    def attempt(query):
        with quiet_request_log():
            response = client.get(url, {as_a_browser_sends(k): as_a_browser_sends(v) for k, v in query.items()})
        assert response.status_code < 500, (url, query, response.status_code)

    attempt()


# POST endpoints no page shows a form for, and why.
NOT_ON_A_PAGE = {
    "accounts:password_reset": "忘记密码's step 2 opens only in a browser that sent step 1 (tests/accounts/test_password_recovery.py "
    "posts it: codes, passwords, twice)",
    "verify:bulk": "a JSON API for title-evaluation committees (tests/certificates/test_bulk.py posts generated bodies)",
}


def test_every_post_endpoint_is_reached_by_a_form_of_some_page(client, world):
    """The crawl above is only as good as what it finds: every view that takes a POST must be the
    target of a form on a page some visitor opens, so the generated tests reach it."""
    found = set()
    for param in VISITS:
        name, role, obj, visit_settings = param.values
        with override_settings(**visit_settings):
            sign_in(client, world, role)
            posts, _ = discover(client, page_url(world, name, obj))
        found |= {form.url_name for form in posts}
    posting = {name for name, access in ACCESS.items() if access.post_only or access.post}
    assert posting - found - set(NOT_ON_A_PAGE) == set(), "POST views no crawled page has a form for"
