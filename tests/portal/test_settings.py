"""Settings: production passes Django's deployment checks and refuses to start without its
secrets; SQLite runs in WAL mode with IMMEDIATE transactions; migrations match the models."""
import os
import runpy
import secrets
import sqlite3
import subprocess
import sys
from contextlib import contextmanager

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, connections, transaction

from portal.settings.base import database_from_env

PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "portal.settings.production",
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
    "DJANGO_ALLOWED_HOSTS": "xueshi.example.cn",
    "REDIS_URL": "redis://127.0.0.1:6379/15",  # not connected to by the checks
}


def manage(*args, env=None, remove=()):
    full_env = {k: v for k, v in os.environ.items() if k not in remove}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=settings.BASE_DIR, env=full_env, capture_output=True, text=True, timeout=60
    )


def test_production_passes_the_deployment_checks():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_production_fails_the_deployment_checks_without_a_shared_cache():
    """Each worker would count the rate limits and sign-in pacing on its own (xueshi-web.service
    runs this check before gunicorn starts)."""
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "REDIS_URL"}
    result = manage("check", "--deploy", "--fail-level", "ERROR", env=env, remove=("REDIS_URL",))
    assert result.returncode != 0
    assert "core.E001" in result.stderr and "生产环境必须设置 REDIS_URL" in result.stderr


def test_local_settings_pass_the_ordinary_checks_without_redis():
    """`make run` needs no Redis: the check is a deployment one."""
    result = manage("check", env={"DJANGO_SETTINGS_MODULE": "portal.settings.local"}, remove=("REDIS_URL",))
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_refuses_to_start_without_a_secret_key():
    env = dict(PRODUCTION_ENV)
    del env["DJANGO_SECRET_KEY"]
    result = manage("check", env=env, remove=["DJANGO_SECRET_KEY"])
    assert result.returncode != 0
    assert "环境变量 DJANGO_SECRET_KEY 未设置" in result.stderr


def production_settings(monkeypatch, **env):
    for name in ("DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_module("portal.settings.production")


def test_production_needs_allowed_hosts(monkeypatch):
    with pytest.raises(ImproperlyConfigured, match="DJANGO_ALLOWED_HOSTS"):
        production_settings(monkeypatch, DJANGO_SECRET_KEY="k" * 60)
    with pytest.raises(ImproperlyConfigured, match="DJANGO_SECRET_KEY"):
        production_settings(monkeypatch, DJANGO_ALLOWED_HOSTS="xueshi.example.cn")


def test_production_reads_its_hosts_and_key_and_is_https_only(monkeypatch):
    values = production_settings(
        monkeypatch, DJANGO_SECRET_KEY="k" * 60, DJANGO_ALLOWED_HOSTS="xueshi.example.cn, www.xueshi.example.cn"
    )
    assert values["SECRET_KEY"] == "k" * 60
    assert values["ALLOWED_HOSTS"] == ["xueshi.example.cn", "www.xueshi.example.cn"]
    assert values["DEBUG"] is False
    assert values["SESSION_COOKIE_SECURE"] and values["CSRF_COOKIE_SECURE"] and values["SECURE_SSL_REDIRECT"]


def test_pages_may_not_be_framed(client, db):
    assert client.get("/accounts/login/")["X-Frame-Options"] == "DENY"


@contextmanager
def sqlite_connection(config, alias="wal_check"):
    """A Django connection with the project's own SQLite settings, outside the test database."""
    connections.settings[alias] = connections.configure_settings({"default": config})["default"]
    try:
        yield connections[alias]
    finally:
        connections[alias].close()
        del connections[alias]
        del connections.settings[alias]


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite settings; the tests run on another database")
def test_sqlite_runs_in_wal_mode_with_immediate_transactions(tmp_path, monkeypatch, django_db_blocker):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    path = tmp_path / "var" / "db.sqlite3"
    config = database_from_env(path)
    with django_db_blocker.unblock(), sqlite_connection(config) as conn:
        with conn.cursor() as cursor:
            assert cursor.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
            assert cursor.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
            assert cursor.execute("PRAGMA foreign_keys").fetchone()[0] == 1
            cursor.execute("CREATE TABLE t (n integer)")

        other = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            with transaction.atomic(using=conn.alias):
                # BEGIN IMMEDIATE: the write lock is taken before anything is written, so a second
                # writer waits at BEGIN instead of failing half-way with "database is locked".
                with pytest.raises(sqlite3.OperationalError, match="locked"):
                    other.execute("BEGIN IMMEDIATE")
                with conn.cursor() as cursor:
                    cursor.execute("INSERT INTO t VALUES (1)")
                # WAL: readers are not blocked by the writer and see the last committed state.
                assert other.execute("SELECT count(*) FROM t").fetchone()[0] == 0
            assert other.execute("SELECT count(*) FROM t").fetchone()[0] == 1
            other.execute("BEGIN IMMEDIATE")  # free again after the commit
            other.execute("ROLLBACK")
        finally:
            other.close()


def test_database_url_selects_postgresql(monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", "postgres://xueshi:secret@db.example.cn:5432/xueshi")
    config = database_from_env(tmp_path / "unused.sqlite3")
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert (config["HOST"], config["NAME"], config["USER"]) == ("db.example.cn", "xueshi", "xueshi")
    assert "transaction_mode" not in config.get("OPTIONS", {})


@pytest.mark.parametrize("hash_seed", ["0", "1"])
def test_migrations_match_the_models(hash_seed):
    """No model change without its migration, whatever order Python happens to iterate sets in."""
    result = manage("makemigrations", "--check", "--dry-run", env={"PYTHONHASHSEED": hash_seed})
    assert result.returncode == 0, result.stdout + result.stderr
