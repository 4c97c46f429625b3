"""What the API refuses before reading a batch: calls over a key's rate limit (429, counted per key
in the shared cache, so across server processes), bodies over API_MAX_BODY (413, from the
Content-Length alone) and bodies without a length (411)."""
import io
import json
import os
import subprocess
import sys
from types import SimpleNamespace

import pytest
from django.test import RequestFactory
from django.test.client import ClientHandler

from core import ratelimit
from tests.api.keyed import api_key, keyed_client, record

RECORDS = "/api/v1/records"


@pytest.fixture
def clock(monkeypatch):
    """core.ratelimit's clock, moved by hand."""
    now = SimpleNamespace(value=1_800_000_000.0)
    monkeypatch.setattr(ratelimit, "time", SimpleNamespace(time=lambda: now.value))
    return now


def test_a_key_over_its_limit_is_told_when_to_retry_and_another_key_is_not(settings, demo, clock):
    settings.API_RATE_LIMIT = (3, 60)
    _, raw = api_key(demo)
    _, other_raw = api_key(demo, name="另一个密钥")
    client, other = keyed_client(raw), keyed_client(other_raw)
    assert [client.get(RECORDS).status_code for _ in range(3)] == [200, 200, 200]
    clock.value += 20
    refused = client.get(RECORDS)
    assert refused.status_code == 429
    assert refused.json() == {"detail": "调用过于频繁，请稍后再试。"}
    assert refused["Retry-After"] == "40"
    # A push counts like a read, and is refused before the batch is looked at.
    assert client.post(RECORDS, {"records": [record("R-1")]}, content_type="application/json").status_code == 429
    assert other.get(RECORDS).status_code == 200
    clock.value += 40  # the next window
    assert client.get(RECORDS).status_code == 200


def test_an_unknown_key_is_refused_before_it_counts(settings, demo, clock):
    settings.API_RATE_LIMIT = (1, 60)
    _, raw = api_key(demo)
    for _ in range(3):
        assert keyed_client(raw + "x").get(RECORDS).status_code == 401
    assert keyed_client(raw).get(RECORDS).status_code == 200


def test_a_body_over_the_cap_is_refused_from_its_length(settings, demo):
    settings.API_MAX_BODY = 2048
    _, raw = api_key(demo)
    client = keyed_client(raw)
    batch = {"records": [record(f"R-{n}") for n in range(12)]}
    body = json.dumps(batch)
    assert len(body) > 2048
    refused = client.post(RECORDS, body, content_type="application/json")
    assert refused.status_code == 413
    assert refused.json() == {"detail": "请求体超过2KB，请分批报送（每批至多1000条）。"}
    assert client.post(RECORDS, {"records": batch["records"][:2]}, content_type="application/json").json()["accepted"] == 2


class EndlessBody(io.RawIOBase):
    """A request body that never ends, counting what was read of it."""

    def __init__(self):
        self.read_bytes = 0

    def readable(self):
        return True

    def readinto(self, buffer):
        buffer[:] = b"x" * len(buffer)
        self.read_bytes += len(buffer)
        return len(buffer)


def raw_wsgi_post(raw, **environ):
    """A POST to the API through every middleware, with the WSGI environ as a server would pass it
    (the test client always adds a Content-Length): (response, bytes read of the body)."""
    body = EndlessBody()
    env = RequestFactory().post(RECORDS).environ
    env.pop("CONTENT_LENGTH", None)
    env.update({"wsgi.input": body, "CONTENT_TYPE": "application/json", "HTTP_AUTHORIZATION": f"Bearer {raw}", **environ})
    return ClientHandler()(env), body.read_bytes


@pytest.mark.parametrize("environ, status, detail", [
    ({"HTTP_TRANSFER_ENCODING": "chunked"}, 411, "请求须带 Content-Length：不接受分块传输（Transfer-Encoding: chunked）的请求体。"),
    ({"CONTENT_LENGTH": str(20 * 1024 * 1024)}, 413, "请求体超过1024KB，请分批报送（每批至多1000条）。"),
])
def test_a_huge_body_is_answered_in_json_without_reading_it(demo, environ, status, detail):
    _, raw = api_key(demo)
    response, read = raw_wsgi_post(raw, **environ)
    assert (response.status_code, json.loads(response.content)) == (status, {"detail": detail})
    assert response["Content-Type"].startswith("application/json")
    assert read == 0


def test_a_body_without_length_is_read_as_empty_and_refused_in_json(demo):
    """What Django does with a body a server passes without Content-Length and without saying it
    is chunked: reads nothing of it. The batch is missing, and the answer says so in JSON."""
    _, raw = api_key(demo)
    response, read = raw_wsgi_post(raw)
    assert response.status_code == 422 and json.loads(response.content)["detail"][0]["loc"] == ["body", "batch"]
    assert read == 0


# Counted in another process, with the settings of this test run (REDIS_URL among them).
COUNT_ELSEWHERE = """
import sys, django
django.setup()
from core import ratelimit
key, window, times = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
print(" ".join(str(ratelimit.count(key, window)[0]) for _ in range(times)))
"""


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="REDIS_URL not set: cache is in process memory")
def test_server_processes_share_a_keys_count(settings, demo):
    """Two processes with Django caches of their own, as two gunicorn workers, spend one key's
    budget together: its next call here, in a third, is refused."""
    settings.API_RATE_LIMIT = (400, 10**6)  # a window that does not end during the test
    key, raw = api_key(demo)
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "portal.settings.test")}
    workers = [
        subprocess.Popen([sys.executable, "-c", COUNT_ELSEWHERE, f"api:key:{key.pk}", str(10**6), "200"],
                         stdout=subprocess.PIPE, text=True, env=env, cwd=settings.BASE_DIR)
        for _ in range(2)
    ]
    counted = [list(map(int, w.communicate(timeout=60)[0].split())) for w in workers]
    assert [w.returncode for w in workers] == [0, 0]
    # Each hit got its own number: no two processes counted the same one.
    assert sorted(counted[0] + counted[1]) == list(range(1, 401))
    refused = keyed_client(raw).get(RECORDS)
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
