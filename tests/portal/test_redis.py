"""With REDIS_URL set (the PostgreSQL CI run sets it), cache and sessions live in Redis."""
import os

import pytest
from django.conf import settings
from django.core.cache import cache
from django.urls import reverse

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="REDIS_URL not set: cache is in process memory"),
]


def test_cache_is_redis():
    assert settings.CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    cache.set("probe", "值", 30)
    client = cache._cache.get_client("probe")  # the real Redis connection behind Django's cache
    assert client.ping() is True
    assert cache.get("probe") == "值"


def test_sessions_are_kept_in_redis(client, demo):
    from django.contrib.sessions.backends.cached_db import KEY_PREFIX

    user = demo.account("applicant")
    client.force_login(user)
    assert client.get(reverse("portal:home")).status_code == 200
    session_key = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert cache.get(KEY_PREFIX + session_key)["_auth_user_id"] == str(user.pk)
