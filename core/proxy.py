"""What the portal needs from the WSGI layer behind nginx (deploy/nginx/xueshi.conf), wrapped
around Django's application in portal/wsgi.py.

- The client's address: gunicorn puts nginx's (127.0.0.1) in REMOTE_ADDR, yet the audit trail, the
  login lock-out and the verification rate limits all read it (client_ip below). When the request
  comes from one of TRUSTED_PROXIES, the X-Real-IP header nginx sets (always overwriting the
  client's) becomes REMOTE_ADDR; from anywhere else the header is ignored, so nobody can choose
  their own address.
- The rest of the request body: a view that answers before reading an upload (a CSRF refusal, an
  expired session's redirect) would leave gunicorn to close the connection while nginx is still
  sending the body, and nginx then shows 502 instead of the answer. Reading what is left first
  costs nothing when the view has read it all, and nginx has already buffered the whole body.
"""
import ipaddress

from django.conf import settings

CHUNK = 64 * 1024


def _address(value):
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def client_ip(request):
    """The client's address for the audit trail and the rate limits: REMOTE_ADDR, which BehindProxy
    sets from a trusted proxy's X-Real-IP (X-Forwarded-For is never read, any client can send one);
    None when the server gave none."""
    return request.META.get("REMOTE_ADDR") or None


class BehindProxy:
    def __init__(self, application):
        self.application = application

    def __call__(self, environ, start_response):
        peer = environ.get("REMOTE_ADDR", "")
        if peer in settings.TRUSTED_PROXIES:
            client = _address(environ.get("HTTP_X_REAL_IP", ""))
            if client:
                environ["REMOTE_ADDR"] = client
        response = self.application(environ, start_response)
        stream = environ.get("wsgi.input")
        if stream is not None and environ.get("CONTENT_LENGTH"):
            while stream.read(CHUNK):
                pass
        return response
