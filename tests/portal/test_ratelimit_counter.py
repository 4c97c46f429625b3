"""The fixed-window counter every rate limit uses (core/ratelimit.py), on a clock the test moves:
what it counts, when a window starts again, what Retry-After says, and how long the cache keeps a
window's counter (in production Redis would otherwise keep one key per client per window)."""
from unittest import mock

import pytest
from django.core.cache import cache

from core import ratelimit

START = 1_800_000_000.0  # a multiple of 10 and of 60: the start of a window


@pytest.fixture
def clock():
    """One clock for the counter and for the cache's expiry of keys."""
    now = [START]
    with mock.patch("time.time", lambda: now[0]):
        yield now


def test_hits_count_up_within_a_window_and_start_again_in_the_next(clock):
    assert [ratelimit.count("t:a", 10)[0] for _ in range(3)] == [1, 2, 3]
    assert ratelimit.hits("t:a", 10) == 3
    clock[0] = START + 10
    assert ratelimit.hits("t:a", 10) == 0
    assert ratelimit.count("t:a", 10)[0] == 1


def test_keys_are_counted_apart():
    assert ratelimit.count("t:a", 60)[0] == 1
    assert ratelimit.count("t:b", 60)[0] == 1
    assert ratelimit.hits("t:c", 60) == 0  # never counted: nothing, not one


def test_retry_after_is_the_whole_seconds_left_in_the_window(clock):
    assert ratelimit.count("t:a", 60)[1] == 60
    clock[0] = START + 59.2
    assert ratelimit.count("t:a", 60)[1] == 1  # 0.8 s left: one second, never zero
    clock[0] = START + 20.5
    assert ratelimit.window_key("t:a", 60) == (f"t:a:{int(START // 60)}", 40)


@pytest.mark.parametrize("window", [1, 5, 60])
def test_a_windows_counter_is_kept_five_seconds_past_its_window(window):
    """Asked of the cache, not watched: Redis expires keys by its own clock, not the test's."""
    with mock.patch.object(cache, "add", wraps=cache.add) as add:
        ratelimit.count("t:a", window)
    add.assert_called_once_with(ratelimit.window_key("t:a", window)[0], 0, timeout=window + 5)


def test_a_counter_that_expired_between_its_creation_and_the_count_starts_at_one_and_goes_on():
    """cache.add then cache.incr: if the key expired in between, incr finds nothing; the count
    restarts at one under the same key, kept as long as any other."""
    key = ratelimit.window_key("t:a", 10)[0]
    with mock.patch.object(cache, "add", lambda *args, **kwargs: True), \
            mock.patch.object(cache, "set", wraps=cache.set) as set_:
        assert ratelimit.count("t:a", 10)[0] == 1
    set_.assert_called_once_with(key, 1, timeout=15)
    assert ratelimit.count("t:a", 10)[0] == 2
    assert ratelimit.hits("t:a", 10) == 2


@pytest.mark.parametrize("backend", ["django.core.cache.backends.locmem.LocMemCache", "django.core.cache.backends.dummy.DummyCache"])
def test_the_deployment_check_refuses_a_cache_of_one_process(settings, backend):
    settings.CACHES = {"default": {"BACKEND": backend}}
    [error] = ratelimit.shared_cache_check(None)
    assert error.id == "core.E001" and error.level == 40  # ERROR: `check --deploy` fails
    assert error.msg == f"生产环境必须设置 REDIS_URL：缓存现为 {backend.rsplit('.', 1)[-1]}（各进程各自一份）。"
    assert "REDIS_URL=redis://" in error.hint


def test_the_deployment_check_accepts_a_shared_cache(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:6379/9"}}
    assert ratelimit.shared_cache_check(None) == []
