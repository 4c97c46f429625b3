"""The production stack for real: gunicorn started with deploy/gunicorn.conf.py and the production
settings (on this run's test database, on Redis when the run uses it), static files collected and
served by WhiteNoise, and a signed-in applicant whose upload over 20 MB is refused while a small
one is kept."""
import http.client
import json
import os
import random
import re
import secrets
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import connection

from portal.management.commands.load_demo import load
from accounts.models import User
from hours.models import Evidence
from tests.conftest import DEMO_ACCOUNTS, ensure_rule_sets, province_only
from tests.helpers import DEMO_PASSWORD, database_url
from tests.hours.fixtures_views import draft, png_bytes

# gunicorn's workers are other processes: they need committed rows.
pytestmark = pytest.mark.django_db(transaction=True)

HOST = "127.0.0.1"
SECRET = secrets.token_urlsafe(64)


def production_env(**extra):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings.production",
        "DJANGO_SECRET_KEY": SECRET,
        "DJANGO_ALLOWED_HOSTS": HOST,
        "STORAGE_BACKEND": "filesystem",
        "LOG_FORMAT": "plain",
        # The applicant signs in with a password only; no role of theirs asks for a second factor.
        "REQUIRE_2FA": "0",
    }
    # This test process's own Redis database (portal/settings/test.py): another xdist worker
    # empties its database between tests, which would reset the rate limits counted here.
    if os.environ.get("REDIS_URL"):
        env["REDIS_URL"] = settings.CACHES["default"]["LOCATION"]
    # Nothing a test run may have set that production would not have (the browser tests allow async-unsafe calls).
    for name in ("DJANGO_DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"):
        env.pop(name, None)
    return {**env, **extra}


@pytest.fixture(scope="module")
def static_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("static")
    result = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=settings.BASE_DIR, env=production_env(STATIC_ROOT=str(root)), capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return root


def free_port():
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class Browser:
    """Just enough of a browser behind nginx: every request says it came over HTTPS, as nginx's
    X-Forwarded-Proto does, and cookies (Secure ones included) are sent back."""

    def __init__(self, port):
        self.port, self.cookies = port, {}

    def request(self, method, path, *, body=None, headers=None):
        conn = http.client.HTTPConnection(HOST, self.port, timeout=60)
        sent = {"X-Forwarded-Proto": "https", "Origin": f"https://{HOST}:{self.port}", **(headers or {})}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        try:
            conn.request(method, path, body=body, headers=sent)
            response = conn.getresponse()
            data = response.read()
        finally:
            conn.close()
        for cookie in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = cookie.partition("=")
            self.cookies[name] = rest.split(";", 1)[0]
        return SimpleNamespace(status=response.status, headers=response.headers, body=data, text=data.decode("utf-8", "replace"))

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)

    def post_form(self, path, fields, files=()):
        """multipart/form-data, as a browser sends a form with file inputs."""
        boundary = uuid.uuid4().hex
        parts = []
        for name, value in fields.items():
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
        for name, filename, content in files:
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                f"Content-Type: application/octet-stream\r\n\r\n".encode() + content + b"\r\n"
            )
        parts.append(f"--{boundary}--\r\n".encode())
        return self.request("POST", path, body=b"".join(parts), headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})


def csrf_token(page):
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)


@pytest.fixture
def gunicorn(static_root, settings, tmp_path):
    port = free_port()
    log = tmp_path / "gunicorn.log"
    env = production_env(
        STATIC_ROOT=str(static_root),
        MEDIA_ROOT=str(settings.MEDIA_ROOT),
        DATABASE_URL=database_url(connection.settings_dict),
        GUNICORN_BIND=f"{HOST}:{port}",
        # One worker, so the rate limits count in one place even without Redis (LocMemCache is per process).
        GUNICORN_WORKERS="1",
    )
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py"],
            cwd=settings.BASE_DIR, env=env, stdout=out, stderr=subprocess.STDOUT,
        )
    browser = Browser(port)
    deadline = time.monotonic() + 60
    while True:
        try:
            if browser.get("/healthz").status == 200:
                break
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail("gunicorn did not come up:\n" + log.read_text(errors="replace"))
        time.sleep(0.2)
    yield SimpleNamespace(port=port, log=log, browser=browser)
    process.terminate()
    process.wait(timeout=30)


@pytest.fixture
def applicant(demo_data, settings):
    """宋庆涛 with a draft declaration; his password hashed as production hashes it (the tests' fast
    hasher is not one production accepts)."""
    ensure_rule_sets()
    load(province_only(demo_data))
    song = User.objects.get(id_number=DEMO_ACCOUNTS["applicant"])
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    User.objects.filter(pk=song.pk).update(password=make_password(DEMO_PASSWORD))
    return SimpleNamespace(user=song, declaration=draft(song))


def test_gunicorn_serves_health_pages_and_static_files(gunicorn):
    browser = gunicorn.browser
    health = browser.get("/healthz")
    assert health.status == 200 and '"status": "ok"' in health.text
    # Plain HTTP without nginx's header is sent to HTTPS, except the health check.
    assert browser.get("/accounts/login/", headers={"X-Forwarded-Proto": "http"}).status == 301
    assert browser.get("/healthz", headers={"X-Forwarded-Proto": "http"}).status == 200

    login = browser.get("/accounts/login/")
    assert login.status == 200 and "证件号码或用户名" in login.text, gunicorn.log.read_text(errors="replace")
    assert login.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    css = re.search(r'href="(/static/css/portal\.[0-9a-f]{12}\.css)"', login.text).group(1)
    served = browser.get(css, headers={"Accept-Encoding": "gzip"})
    assert served.status == 200 and served.headers["Content-Type"].startswith("text/css")
    assert served.headers["Content-Encoding"] == "gzip"
    assert "max-age=315360000" in served.headers["Cache-Control"] and "immutable" in served.headers["Cache-Control"]
    assert browser.get("/static/css/no-such.css").status == 404
    assert browser.get("/media/evidence/1/x.png").status == 404

    # gunicorn's access log carries the request id the response gave.
    request_id = health.headers["X-Request-ID"]
    assert request_id
    time.sleep(0.3)
    assert re.search(rf'"GET /healthz HTTP/1.1" 200 .* request_id={re.escape(request_id)}', gunicorn.log.read_text(errors="replace"))


def test_an_upload_over_20_mb_is_refused_and_a_small_one_kept(gunicorn, applicant):
    browser = gunicorn.browser
    page = browser.get("/accounts/login/")
    signed_in = browser.post_form(
        "/accounts/login/", {"csrfmiddlewaretoken": csrf_token(page), "username": DEMO_ACCOUNTS["applicant"], "password": DEMO_PASSWORD}
    )
    assert signed_in.status == 302, signed_in.text[:2000]
    edit = f"/hours/{applicant.declaration.pk}/edit/"
    token = csrf_token(browser.get(edit))
    upload = f"/hours/{applicant.declaration.pk}/evidence/"

    too_big = png_bytes() + b"\0" * (20 * 1024 * 1024)
    refused = browser.post_form(upload, {"csrfmiddlewaretoken": token, "category": "education"}, [("files", "学历证书.png", too_big)])
    assert refused.status in (302, 400)
    assert "超过20M" in (browser.get(edit).text if refused.status == 302 else refused.text)
    assert not Evidence.objects.filter(declaration=applicant.declaration).exists()

    kept = browser.post_form(upload, {"csrfmiddlewaretoken": token, "category": "education"}, [("files", "学历证书.png", png_bytes())])
    assert kept.status == 302
    (evidence,) = Evidence.objects.filter(declaration=applicant.declaration)
    assert Path(settings.MEDIA_ROOT, evidence.file.name).is_file()


def test_the_client_address_is_the_one_nginx_passes_on(gunicorn):
    """Behind nginx every request comes from 127.0.0.1; X-Real-IP names the client, so the bulk
    verification limit (30 a minute) counts each client on its own (core/proxy.py)."""
    if 60 - time.time() % 60 < 10:  # the limit's window is the clock minute: start in a fresh one
        time.sleep(60 - time.time() % 60)
    first, second = (f"198.18.{random.randrange(256)}.{n}" for n in random.sample(range(1, 255), 2))

    def verify(ip):
        body = json.dumps({"numbers": ["XS2024-0000-0000-0000"]})
        return gunicorn.browser.request(
            "POST", "/verify/bulk/", body=body, headers={"Content-Type": "application/json", "X-Real-IP": ip}
        ).status

    assert [verify(first) for _ in range(31)] == [200] * 30 + [429]
    assert verify(second) == 200
