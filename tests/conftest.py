"""Fixtures shared by the whole suite: the demo province and its accounts by kind."""
import copy
import importlib
import json
import logging
import os
import shutil
import sqlite3
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection, connections, transaction
from django.test import override_settings

from portal.management.commands.load_demo import load
from accounts.models import Organisation, User
from tests.security.masking import grep_every_response  # noqa: F401 - autouse: greps every response and log line for full ID and mobile numbers

DEMO_FILE = Path(settings.BASE_DIR) / "fixtures" / "demo.json"


if os.environ.get("XUESHI_TEST_DB_TEMPLATE"):
    @pytest.fixture(scope="session", autouse=True)
    def log_streams_of_this_run():
        """mutmut runs pytest many times in one process: log handlers made in the first run still
        write to that run's captured stderr, long closed (each record would print a traceback)."""
        for logger in [logging.getLogger(), *logging.Logger.manager.loggerDict.values()]:
            for handler in getattr(logger, "handlers", []):
                if getattr(getattr(handler, "stream", None), "closed", False):
                    handler.stream = sys.stderr  # not setStream: it would flush the closed one first

    @pytest.fixture(scope="session")
    def django_db_setup(django_test_environment, django_db_blocker):
        """Under `make mutate` (tests/mutation/run.py) every mutant's test run starts from its own copy
        of one database migrated beforehand: migrations would cost nine seconds a mutant."""
        path = Path(tempfile.gettempdir()) / f"xueshi-mutant-{os.getpid()}.sqlite3"
        # Read-only: a template that is missing fails the run instead of being created empty.
        source = sqlite3.connect(f"file:{os.environ['XUESHI_TEST_DB_TEMPLATE']}?mode=ro", uri=True)
        copy = sqlite3.connect(path)
        source.backup(copy)
        source.close(), copy.close()
        with django_db_blocker.unblock():
            connections.close_all()
            connection.settings_dict["NAME"] = str(path)
        yield
        with django_db_blocker.unblock():
            connections.close_all()
        for leftover in path.parent.glob(path.name + "*"):  # with its -wal and -shm
            leftover.unlink(missing_ok=True)


@pytest.fixture(scope="session", autouse=True)
def signing_dir():
    """Demo seal keys made once for the run, away from var/signing of the developer's demo site."""
    directory = Path(tempfile.mkdtemp(prefix="xueshi-test-signing-"))
    with override_settings(CERT_SIGNING_DIR=str(directory)):
        yield directory
    shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(autouse=True)
def empty_cache():
    """Each test starts and leaves with an empty cache: rate-limit counters, cached certificates."""
    cache.clear()
    yield
    cache.clear()


LOCKS = "a race on row locks (SELECT … FOR UPDATE), which SQLite ignores: it could not fail there"


def pytest_collection_modifyitems(items):
    """A test marked `postgres` (its argument says why) proves what only PostgreSQL makes real:
    SQLite has no row locks and lets one writer in at a time (IMMEDIATE transactions), so there
    such a race passes with or without the lock it is about. Skipped on SQLite, saying so; CI's
    PostgreSQL stage runs it. Races SQLite can decide (a unique constraint, the state field's
    guard, the repeated-POST guard) are left unmarked and run on both (docs/testing.md)."""
    if connection.vendor == "postgresql":
        return
    for item in items:
        marker = item.get_closest_marker("postgres")
        if marker is not None:
            item.add_marker(pytest.mark.skip(reason=f"needs PostgreSQL: {marker.args[0] if marker.args else LOCKS}"))


@pytest.fixture
def writers_queue(django_db_setup):
    """For a race test (tests/races.py; `pytest.mark.usefixtures("writers_queue")`): PostgreSQL, or
    SQLite on a file, where IMMEDIATE transactions queue writers. Django's in-memory SQLite test
    database (shared cache) answers a second writer with “table is locked” at once instead of
    waiting, so it cannot host a race: skipped there."""
    if connection.vendor == "postgresql":
        return
    if (
        connection.vendor == "sqlite"
        and not connection.is_in_memory_db()
        and connection.settings_dict.get("OPTIONS", {}).get("transaction_mode") == "IMMEDIATE"
    ):
        return
    pytest.skip("needs PostgreSQL, or SQLite on a file with IMMEDIATE transactions (the test database is in memory)")

# One signed-in person per kind of account the demo province has (and what each is there to show).
DEMO_ACCOUNTS = {
    "applicant": "430121198805041015",  # 宋庆涛, confirmed member of 湖南省地质研究所
    "applicant_pending": "430121198810111372",  # 何磊, waiting for 湖南省地质研究所 to confirm
    "applicant_unit_admin": "430121197503121031",  # 陈立新, applicant and 湖南省地质研究所's administrator
    "unit_admin": "dzcl_admin",  # 湖南省地质测绘院
    "unit_and_dept_admin": "dzy_admin",  # 湖南省地质院, a unit with units below it
    "dept_admin": "zrzy_admin",  # 湖南省自然资源厅
    "bureau_clerk": "hn_clerk",  # 湖南省人力资源和社会保障厅
    "city_bureau_clerk": "cs_clerk",  # 长沙市人力资源和社会保障局
    "sysadmin": "sysadmin",
}


@pytest.fixture(scope="session")
def demo_data():
    """The demo province as the JSON file describes it (read once)."""
    return json.loads(DEMO_FILE.read_text(encoding="utf-8"))


class Demo:
    """The loaded demo province, with lookups by the names people use."""

    def __init__(self, data):
        self.data = data

    def org(self, name):
        return Organisation.objects.get(name=name)

    def user(self, login):
        return User.objects.filter(username=login).first() or User.objects.get(id_number=login)

    def account(self, kind):
        return self.user(DEMO_ACCOUNTS[kind])


def ensure_rule_sets():
    """Transactional tests flush every table, the rule sets migration 0002 loaded included: put them back."""
    from django.apps import apps as django_apps

    from hours.models import RuleSet

    if not RuleSet.objects.exists():
        importlib.import_module("hours.migrations.0002_load_rule_sets").load(django_apps, None)


# The demo's work in hand (portal/demo_work.py): its people and their declarations at every level.
WORK_KEYS = ("work_people", "work")


def province_only(demo_data):
    """The demo province without its worked declarations: tests build the declarations they need."""
    data = without_work(demo_data)
    data.pop("declarations", None)
    return data


def without_work(demo_data):
    """The demo with its approved history but not the work in hand, for tests that load it whole
    yet count what they build themselves (the browser journeys)."""
    data = copy.deepcopy(demo_data)
    for key in WORK_KEYS:
        data.pop(key, None)
    return data


@pytest.fixture(scope="module")
def demo_province(django_db_setup, django_db_blocker, demo_data):
    """The demo province, loaded through the services as `manage.py load_demo` does, once per
    test module inside a transaction that is rolled back when the module is done. Each test runs
    in a savepoint inside it (as Django's TestCase.setUpTestData does), so what a test changes is
    undone after it. Once loaded, the province stays for the rest of the module.

    Not for transactional tests (`django_db(transaction=True)`): they need committed data and
    would empty the tables under the other tests; let them call `load()` themselves."""
    with kept_for_module(django_db_blocker, lambda: load(province_only(demo_data))):
        yield Demo(demo_data)


@contextmanager
def kept_for_module(django_db_blocker, fill):
    """What `fill()` writes, inside a transaction rolled back when the block ends (a module's
    shared data: see demo_province)."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            fill()
        except BaseException:
            outer.__exit__(*sys.exc_info())
            raise
    try:
        yield
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def committed_demo(transactional_db, demo_data):
    """The demo province loaded and committed, for transactional tests (django_db(transaction=True)):
    the race tests' threads read it through connections of their own, which do not see the
    `demo` fixture's province inside its rolled-back transaction."""
    ensure_rule_sets()
    load(province_only(demo_data))
    return Demo(demo_data)


def _is_transactional(request):
    marker = request.node.get_closest_marker("django_db")
    in_marker = marker is not None and (marker.kwargs.get("transaction") or (marker.args and marker.args[0]))
    return bool(in_marker) or "transactional_db" in request.fixturenames


@pytest.fixture
def demo(request, demo_province, db):
    """The demo province (see demo_province), for one test."""
    if _is_transactional(request):
        pytest.fail("the demo fixture cannot be used by transactional tests; call load() in the test instead")
    return demo_province
