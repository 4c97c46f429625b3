"""Logs: one JSON object per line carrying the request id the response returns, every request
logged with its path, status, time and user, and no ID or mobile number readable in any line."""
import io
import json
import logging
import logging.config
import re
import runpy

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import path

from portal import urls as portal_urls
from core.logging import JsonFormatter, MaskPersonalNumbers, mask_personal_numbers
from portal.settings.base import logging_config

ID_NUMBER = "430121198805041015"  # 宋庆涛, a demo account
OLD_ID_NUMBER = "430121880504101"
MOBILE = "13807310001"
# Any readable 15/18-digit ID or 11-digit mobile number: what must never reach a log line.
# (Digits inside a hex request id are not numbers.)
UNMASKED = re.compile(r"(?<![0-9A-Za-z])(\d{17}[\dXx]|\d{15}|1[3-9]\d{9})(?![0-9A-Za-z])")


@pytest.mark.parametrize(
    "text, expected",
    [
        (f"用户 {ID_NUMBER} 登录失败", "用户 4301**********1015 登录失败"),
        ("证件号码43012119880504101X重复", "证件号码4301**********101X重复"),
        ("43012119880504101x", "4301**********101x"),
        (f"旧证 {OLD_ID_NUMBER}", "旧证 4301*******4101"),
        (f"手机{MOBILE}", "手机138****0001"),
        ("+86 138-0731-0001 或 008613807310001", "+86 138****0001 或 0086138****0001"),
        ("138 0731 0001", "138****0001"),
        (f"{ID_NUMBER},{MOBILE}", "4301**********1015,138****0001"),
        # Not personal numbers: a 业务编号 (15 digits, no province code starts with 20), a shorter
        # or longer digit run, a hex request id, an 11-digit number that is no mobile.
        ("业务编号 202612010012345", "业务编号 202612010012345"),
        ("4301211988050410151 与 1380731000", "4301211988050410151 与 1380731000"),
        ("request 8f14e45fceea167a5a36dedd4bea2543", "request 8f14e45fceea167a5a36dedd4bea2543"),
        ("12807310001", "12807310001"),
        ("", ""),
    ],
)
def test_mask_personal_numbers(text, expected):
    assert mask_personal_numbers(text) == expected


def record(msg, *args, exc_info=None, **extra):
    rec = logging.LogRecord("tests.logging", logging.WARNING, __file__, 1, msg, args or None, exc_info)
    rec.__dict__.update(extra)
    return rec


class Person:
    def __str__(self):
        return f"宋庆涛（{ID_NUMBER}，{MOBILE}）"


def test_filter_masks_arguments_of_any_type():
    rec = record("login %s by %s, %d tries", ID_NUMBER, Person(), 3)
    assert MaskPersonalNumbers().filter(rec) is True
    assert rec.getMessage() == "login 4301**********1015 by 宋庆涛（4301**********1015，138****0001）, 3 tries"
    mapping = record("%(username)s 登录失败", {"username": ID_NUMBER})
    MaskPersonalNumbers().filter(mapping)
    assert mapping.getMessage() == "4301**********1015 登录失败"


def test_filter_masks_the_traceback_and_drops_the_live_exception():
    try:
        raise ValueError(f"证件号码 {ID_NUMBER} 已存在，手机 {MOBILE}")
    except ValueError as exc:
        rec = record("出错", exc_info=(type(exc), exc, exc.__traceback__))
    rec.stack_info = f"Stack (most recent call last):\n  handling {ID_NUMBER}"
    MaskPersonalNumbers().filter(rec)
    assert rec.exc_info is None
    assert "ValueError: 证件号码 4301**********1015 已存在，手机 138****0001" in rec.exc_text
    assert "4301**********1015" in rec.stack_info
    for formatter in (logging.Formatter(), JsonFormatter()):
        assert not UNMASKED.search(formatter.format(rec))


def test_filter_masks_the_logged_path():
    rec = record("GET", path=f"/verify/{ID_NUMBER}/")
    MaskPersonalNumbers().filter(rec)
    assert rec.path == "/verify/4301**********1015/"


def test_masking_twice_changes_nothing():
    rec = record("%s", ID_NUMBER)
    MaskPersonalNumbers().filter(rec)
    MaskPersonalNumbers().filter(rec)
    assert rec.getMessage() == "4301**********1015"


def test_json_lines_are_single_lines_of_the_documented_fields():
    rec = record("第一行\n第二行 \"引号\"", request_id="abc", status=200, path="/hours/", method="GET", duration_ms=1.5, user_id=7)
    line = JsonFormatter().format(rec)
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["message"] == "第一行\n第二行 \"引号\""
    assert {k: entry[k] for k in ("level", "logger", "request_id", "status", "path", "method", "duration_ms", "user_id")} == {
        "level": "WARNING", "logger": "tests.logging", "request_id": "abc", "status": 200, "path": "/hours/",
        "method": "GET", "duration_ms": 1.5, "user_id": 7,
    }
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+08:00", entry["time"])


def test_an_unknown_log_format_is_refused():
    with pytest.raises(Exception, match="LOG_FORMAT 只能是 json 或 plain"):
        logging_config("xml")


def test_every_handler_masks_and_carries_the_request_id():
    for log_format in ("json", "plain"):
        for handler in logging_config(log_format)["handlers"].values():
            assert {"request_id", "mask_personal_numbers"} <= set(handler["filters"])


@pytest.fixture
def json_logs():
    """The portal's JSON logging as production configures it, written to a buffer; the test
    settings' logging is put back afterwards."""
    config = logging_config("json")
    buffer = io.StringIO()
    config["handlers"]["console"]["stream"] = buffer
    logging.config.dictConfig(config)
    yield buffer
    logging.config.dictConfig(settings.LOGGING)


def lines_of(buffer):
    text = buffer.getvalue()
    assert not UNMASKED.search(text), text
    return [json.loads(line) for line in text.splitlines()]


def test_a_failed_login_with_an_id_number_logs_it_masked(json_logs, demo):
    response = Client().post("/accounts/login/", {"username": ID_NUMBER, "password": "wrong-password"})
    assert response.status_code == 200
    request_id = response["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", request_id)
    entries = lines_of(json_logs)
    ours = [e for e in entries if e["request_id"] == request_id]
    # django-axes reports the failure (with the username starred out by its own settings); should
    # those change, lines_of() still finds no readable number.
    assert any(e["logger"].startswith("axes") and "New login failure" in e["message"] for e in ours), entries
    [access] = [e for e in ours if e["logger"] == "core.request"]
    assert access["path"] == "/accounts/login/" and access["method"] == "POST" and access["status"] == 200
    assert access["user_id"] is None and access["duration_ms"] >= 0


def test_the_request_log_names_the_signed_in_user_and_keeps_nginx_request_id(json_logs, demo):
    client = Client()
    song = demo.user(ID_NUMBER)
    client.force_login(song)
    response = client.get("/hours/", HTTP_X_REQUEST_ID="nginx-7f3a9c")
    assert response.status_code == 200
    assert response["X-Request-ID"] == "nginx-7f3a9c"
    [access] = [e for e in lines_of(json_logs) if e["logger"] == "core.request"]
    assert access["request_id"] == "nginx-7f3a9c"
    assert access["user_id"] == song.pk and access["status"] == 200


def ok_queries(user, middleware):
    with override_settings(MIDDLEWARE=middleware), CaptureQueriesContext(connection) as queries:
        client = Client()
        client.force_login(user)
        queries.initial_queries = len(connection.queries_log)  # count the request only, not the login
        assert client.get("/ok/").status_code == 200
    return len(queries.captured_queries)


@pytest.mark.urls(__name__)
def test_logging_a_view_that_never_looks_at_the_user_adds_no_query(json_logs, demo):
    song = demo.user(ID_NUMBER)
    without = [m for m in settings.MIDDLEWARE if m != "core.logging.RequestLogMiddleware"]
    assert ok_queries(song, settings.MIDDLEWARE) == ok_queries(song, without)
    [access] = [e for e in lines_of(json_logs) if e["logger"] == "core.request"]
    assert access["user_id"] is None and access["path"] == "/ok/"


def explode(request):
    raise RuntimeError(f"申报人 {ID_NUMBER}（{MOBILE}）的证件号码重复")


def forbid(request):
    raise PermissionDenied("您没有访问该页面的权限。")


def missing(request):
    raise Http404("申报不存在")


urlpatterns = [
    path("explode/", explode), path("ok/", lambda request: HttpResponse("ok")), path("forbid/", forbid), path("missing/", missing),
    *portal_urls.urlpatterns,  # the error pages link to the portal's own
]


@pytest.mark.urls(__name__)
@pytest.mark.parametrize("url, status", [("/forbid/", 403), ("/missing/", 404), ("/nowhere/", 404)])
def test_a_refusal_is_one_line_without_a_traceback(json_logs, db, url, status):
    response = Client().get(url)
    assert response.status_code == status
    entries = [e for e in lines_of(json_logs) if e["request_id"] == response["X-Request-ID"]]
    [warning] = [e for e in entries if e["logger"] == "django.request"]
    assert warning["level"] == "WARNING" and url in warning["message"]
    assert "exception" not in warning and all("Traceback" not in json.dumps(e) for e in entries)


@pytest.mark.urls(__name__)
def test_an_error_is_logged_masked_with_the_request_id(json_logs, db):
    response = Client(raise_request_exception=False).get("/explode/")
    assert response.status_code == 500
    request_id = response["X-Request-ID"]
    entries = [e for e in lines_of(json_logs) if e["request_id"] == request_id]
    [error] = [e for e in entries if e["logger"] == "django.request"]
    assert error["level"] == "ERROR" and error["message"] == "Internal Server Error: /explode/"
    assert "RuntimeError: 申报人 4301**********1015（138****0001）的证件号码重复" in error["exception"]
    assert [e["status"] for e in entries if e["logger"] == "core.request"] == [500]


@pytest.mark.urls(__name__)
def test_each_request_gets_its_own_id(db):
    client = Client()
    ids = {client.get("/ok/")["X-Request-ID"] for _ in range(3)}
    assert len(ids) == 3


def production_logging(monkeypatch, **env):
    monkeypatch.setenv("DJANGO_SECRET_KEY", "k" * 60)
    monkeypatch.setenv("DJANGO_ALLOWED_HOSTS", "xueshi.example.cn")
    monkeypatch.delenv("LOG_FORMAT", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_module("portal.settings.production")["LOGGING"]["handlers"]["console"]["formatter"]


def test_production_logs_json_unless_told_plain(monkeypatch):
    assert production_logging(monkeypatch) == "json"
    assert production_logging(monkeypatch, LOG_FORMAT="plain") == "plain"


def test_an_old_fifteen_digit_number_in_a_path_is_masked():
    from core.logging import mask_path

    assert mask_path("/api/v1/records/430121880504101") == "/api/v1/records/4301*******4101"
    assert "880504" not in mask_path("/api/v1/records/430121880504101")
