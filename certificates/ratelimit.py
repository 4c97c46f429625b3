"""A fixed-window request limit per client IP, kept in Django's cache (shared by all server
processes in production: core/ratelimit.py's deployment check asks for REDIS_URL)."""
from dataclasses import dataclass

from django.conf import settings

from core import ratelimit
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
    count, retry_after = ratelimit.count(f"certificates:rl:{bucket}:{client_ip(request) or 'unknown'}", window)
    return Decision(count <= limit, limit, max(0, limit - count), retry_after)
