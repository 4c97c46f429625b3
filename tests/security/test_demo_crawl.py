"""The demo province as `make run` loads it (its worked declarations, approvals and certificate
included), crawled as every demo account: every page its links lead to, every form on them sent
twice as a person fills it and with generated values. No server error anywhere, and no page that
reads doubled punctuation (“。。”, “。；”: a message with its own full stop put into a sentence that
adds one). (The URL matrix's world, with its checks of what is stored, is
tests/security/test_generated_input.py; this one walks what a new user of the demo would find, the
admin included.)"""
import re
from collections import deque
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from django.db import transaction
from django.test import Client
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.management.commands.load_demo import load
from accounts.models import User
from tests.conftest import kept_for_module
from tests.helpers import text_of
from tests.portal.test_every_url import quiet_request_log
from tests.security.crawl import filled, forms_of, rewind
from tests.security.test_generated_input import EXAMPLES, HYPOTHESIS, as_a_browser_sends
from tests.strategies import typed_value

pytestmark = pytest.mark.django_db

# Every kind of account of the demo (README), by what it signs in with.
ACCOUNTS = [
    None, "430121198805041015", "430121197503121031", "dzy_admin", "zrzy_admin", "hn_clerk", "cs_clerk",
    "hndx_base_admin", "sysadmin", "430121198810111372",
]
PAGES_PER_ACCOUNT = 80
DOUBLED = re.compile(r"[。，；：、！？][。，；：、]")
# Links not to follow: signing out ends the crawl; files are not pages.
SKIP = ("/accounts/logout/", "/download/", "/materials.zip", "/evidence/", "/notice/", "/schedule/", "template.csv",
        "/admin/logout/", "/admin/jsi18n/", "/static/", "export=")


@pytest.fixture(scope="module")
def demo_as_loaded(django_db_setup, django_db_blocker, demo_data):
    """The whole demo (declarations included), loaded once for the module inside a transaction
    that is rolled back at its end, as tests/conftest.py's demo_province does for the province."""
    with kept_for_module(django_db_blocker, lambda: load(demo_data)):
        yield


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs = []

    def handle_starttag(self, tag, attrs):
        href = dict(attrs).get("href")
        if tag == "a" and href and not href.startswith(("#", "mailto:", "javascript:", "http://", "https://")):
            self.hrefs.append(href)


def links_of(response, url):
    if not response.get("Content-Type", "").startswith("text/html"):
        return []
    parser = _Links()
    parser.feed(response.content.decode("utf-8", "replace"))
    found = []
    for href in parser.hrefs:
        target = urljoin(url, href)
        path = urlsplit(target)
        if not any(s in target for s in SKIP):
            found.append(path.path + (f"?{path.query}" if path.query else ""))
    return found


def sign_in(client, login):
    client.logout()
    if login:
        client.force_login(User.objects.filter(username=login).first() or User.objects.get(id_number=login))


@pytest.mark.parametrize("login", ACCOUNTS, ids=lambda login: login or "anonymous")
def test_the_demo_crawled_as_every_account_gives_no_server_error(demo_as_loaded, db, login):
    client = Client()
    sign_in(client, login)
    start = "/admin/" if login == "sysadmin" else "/"
    queue, seen, failures, tried = deque([start, "/accounts/login/", "/accounts/register/", "/verify/"]), set(), [], set()
    with quiet_request_log():
        while queue and len(seen) < PAGES_PER_ACCOUNT:
            url = queue.popleft()
            if url in seen:
                continue
            seen.add(url)
            response = client.get(url)
            if response.status_code >= 500:
                failures.append(f"GET {url}: {response.status_code}")
                continue
            if response.get("Content-Type", "").startswith("text/html") and not response.streaming:
                text = text_of(response)
                failures += [f"GET {url}: doubled punctuation “…{text[max(0, m.start() - 20):m.end() + 5]}…”" for m in DOUBLED.finditer(text)]
            queue.extend(link for link in links_of(response, url) if link not in seen)
            for form in forms_of(response, url):
                if form.method != "post" or form.signature() in tried or any(s in form.action for s in SKIP):
                    continue
                tried.add(form.signature())
                failures += send_as_people_do(client, login, form)
    assert not failures, f"as {login or 'anonymous'}:\n" + "\n".join(failures)
    # The crawl is worth what it reaches: pages beyond the start, and forms on them.
    assert len(seen) >= (4 if login is None else 10) and len(tried) >= 3, (login, sorted(seen), len(tried))


def send_as_people_do(client, login, form):
    """Twice as a person fills it, then generated values: each in a savepoint rolled back after it,
    so the crawl goes on over the demo as loaded."""
    failures = []
    url = form.action + (f"?{form.query}" if form.query else "")

    def post(*submissions):
        """The statuses of the submissions, one after the other; what the view raised (the test
        client re-raises it) is the 500 a browser would get."""
        statuses = []
        with transaction.atomic():
            sign_in(client, login)
            try:
                for data in submissions:
                    statuses.append(client.post(url, {k: as_a_browser_sends(v) for k, v in rewind(data).items()}).status_code)
            except Exception as exc:  # noqa: BLE001 - reported as the server error it would be
                statuses.append(f"500 {type(exc).__name__}: {exc}")
            finally:
                transaction.set_rollback(True)
        return statuses

    data = filled(form, form.buttons[0] if form.buttons else None)
    statuses = post(data, data)
    if not all(isinstance(s, int) and s < 500 for s in statuses):
        failures.append(f"POST {url} ({form.url_name}) twice: {statuses}")

    @settings(max_examples=EXAMPLES, **HYPOTHESIS)
    @given(data=st.data())
    def odd_values(data):
        values = filled(form, form.buttons[0] if form.buttons else None)
        for name in sorted(form.controls):
            if form.controls[name].kind != "file" and data.draw(st.booleans(), label=f"change {name}"):
                values[name] = data.draw(typed_value(), label=name)
        [status] = post(values)
        assert isinstance(status, int) and status < 500, (url, values, status)

    try:
        odd_values()
    except AssertionError as exc:
        failures.append(f"POST {url} ({form.url_name}) with odd values: {exc}")
    sign_in(client, login)
    return failures
