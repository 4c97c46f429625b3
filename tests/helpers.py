"""Shared test helpers: a query-count assertion, valid identity numbers, objects made through the
services, and small readers of the rendered pages."""
import itertools
import re
from contextlib import contextmanager
from datetime import date, timedelta
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.http import HttpRequest
from django.test.utils import CaptureQueriesContext
from stdnum.cn import ric, uscc

from accounts import services
from accounts.models import Nature, OrganisationKind

DEMO_PASSWORD = "Demo@2024"


# --- query counts (Zulip's assert_database_query_count) ---------------------------------------

# A signed-in request reads its session from the database, unless sessions live in the cache
# (REDIS_URL set): exact query counts add this for each request they measure.
SESSION_QUERIES = 0 if settings.SESSION_ENGINE.endswith(("backends.cache", "backends.cached_db")) else 1


# The project's own apps: every installed app whose package is a folder of the project. A check that
# walks the apps covers a new one without anyone adding it here.
PROJECT_APPS = tuple(c.name for c in apps.get_app_configs() if Path(c.path).parent == Path(settings.BASE_DIR))


@contextmanager
def assert_database_query_count(count, *, using=DEFAULT_DB_ALIAS):
    """Fail unless the block runs exactly `count` SQL statements; on failure the message lists
    every statement, numbered, so a new N+1 query is easy to spot."""
    with CaptureQueriesContext(connections[using]) as captured:
        yield captured
    actual = len(captured.captured_queries)
    if actual != count:
        lines = "\n".join(f"{i:>3}. {q['sql']}" for i, q in enumerate(captured.captured_queries, 1))
        message = f"{actual} queries were run, {count} expected:\n{lines}"
        print(message)
        raise AssertionError(message)


# --- signing in -----------------------------------------------------------------------------------


def password_login(client, login, password):
    """client.login() with a request, as django-axes (first of the authentication backends) needs one."""
    return client.login(request=HttpRequest(), username=login, password=password)


# --- identity numbers ---------------------------------------------------------------------------

_serial = itertools.count(1)


def make_id_number(*, female=False):
    """A fresh, valid 居民身份证号码 (GB 11643-1999): the 17th digit is odd for men, even for women."""
    n = next(_serial)
    birth = date(1970, 1, 1) + timedelta(days=n // 400)
    body = f"430121{birth:%Y%m%d}{(n % 400) * 2 + (0 if female else 1):03d}"
    return body + ric.calc_check_digit(body + "0")


def make_uscc(*, prefix="12430000"):
    """A fresh, valid 统一社会信用代码 (GB 32100-2015)."""
    body = f"{prefix}{next(_serial):09d}"
    return body + uscc.calc_check_digit(body)


_phone_serial = itertools.count(1000)


def make_phone():
    return f"1389990{next(_phone_serial) % 10000:04d}"


# --- objects, made through the services ---------------------------------------------------------


def make_bureau(*, name="测试市人力资源和社会保障局", parent=None):
    return services.organisation_create(
        name=name, uscc=make_uscc(prefix="11430000"), kind=OrganisationKind.BUREAU, nature=Nature.GOVERNMENT, parent=parent
    )


def make_department(*, name, bureau, parent=None):
    return services.organisation_create(
        name=name, uscc=make_uscc(prefix="11430000"), kind=OrganisationKind.DEPARTMENT, nature=Nature.GOVERNMENT,
        parent=parent, bureau=bureau,
    )


def make_unit(*, name, parent=None, bureau=None, nature=Nature.PUBLIC_INSTITUTION):
    return services.organisation_create(
        name=name, uscc=make_uscc(), kind=OrganisationKind.UNIT, nature=nature, parent=parent, bureau=bureau
    )


def make_person(*, organisation, name="测试人员", female=False, password=DEMO_PASSWORD):
    """A registered professional whose membership of `organisation` waits for confirmation."""
    return services.person_register(
        id_number=make_id_number(female=female), name=name, phone=make_phone(), password=password,
        organisation=organisation, ethnicity="汉族", education="大学本科",
    )


def make_staff(*, username, role, organisation=None, name="测试管理员", password=DEMO_PASSWORD):
    return services.staff_account_create(
        username=username, name=name, password=password, role=role, organisation=organisation
    )


# --- reading pages ------------------------------------------------------------------------------


def another_browser(user):
    """A client signed in as `user` in a session of its own: a second browser or computer, which
    the guard against repeated POSTs of one browser (core/repeats.py) does not answer for, so
    the domain's own rules do."""
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


def hidden_fields(response):
    """name → value of the page's hidden inputs (a confirmation page's, to send it as the browser would),
    whatever attributes follow the value (a form field's maxlength and id)."""
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"[^>]*>', response.content.decode()))


def text_of(response):
    """The page as text with tags removed and whitespace collapsed, for `in` checks on what users read."""
    html = response.content.decode()
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    text = re.sub(r"<[^>]+>", " ", html)
    return re.sub(r"\s+", " ", unescape(text)).strip()


class _MenuParser(HTMLParser):
    def __init__(self):
        super().__init__()
        self.depth = 0  # >0 while inside <nav class="sidemenu">
        self.href = None
        self.text = []
        self.links = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "nav" and "sidemenu" in (attrs.get("class") or ""):
            self.depth = 1
        elif self.depth and tag == "nav":
            self.depth += 1
        elif self.depth and tag == "a":
            self.href, self.text = attrs.get("href"), []

    def handle_endtag(self, tag):
        if self.depth and tag == "nav":
            self.depth -= 1
        elif self.depth and tag == "a" and self.href is not None:
            self.links.append(("".join(self.text).strip(), self.href))
            self.href = None

    def handle_data(self, data):
        if self.href is not None:
            self.text.append(data)


def menu_links(response):
    """(label, url) of every link in the page's left menu, in order."""
    parser = _MenuParser()
    parser.feed(response.content.decode())
    return parser.links



# --- other processes ------------------------------------------------------------------------------


def database_url(config):
    """A DATABASE_URL naming the database of a Django connection's settings, for a subprocess
    (gunicorn, manage.py) that must see what a transactional test committed."""
    if config["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{config['NAME']}"
    host, port = config["HOST"] or "127.0.0.1", config["PORT"] or 5432
    return f"postgres://{config['USER']}:{config['PASSWORD']}@{host}:{port}/{config['NAME']}"
