"""Security headers on every page (one visitor who may open it, from the URL matrix), pages that
the Content-Security-Policy lets run as written (no inline script, style or event handler), and
HSTS with the rest under the production settings."""
import json
import os
import re
import subprocess
import sys

import pytest
from django.conf import settings
from django.urls import reverse

from tests.security.access import ACCESS, PARAMS, url_kwargs
from tests.security.conftest import ROLES

pytestmark = pytest.mark.django_db

POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
# What the policy would block in a page: a <script> without src (JSON data blocks are not run),
# a <style> element, a style= attribute, an on…= handler, a javascript: link.
INLINE = [
    re.compile(r"<script\b(?![^>]*\bsrc=)(?![^>]*type=\"application/(?:ld\+)?json\")[^>]*>", re.I),
    re.compile(r"<style\b", re.I),
    re.compile(r"<[a-z][^>]*\sstyle\s*=", re.I),
    re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I),
    re.compile(r"""(?:href|src|action)\s*=\s*["']?\s*javascript:""", re.I),
]


def policy_of(response):
    header = response["Content-Security-Policy"]
    return dict(part.strip().split(" ", 1) for part in header.split(";") if part.strip())


def assert_security_headers(response):
    assert policy_of(response) == POLICY
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


def first_visitor(access):
    """(role, object) of the first visitor the matrix lets open the page (200 on GET)."""
    for obj, expected in access.expect.items():
        for role in ROLES:
            if expected.get(role) == 200 and not access.post_only:
                return role, obj
    return None


PAGES = [name for name, access in ACCESS.items() if first_visitor(access)]


@pytest.mark.parametrize("name", PAGES)
def test_every_page_carries_the_security_headers_and_nothing_inline(client, world, name):
    role, obj = first_visitor(ACCESS[name])
    if world.users[role] is not None:
        client.force_login(world.users[role])
    kwargs = url_kwargs(world, obj)
    response = client.get(reverse(name, kwargs={k: kwargs[k] for k in PARAMS[name]}))
    assert response.status_code == 200
    assert_security_headers(response)
    if response["Content-Type"].startswith("text/html"):
        html = response.content.decode()
        for pattern in INLINE:
            assert not pattern.search(html), f"{name} as {role}: {pattern.search(html)[0]}"


def test_that_the_inline_check_catches_what_the_policy_blocks():
    for html in ['<script>alert(1)</script>', '<td style="color:red">', '<button onclick="x()">', "<style>p{}</style>",
                 '<a href="javascript:alert(1)">']:
        assert any(p.search(html) for p in INLINE), html
    for html in ['<script src="/static/js/portal.js" defer></script>', '<script type="application/json" id="d">{}</script>',
                 '<p class="onboarding">', '<input name="online">']:
        assert not any(p.search(html) for p in INLINE), html


@pytest.mark.parametrize("path", ["/no-such-page/", "/hours/999999/"])
def test_error_pages_carry_them_too(client, world, path):
    client.force_login(world.users["applicant"])
    response = client.get(path)
    assert response.status_code == 404
    assert_security_headers(response)


def test_refusals_and_json_carry_them_too(client, world):
    client.force_login(world.users["applicant"])
    assert_security_headers(client.get(reverse("review:bureau_todo")))  # 403
    assert_security_headers(client.post(reverse("verify:bulk"), {"numbers": []}, content_type="application/json"))


def test_files_are_not_sniffed_or_framed(client, world):
    client.force_login(world.users["applicant"])
    response = client.get(reverse("certificates:download", args=[world.certificate.number]))
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Content-Disposition"].startswith("attachment;")


PRODUCTION_PROBE = """
import json, django
django.setup()
from django.test import Client
response = Client().get("/healthz", secure=True, HTTP_HOST="xueshi.example.cn")
print(json.dumps({"status": response.status_code, "headers": dict(response.headers)}))
"""


def test_production_answers_with_hsts_and_the_same_headers(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "DATABASE_URL"}}
    env.update(
        DJANGO_SETTINGS_MODULE="portal.settings.production", DJANGO_SECRET_KEY="x" * 64, DJANGO_ALLOWED_HOSTS="xueshi.example.cn",
        DATABASE_URL=f"sqlite:///{tmp_path / 'probe.sqlite3'}", REQUIRE_2FA="1",
    )
    result = subprocess.run(
        [sys.executable, "-c", PRODUCTION_PROBE], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    headers = answer["headers"]
    assert answer["status"] == 200
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert dict(part.strip().split(" ", 1) for part in headers["Content-Security-Policy"].split(";")) == POLICY
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["X-Frame-Options"] == "DENY"
