"""The load test's gunicorn runs with production's settings, plus /load/ping (load/urls.py)."""
from portal.settings.production import *  # noqa: F401,F403

ROOT_URLCONF = "load.urls"
