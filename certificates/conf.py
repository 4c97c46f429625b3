"""Certificate settings: read from Django settings first, then from the environment, so production
can set them either way (see README, “Certificates and verification”)."""
import os

from django.conf import settings


def setting(name, default=None):
    value = getattr(settings, name, None)
    if value in (None, ""):
        value = os.environ.get(name) or default
    return value


def flag(name):
    """True/False when set (settings or environment: 1/true/yes/on), None when not set."""
    value = setting(name)
    if value is None:
        return None
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes", "on"}
    return bool(value)
