"""Sign-in pacing per address: the lock-out (django-axes) counts each login at each address, so
one address could try a password against thousands of accounts. Once an address has had
LOGIN_ADDRESS_FAILURES failed sign-ins within LOGIN_ADDRESS_WINDOW_MINUTES, it may try only one
password every LOGIN_ADDRESS_DELAY_SECONDS until the window is over: slowed, never locked, so
that an office behind one NAT address still signs in, a little more slowly. Counted in the shared
cache (Redis in production; core/ratelimit.py) by the address the audit trail records."""
import math
import time

from django.conf import settings
from django.core.cache import cache

from core import ratelimit
from core.proxy import client_ip


def _keys(request):
    address = client_ip(request) or "unknown"
    return f"accounts:signin:failed:{address}", f"accounts:signin:next:{address}"


def _window():
    return int(settings.LOGIN_ADDRESS_WINDOW.total_seconds())


def failed(sender, credentials=None, request=None, **kwargs):
    """user_login_failed: one more failure for the request's address (none without a request)."""
    if request is not None:
        ratelimit.count(_keys(request)[0], _window())


def wait_before_trying(request):
    """0 if a password may be tried from this address now (taking its turn), else the seconds to wait."""
    failures_key, next_key = _keys(request)
    if ratelimit.hits(failures_key, _window()) < settings.LOGIN_ADDRESS_FAILURES:
        return 0
    delay = settings.LOGIN_ADDRESS_DELAY_SECONDS
    now = time.time()
    if cache.add(next_key, now + delay, timeout=delay):  # atomic: of two requests at once, one goes
        return 0
    return max(1, math.ceil((cache.get(next_key) or now) - now))


def too_fast_message(seconds):
    return f"该网络登录尝试过于频繁，请{seconds}秒后再试。"
