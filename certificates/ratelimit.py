"""A fixed-window request limit per client IP, kept in Django's cache (with several server
processes, configure a shared cache such as Redis or the database cache)."""
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

# name: (requests, seconds); override with settings.CERT_RATE_LIMITS = {"bulk": (30, 60), ...}
DEFAULT_LIMITS = {
    "bulk": (30, 60),  # the JSON bulk verification endpoint
    "upload": (20, 60),  # uploads checked on the verification pages (each runs a signature check)
}


@dataclass(frozen=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    retry_after: int


def limit_for(bucket):
    return getattr(settings, "CERT_RATE_LIMITS", {}).get(bucket, DEFAULT_LIMITS[bucket])


def client_ip(request):
    """REMOTE_ADDR: behind a reverse proxy, have the proxy set it (X-Forwarded-For is not trusted
    here, since any client can send one)."""
    return request.META.get("REMOTE_ADDR") or "unknown"


def hit(request, bucket):
    """Count one request of this client against the bucket's limit."""
    limit, window = limit_for(bucket)
    now = time.time()
    slot = int(now // window)
    key = f"certificates:rl:{bucket}:{client_ip(request)}:{slot}"
    cache.add(key, 0, timeout=window + 5)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window + 5)
        count = 1
    retry_after = max(1, int((slot + 1) * window - now + 0.999))
    return Decision(count <= limit, limit, max(0, limit - count), retry_after)
