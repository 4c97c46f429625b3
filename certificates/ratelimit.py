"""A fixed-window request limit per client IP, kept in Django's cache (with several server
processes, configure a shared cache such as Redis or the database cache)."""
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

from core.proxy import client_ip


@dataclass(frozen=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    retry_after: int


def hit(request, bucket):
    """Count one request of this client against the bucket's limit."""
    limit, window = settings.CERT_RATE_LIMITS[bucket]
    now = time.time()
    slot = int(now // window)
    key = f"certificates:rl:{bucket}:{client_ip(request) or 'unknown'}:{slot}"
    cache.add(key, 0, timeout=window + 5)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window + 5)
        count = 1
    retry_after = max(1, int((slot + 1) * window - now + 0.999))
    return Decision(count <= limit, limit, max(0, limit - count), retry_after)
