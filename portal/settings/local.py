"""One-machine set-up used by `make run`: SQLite, DEBUG on, a throw-away secret."""
from .base import *  # noqa: F401,F403
from .base import BASE_DIR, database_from_env, env, env_bool, env_list

DEBUG = env_bool("DJANGO_DEBUG", True)
SECRET_KEY = env("DJANGO_SECRET_KEY", "local-development-only-not-a-secret")
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
DATABASES = {"default": database_from_env(BASE_DIR / "var" / "db.sqlite3")}
EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
# The demo shows the SMS copies too, in the console (core.sms.ConsoleBackend).
NOTIFY_CHANNELS = env_list("NOTIFY_CHANNELS", "portal,email,sms")
