"""Test settings: SQLite unless DATABASE_URL names another server; fast hashing, in-memory mail."""
import os
import tempfile
from pathlib import Path

from .base import *  # noqa: F401,F403
from .base import BASE_DIR, REDIS_URL, database_from_env

DEBUG = False
SECRET_KEY = "tests-only-not-a-secret"
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
DATABASES = {"default": database_from_env(BASE_DIR / "var" / "test.sqlite3")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not memory: concurrent writers then wait on IMMEDIATE transactions as in production,
    # so the race tests run on SQLite too.
    # One file per test process, so two runs in one checkout do not share it.
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / "var" / f"test-run-{os.getpid()}.sqlite3")}
# `make test` runs the suite in two processes (pytest-xdist): each flushes the cache between tests,
# so each worker gets its own Redis database, counting down from the one REDIS_URL names.
_worker = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0")[2:])
_redis, _, _number = (REDIS_URL or "").rstrip("/").rpartition("/")
if _worker and _number.isdigit():
    CACHES["default"]["LOCATION"] = f"{_redis}/{int(_number) - _worker}"  # noqa: F405
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="xueshi-test-media-"))
# Static files are not collected for the tests: WhiteNoise looks them up per request instead of
# warning that STATIC_ROOT is missing.
WHITENOISE_AUTOREFRESH = True
