"""core/proxy.py, the WSGI wrapper gunicorn runs: X-Real-IP is believed only from a trusted proxy,
and a request body the view left unread is read before the connection closes."""
import io

import pytest

from core.proxy import BehindProxy


def call(environ, *, trusted=("127.0.0.1",), settings):
    settings.TRUSTED_PROXIES = list(trusted)
    seen = {}

    def app(environ, start_response):
        seen["REMOTE_ADDR"] = environ["REMOTE_ADDR"]
        environ["wsgi.input"].read(10)  # a view that answers after reading only the start
        start_response("403 Forbidden", [])
        return [b"refused"]

    environ = {"REMOTE_ADDR": "127.0.0.1", "wsgi.input": io.BytesIO(), **environ}
    body = BehindProxy(app)(environ, lambda status, headers: None)
    return seen["REMOTE_ADDR"], body


@pytest.mark.parametrize(
    "environ, trusted, expected",
    [
        ({"HTTP_X_REAL_IP": "203.0.113.7"}, ("127.0.0.1",), "203.0.113.7"),
        ({"HTTP_X_REAL_IP": " 2001:db8::1 "}, ("127.0.0.1",), "2001:db8::1"),
        # A client talking to gunicorn directly cannot choose its address.
        ({"REMOTE_ADDR": "192.0.2.50", "HTTP_X_REAL_IP": "203.0.113.7"}, ("127.0.0.1",), "192.0.2.50"),
        ({"HTTP_X_REAL_IP": "203.0.113.7"}, (), "127.0.0.1"),
        ({"HTTP_X_REAL_IP": "not-an-address"}, ("127.0.0.1",), "127.0.0.1"),
        ({}, ("127.0.0.1",), "127.0.0.1"),
    ],
    ids=["trusted", "trusted-ipv6", "untrusted-peer", "no-trusted-proxies", "malformed", "no-header"],
)
def test_x_real_ip_is_believed_only_from_a_trusted_proxy(environ, trusted, expected, settings):
    address, _ = call(environ, trusted=trusted, settings=settings)
    assert address == expected


def test_the_unread_rest_of_the_body_is_read_before_answering(settings):
    stream = io.BytesIO(b"x" * 300_000)
    _, body = call({"wsgi.input": stream, "CONTENT_LENGTH": "300000"}, settings=settings)
    assert body == [b"refused"]
    assert stream.tell() == 300_000
