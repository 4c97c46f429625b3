"""Notices leave through the channels of NOTIFY_CHANNELS: the portal always, e-mail and SMS after
commit. The 云片 adapter (core/sms.py) is checked against a local fake gateway: what it sends
(method, path, form fields, UTF-8, the 【签名】) and that a refusal or a timeout is only logged,
with the number masked, and never undoes the decision that sent it."""
import json
import logging
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest
from django.core import mail

from core import sms
from workflow.models import Notification, Reminder, ReminderReason, State
from workflow.reminders import remind
from workflow.runner import channels_for, notify
from tests.hours.fixtures_views import *  # noqa: F401,F403
from tests.hours.fixtures_views import at_state, fresh
from tests.portal.jobs_support import RefusingQueue

PHONE = "18899098765"  # 宋庆涛's, from the demo


class FakeGateway:
    """single_send.json on 127.0.0.1: records each request and answers `answer` (status, JSON),
    after `delay` seconds."""

    def __init__(self, answer=(200, {"code": 0, "msg": "发送成功", "count": 1, "sid": 1}), delay=0):
        self.requests = []
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                gateway.requests.append({"method": self.command, "path": self.path, "headers": dict(self.headers), "body": body})
                time.sleep(delay)
                status, payload = answer
                data = payload if isinstance(payload, bytes) else json.dumps(payload, ensure_ascii=False).encode("utf-8")
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json;charset=utf-8")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    pass  # the client gave up (the timeout test)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/v2/sms/single_send.json"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def sms_on(settings):
    def configure(url, timeout=2):
        settings.NOTIFY_CHANNELS = ["portal", "email", "sms"]
        settings.SMS_BACKEND = "core.sms.YunpianBackend"
        settings.SMS_YUNPIAN_URL = url
        settings.SMS_YUNPIAN_APIKEY = "test-key"
        settings.SMS_SIGNATURE = "学时核认"
        settings.SMS_TIMEOUT_SECONDS = timeout

    return configure


def test_the_yunpian_adapter_posts_the_documented_form(sms_on):
    with FakeGateway() as gateway:
        sms_on(gateway.url)
        assert sms.send("188-9909-8765", "您的学时核认申报已审核通过，详见学时核认平台。") is True
    [request] = gateway.requests
    assert request["method"] == "POST" and request["path"] == "/v2/sms/single_send.json"
    assert request["headers"]["Content-Type"].startswith("application/x-www-form-urlencoded")
    form = parse_qs(request["body"].decode("utf-8"), strict_parsing=True)
    assert form == {
        "apikey": ["test-key"], "mobile": [PHONE], "text": ["【学时核认】您的学时核认申报已审核通过，详见学时核认平台。"],
    }


@pytest.mark.parametrize(
    ("answer", "delay", "logged"),
    [
        ((400, {"http_status_code": 400, "code": 2, "msg": "请求参数格式错误", "detail": "参数 text 格式不正确"}), 0, "code=2"),
        ((200, {"code": 22, "msg": "验证码类短信1小时内同一手机号发送次数不能超过3次"}), 0, "code=22"),
        ((502, b"<html>Bad Gateway</html>"), 0, "code=502"),
        ((200, b"[1, 2]"), 0, "不是 JSON 对象"),
        ((200, {"code": 0}), 1.5, "短信发送失败"),  # slower than the timeout
    ],
)
def test_a_refusal_or_a_timeout_is_logged_with_the_number_masked(sms_on, caplog, answer, delay, logged):
    with FakeGateway(answer=answer, delay=delay) as gateway:
        sms_on(gateway.url, timeout=0.5)
        assert sms.send(PHONE, "提醒") is False
    assert logged in caplog.text
    assert "188****8765" in caplog.text and PHONE not in caplog.text


def test_channels_follow_the_setting_and_what_is_on_file(p, settings):
    settings.NOTIFY_CHANNELS = ["portal", "email"]
    assert channels_for(p.song) == ["portal"]  # the demo keeps no e-mail address
    p.song.email = "song@example.cn"
    assert channels_for(p.song) == ["portal", "email"]
    settings.NOTIFY_CHANNELS = ["portal", "email", "sms"]
    assert channels_for(p.song) == ["portal", "email", "sms"]
    assert channels_for(p.song, outside=False) == ["portal"]
    p.song.phone = "0731-84567890"  # a fixed line takes no short message
    assert channels_for(p.song) == ["portal", "email"]


def test_notify_sends_the_copies_after_commit_and_the_sms_is_the_title(p, sms_on, django_capture_on_commit_callbacks):
    p.song.email = "song@example.cn"
    p.song.save(update_fields=["email"])  # the delivery task reads the person afresh
    with FakeGateway() as gateway:
        sms_on(gateway.url)
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            notify(p.song, "学时核认申报已审核通过", "您2024年度的学时核认申报已由湖南省人力资源和社会保障厅审核通过。")
        assert not gateway.requests and not mail.outbox  # nothing leaves before the commit
        for callback in callbacks:
            callback()
    assert len(mail.outbox) == 1
    [request] = gateway.requests
    assert parse_qs(request["body"].decode())["text"] == ["【学时核认】学时核认申报已审核通过，详见学时核认平台。"]


def test_a_gateway_that_is_down_does_not_fail_the_decision(p, sms_on, caplog, django_capture_on_commit_callbacks):
    with FakeGateway(answer=(503, {"code": -50, "msg": "服务不可用"})) as gateway:
        sms_on(gateway.url)
        with django_capture_on_commit_callbacks(execute=True):
            declaration = at_state(p, State.APPROVED)
    assert fresh(declaration).state == State.APPROVED
    assert gateway.requests  # it was tried…
    assert "短信网关拒绝" in caplog.text and PHONE not in caplog.text  # …and only logged


def test_a_task_queue_that_refuses_the_copies_does_not_fail_the_decision(p, settings, monkeypatch, caplog,
                                                                         django_capture_on_commit_callbacks):
    """The copies are queued after the commit: a queue that is down is logged by name, and the
    decisions and the portal's notices stand."""
    settings.NOTIFY_CHANNELS = ["portal", "email", "sms"]
    monkeypatch.setattr("workflow.runner.deliver", RefusingQueue())
    with caplog.at_level(logging.ERROR, logger="django.test"), django_capture_on_commit_callbacks(execute=True):
        declaration = at_state(p, State.APPROVED)
    assert fresh(declaration).state == State.APPROVED
    assert Notification.objects.filter(user=p.song, title=f"学时核认申报{declaration.business_no}审核通过").count() == 1
    logged = [r.getMessage() for r in caplog.records if r.name == "django.test"]
    assert logged and set(logged) == {"Error calling RefusingQueue.enqueue in on_commit() (任务队列不可用)."}


def test_a_reminder_records_the_channels_it_went_through(p, settings, sms_on, django_capture_on_commit_callbacks):
    settings.NOTIFY_CHANNELS = ["portal", "email", "sms"]
    with FakeGateway() as gateway, django_capture_on_commit_callbacks(execute=True):
        sms_on(gateway.url)
        reminder = remind(user=p.song, reason=ReminderReason.SHORTFALL, period="2026", title="学时不足", body="尚差学时。")
    assert Reminder.objects.get(pk=reminder.pk).channels == ["portal", "sms"]  # no e-mail address on file
    with FakeGateway(answer=(503, {"code": -50, "msg": "服务不可用"})) as gateway, django_capture_on_commit_callbacks(execute=True):
        sms_on(gateway.url)
        refused = remind(user=p.song, reason=ReminderReason.SHORTFALL, period="2027", title="学时不足", body="尚差学时。")
    assert Reminder.objects.get(pk=refused.pk).channels == ["portal"]  # what went out, not what was tried
    assert remind(user=p.song, reason=ReminderReason.SHORTFALL, period="2026", title="学时不足", body="尚差学时。") is None


def test_a_person_with_no_address_nor_mobile_is_told_in_the_portal_only(p, settings, django_capture_on_commit_callbacks):
    """Nothing waits for the commit to send: the portal's copy is the notice itself."""
    settings.NOTIFY_CHANNELS = ["portal", "email", "sms"]
    p.song.email, p.song.phone = "", ""
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        notice = notify(p.song, "学时核认申报已审核通过", "您2024年度的学时核认申报已审核通过。")
    assert callbacks == [] and not mail.outbox
    assert (notice.user, notice.title) == (p.song, "学时核认申报已审核通过")
