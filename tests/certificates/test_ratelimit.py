"""The verification limits (certificates/ratelimit.py) count each bucket on its own, per client
address as core/proxy.py decides it: the address the connection came from, or a trusted proxy's
X-Real-IP — never a header the client chose (X-Forwarded-For, X-Real-IP sent past the proxy)."""
import io
import json
from contextlib import contextmanager

import pytest
from django.core import signals
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections
from django.test import Client

from core.proxy import BehindProxy

pytestmark = pytest.mark.django_db

BULK, VERIFY = "/verify/bulk/", "/verify/"


def bulk(client, **extra):
    return client.post(BULK, json.dumps({"numbers": []}), content_type="application/json", **extra).status_code


def upload(client, **extra):
    file = SimpleUploadedFile("认定单.pdf", b"%PDF-1.7 x", content_type="application/pdf")
    return client.post(VERIFY, {"file": file}, **extra).status_code


@pytest.fixture
def limits(settings):
    settings.CERT_RATE_LIMITS = {"bulk": (2, 60), "upload": (2, 60)}


def test_exhausting_the_upload_limit_leaves_bulk_verification_untouched(limits):
    client = Client(REMOTE_ADDR="198.51.100.30")
    assert [upload(client) for _ in range(3)] == [200, 200, 429]
    assert [bulk(client) for _ in range(3)] == [200, 200, 429]


def test_exhausting_the_bulk_limit_leaves_uploads_untouched(limits):
    client = Client(REMOTE_ADDR="198.51.100.31")
    assert [bulk(client) for _ in range(3)] == [200, 200, 429]
    assert [upload(client) for _ in range(3)] == [200, 200, 429]


def test_a_new_forwarded_for_or_real_ip_header_on_each_request_does_not_reset_the_count(limits):
    """Straight to the application (no trusted proxy in between): the headers are the client's own."""
    client = Client(REMOTE_ADDR="198.51.100.32")
    answers = [
        bulk(client, HTTP_X_FORWARDED_FOR=f"203.0.113.{i}", HTTP_X_REAL_IP=f"192.0.2.{i}") for i in range(4)
    ]
    assert answers == [200, 200, 429, 429]
    answers = [upload(client, HTTP_X_FORWARDED_FOR=f"203.0.113.{i}") for i in range(3)]
    assert answers == [200, 200, 429]


@contextmanager
def kept_connection():
    """As Django's test client does: the test's transaction outlives each request."""
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_finished.connect(close_old_connections)


def through_the_proxy_layer(peer, **headers):
    """One bulk verification sent as gunicorn hands it to portal/wsgi.py's application (BehindProxy
    around Django), from `peer`, with these HTTP_ headers: the response's status code."""
    body = json.dumps({"numbers": []}).encode()
    environ = {
        "REQUEST_METHOD": "POST", "PATH_INFO": BULK, "SERVER_NAME": "testserver", "SERVER_PORT": "80",
        "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(body), "CONTENT_LENGTH": str(len(body)),
        "CONTENT_TYPE": "application/json", "REMOTE_ADDR": peer, **headers,
    }
    status = []
    with kept_connection():
        BehindProxy(WSGIHandler())(environ, lambda line, response_headers: status.append(int(line.split()[0])))
    return status[0]


def test_past_an_untrusted_peer_no_header_names_the_client(limits, settings):
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    answers = [
        through_the_proxy_layer("198.51.100.33", HTTP_X_REAL_IP=f"203.0.113.{i}", HTTP_X_FORWARDED_FOR=f"192.0.2.{i}")
        for i in range(3)
    ]
    assert answers == [200, 200, 429]


def test_behind_the_trusted_proxy_each_client_its_own_count_and_forwarded_for_changes_nothing(limits, settings):
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    # One client, whatever X-Forwarded-For it adds: nginx's X-Real-IP names it each time.
    answers = [
        through_the_proxy_layer("127.0.0.1", HTTP_X_REAL_IP="203.0.113.40", HTTP_X_FORWARDED_FOR=f"192.0.2.{i}")
        for i in range(3)
    ]
    assert answers == [200, 200, 429]
    # Another client behind the same proxy has its own allowance.
    assert through_the_proxy_layer("127.0.0.1", HTTP_X_REAL_IP="203.0.113.41") == 200


def test_a_decision_tells_the_limit_what_is_left_and_when_to_come_back(settings):
    """What the headers of /verify/bulk/ carry (X-RateLimit-Limit, X-RateLimit-Remaining, Retry-After)."""
    from django.test import RequestFactory

    from certificates.ratelimit import Decision, hit

    settings.CERT_RATE_LIMITS = {"bulk": (2, 60)}
    request = RequestFactory().post(BULK, REMOTE_ADDR="198.51.100.40")
    decisions = [hit(request, "bulk") for _ in range(4)]
    assert [(d.allowed, d.limit, d.remaining) for d in decisions] == [(True, 2, 1), (True, 2, 0), (False, 2, 0), (False, 2, 0)]
    assert all(isinstance(d, Decision) and 1 <= d.retry_after <= 60 for d in decisions)
