"""API keys: `xsk_<prefix>_<secret>`. The prefix (12 hex characters) names the key in lists and
logs; only the SHA-256 of the whole key is stored. A key is 32 random bytes, so a fast hash is as
safe as a slow one and costs the API nothing per call."""
import hashlib
import secrets

from django.utils import timezone

from .models import ApiKey

SCHEME = "xsk"
LAST_USED_EVERY = 60  # seconds: last_used_at is written at most once a minute per key
MAX_KEY_LENGTH = 100


def new_key():
    """(prefix, key): the key is shown once and never stored."""
    prefix = secrets.token_hex(6)  # 48 bits: a clash among a province's keys is out of reach
    return prefix, f"{SCHEME}_{prefix}_{secrets.token_urlsafe(32)}"


def digest(raw):
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()


def authenticate(raw, *, now=None):
    """The active key `raw` is, with its organisation, or None: unknown, revoked, malformed, or its
    organisation switched off."""
    if not raw or len(raw) > MAX_KEY_LENGTH or not raw.isascii():
        return None
    key = (
        ApiKey.objects.select_related("organisation", "bureau")
        .filter(key_hash=digest(raw), revoked_at__isnull=True, organisation__is_active=True)
        .first()
    )
    if key is None:
        return None
    now = now or timezone.now()
    if key.last_used_at is None or (now - key.last_used_at).total_seconds() >= LAST_USED_EVERY:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
    return key
