"""What the rate limits share: fixed-window counters in Django's cache, and the deployment check
that this cache is one all server processes share (Redis, REDIS_URL). In one process's memory
(LocMemCache, what base settings fall back to without REDIS_URL) each gunicorn worker would count
on its own and every limit would be that many times higher."""
import time

from django.conf import settings
from django.core.cache import cache
from django.core.checks import Error, Tags, register

PROCESS_LOCAL_CACHES = ("django.core.cache.backends.locmem.LocMemCache", "django.core.cache.backends.dummy.DummyCache")


def window_key(key, window):
    """`key` in the current window of `window` seconds, and the seconds until that window ends."""
    now = time.time()
    slot = int(now // window)
    return f"{key}:{slot}", max(1, int((slot + 1) * window - now + 0.999))


def count(key, window):
    """Count one hit of `key` in the current window of `window` seconds: (hits so far, seconds
    until the window ends)."""
    key, retry_after = window_key(key, window)
    cache.add(key, 0, timeout=window + 5)
    try:
        hits = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window + 5)
        hits = 1
    return hits, retry_after


def hits(key, window):
    """The hits of `key` counted so far in the current window, without adding one."""
    return cache.get(window_key(key, window)[0]) or 0


@register(Tags.security, deploy=True)
def shared_cache_check(app_configs, **kwargs):
    """`manage.py check --deploy` (run before gunicorn starts, deploy/xueshi-web.service) fails
    without a shared cache."""
    backend = settings.CACHES["default"]["BACKEND"]
    if backend in PROCESS_LOCAL_CACHES:
        return [
            Error(
                f"生产环境必须设置 REDIS_URL：缓存现为 {backend.rsplit('.', 1)[-1]}（各进程各自一份）。",
                hint="登录限速、验证接口限速等按进程分别计数，多进程时形同虚设；请设置 REDIS_URL=redis://…（见 deploy/env.example）。",
                id="core.E001",
            )
        ]
    return []
