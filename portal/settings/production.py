"""Production: every secret and host from the environment; HTTPS only."""
from .base import *  # noqa: F401,F403
from .base import BASE_DIR, STORAGES, database_from_env, env, env_bool, env_list, logging_config, require

DEBUG = False
SECRET_KEY = require("DJANGO_SECRET_KEY")
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS") or [require("DJANGO_ALLOWED_HOSTS")]
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")
DATABASES = {"default": database_from_env(BASE_DIR / "var" / "db.sqlite3")}
# JSON log lines unless LOG_FORMAT=plain (see README › Logs).
LOGGING = logging_config(env("LOG_FORMAT", "json"))
# WhiteNoise serves the collected static files: hashed names, gzip/brotli copies, cached for a year.
# `manage.py collectstatic` must have run (the pages' {% static %} links need its manifest).
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}}

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# nginx's address as gunicorn sees it: from there X-Real-IP is the client's address (core/proxy.py).
TRUSTED_PROXIES = env_list("DJANGO_TRUSTED_PROXIES", "127.0.0.1,::1")
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
# Monitoring may ask gunicorn directly over plain HTTP (curl 127.0.0.1:8000/healthz): answer, don't redirect.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = int(env("DJANGO_SECURE_HSTS_SECONDS", str(60 * 60 * 24 * 365)))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
# Demo seal keys never sign production's certificates unless CERT_DEMO_SIGNING=1 says so (a load test).
CERT_DEMO_SIGNING = env_bool("CERT_DEMO_SIGNING", False)
# 等保三级: bureau clerks and system administrators sign in with a second factor (REQUIRE_2FA=0 turns it off).
REQUIRE_2FA = env_bool("REQUIRE_2FA", True)

EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = env("EMAIL_HOST", "localhost")
EMAIL_PORT = int(env("EMAIL_PORT", "25"))
EMAIL_HOST_USER = env("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
