"""Grep every test response and every log line for identity and mobile numbers shown in full.

`grep_every_response` (autouse for the whole suite through tests/conftest.py) wraps the test
client: each page or JSON answer it returns is searched for 18-digit 居民身份证号码 (checksum-valid)
and 11-digit mobile numbers, and the test fails naming the URL when one belongs to someone the
viewer may not see in full. The rules, as core/masking.py and the pages apply them:

- a signed-in person may see their own numbers (their forms show them to edit);
- whoever declares for someone (单位代为申报) sees their numbers masked like anyone else (the
  proxy form shows the phone masked and keeps it unless a new one is typed);
- what the request itself sent comes back to its sender (a form redisplayed with its errors, an
  import report quoting the uploaded file's lines), also on the page a POST redirects to;
- the system administrator, in Django's admin (/admin/), sees accounts as they are: professionals
  sign in with their 证件号码, and finding an account by it is that job;
- anyone else sees 4301**********1015 and 188****8765.
Files sent as attachments (evidence, certificates, exports) are what was uploaded or issued and
are checked by their own tests. Log lines may never hold a full number."""
import json
import logging
from urllib.parse import urlsplit
import re
import unicodedata

import pytest
from django.test import Client
from django.urls import reverse
from stdnum.cn import ric

from accounts.roles import is_sysadmin

ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])(\d{17}[\dXx])(?![0-9A-Za-z])")
MOBILE = re.compile(r"(?<![0-9A-Za-z])(1[3-9]\d{9})(?![0-9A-Za-z])")
CHECKED_TYPES = ("text/", "application/json")


def full_numbers(text):
    """The identity and mobile numbers in `text`, unmasked."""
    ids = {m.upper() for m in ID_NUMBER.findall(text) if ric.is_valid(m)}
    return ids | set(MOBILE.findall(text))


def leaks(response, sent):
    """Full numbers in the response that the viewer may not see."""
    if getattr(response, "streaming", False) or response.get("Content-Disposition", "").startswith("attachment"):
        return set()
    if not response.get("Content-Type", "").startswith(CHECKED_TYPES):
        return set()
    # What was sent comes back as the input policy stores it: full-width digits as ordinary ones.
    found = full_numbers(response.content.decode("utf-8", "replace")) - full_numbers(sent) - full_numbers(unicodedata.normalize("NFKC", sent))
    if not found:
        return set()
    request = getattr(response, "wsgi_request", None)
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        found -= {user.id_number, user.phone}  # first without a query: pages counted query by query show these
        if found and request.path.startswith(reverse("admin:index")) and is_sysadmin(user):
            return set()
    return found


def _as_text(value):
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    text = str(value or "")
    # A JSON body as its values too: "\\u007f13807310001" sent is the number that comes back.
    try:
        return text + " " + " ".join(map(str, _json_strings(json.loads(text))))
    except (ValueError, RecursionError):
        return text


def _json_strings(value):
    if isinstance(value, dict):
        value = [*value, *value.values()]
    if isinstance(value, list):
        return [s for entry in value for s in _json_strings(entry)]
    return [value] if isinstance(value, str) else []


class _LogGrep(logging.Handler):
    """Greps each record as the project's own handlers would write it (their filters mask numbers:
    core/logging.py), or as its bare message where no such handler is set up."""

    def __init__(self, writers=()):
        super().__init__(level=logging.DEBUG)
        self.writers = writers
        self.lines = []

    def emit(self, record):
        try:
            lines = [w.format(record) for w in self.writers if w.filter(record)] if self.writers else [record.getMessage()]
        except Exception:  # noqa: BLE001 - a record that cannot format is not ours to judge
            return
        self.lines.extend(f"{record.name}: {line}" for line in lines if full_numbers(line))


@pytest.fixture(autouse=True)
def grep_every_response(monkeypatch):
    original = Client.generic

    def generic(self, method, path, data="", content_type="application/octet-stream", secure=False, **extra):
        response = original(self, method, path, data, content_type, secure, **extra)
        sent = " ".join([_as_text(path), _as_text(data), _as_text(extra.get("QUERY_STRING")), _as_text(extra.get("query_params"))])
        # A form refused after a redirect (the case page's decision) shows what was sent on the page
        # the browser is sent back to: that page, requested next by this client, may show the POST's values.
        location, posted = getattr(self, "_redirected_post", ("", ""))
        carried = posted if method == "GET" and location and urlsplit(location).path == urlsplit(_as_text(path)).path else ""
        redirected = method == "POST" and response.status_code in (301, 302, 303)
        self._redirected_post = (response["Location"], sent) if redirected else ("", "")
        shown = leaks(response, sent + " " + carried)
        assert not shown, f"{method} {path} shows full numbers of others: {sorted(shown)}"
        return response

    monkeypatch.setattr(Client, "generic", generic)
    root = logging.getLogger()
    # The handlers configured by settings.LOGGING (pytest's capture handlers are added per test).
    handler = _LogGrep([h for h in root.handlers if type(h) is logging.StreamHandler])
    root.addHandler(handler)
    try:
        yield
    finally:
        root.removeHandler(handler)
    assert not handler.lines, "log lines with full identity or mobile numbers:\n" + "\n".join(handler.lines)
