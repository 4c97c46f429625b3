"""Browser journeys: Debian's Chromium (never a downloaded browser) driven by Playwright against
pytest-django's live server, one browser for the whole session and one browser context per person.

Every page a journey visits is checked with axe-core (shipped inside axe-playwright-python, run in
the same page); serious and critical violations fail the journey. Key pages are saved as
screenshots under var/e2e-screenshots/<journey>/NN-name.png; the folder is printed at the end of
the run. Where no Chromium is installed (E2E_CHROMIUM names another binary) the journeys are
skipped, loudly (a warning and a line in the summary), never silently."""
import os
import re
import shutil
import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.test import override_settings
from django_fsm.signals import post_transition

from portal.management.commands.load_demo import load
from tests.conftest import ensure_rule_sets, without_work
from tests.helpers import DEMO_PASSWORD

CHROMIUM = Path(os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-quic",
]
SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "e2e-screenshots"
FAILING_IMPACTS = ("serious", "critical")
NO_CHROMIUM = f"!! 浏览器旅程未运行：找不到 Chromium（{CHROMIUM}）。请以 root 运行 `make sysdeps` 或 `apt-get install chromium`。"

ASYNC_UNSAFE = "DJANGO_ALLOW_ASYNC_UNSAFE"
HERE = Path(__file__).resolve().parent
_session = {"ran": False, "skipped": False, "checked": set(), "folders": [], "tallies": []}
FAILED = pytest.StashKey[bool]()


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        _session["skipped"] = True
        warnings.warn(NO_CHROMIUM, pytest.PytestWarning)
        print("\n" + NO_CHROMIUM)
        pytest.skip(NO_CHROMIUM)
    from playwright.sync_api import sync_playwright

    # While Playwright's sync API is open its event loop counts as running in this thread, and
    # Django refuses ORM calls there unless told otherwise: allowed for as long as the browser is,
    # which is why the journeys run last (see pytest_collection_modifyitems).
    before = os.environ.get(ASYNC_UNSAFE)
    os.environ[ASYNC_UNSAFE] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
            _session["ran"] = True
            yield chromium
            chromium.close()
    finally:
        if before is None:
            os.environ.pop(ASYNC_UNSAFE, None)
        else:
            os.environ[ASYNC_UNSAFE] = before


@pytest.fixture(scope="session")
def live_server():
    """pytest-django's live server. The portal has MEDIA_URL = None (uploads are served only by
    permission-checked views), which Django's media handler in the server thread cannot parse: give
    it, while it starts, a URL on another host, which it then never serves."""
    from pytest_django.live_server_helper import LiveServer

    with override_settings(MEDIA_URL="http://media.invalid/"):
        server = LiveServer(os.environ.get("DJANGO_LIVE_TEST_SERVER_ADDRESS", "localhost"))
    yield server
    server.stop()


@pytest.fixture
def province(live_server, demo_data):
    """The demo province with its approved history, committed, so the live server's thread sees it
    (the tables are flushed after each test, the rule sets included: put them back first). Not
    the work in hand (tests/conftest.py without_work): the journeys count the cases they make, and
    each test loads it afresh."""
    from django.core.cache import cache

    cache.clear()  # rate-limit counters of earlier tests
    ensure_rule_sets()
    load(without_work(demo_data))
    return live_server


@pytest.fixture
def transitions():
    """Every FSM transition that happens in this process (the live server's thread included), in order."""
    seen = []

    def record(sender, instance, name, source, target, **kwargs):
        seen.append((type(instance).__name__, instance.pk, name, source, target))

    post_transition.connect(record, weak=False)
    yield seen
    post_transition.disconnect(record)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    """The journeys run after every other test (and after pytest-django's own ordering): the rest of
    the suite, and the programs it starts, must not inherit the browser's event loop or the
    DJANGO_ALLOW_ASYNC_UNSAFE it needs (manage.py check --deploy rightly refuses that)."""
    journeys = [item for item in items if HERE in item.path.parents]
    if journeys:
        items[:] = [item for item in items if HERE not in item.path.parents] + journeys


def pytest_terminal_summary(terminalreporter):
    if _session["skipped"]:
        terminalreporter.write_sep("!", NO_CHROMIUM, red=True, bold=True)
    elif _session["ran"]:
        terminalreporter.write_sep("-", f"浏览器旅程截图 (journey screenshots): {SCREENSHOTS}")
        for folder in _session["folders"]:
            terminalreporter.write_line(f"  {folder}")
        terminalreporter.write_line(f"axe-core 检查的页面 (kinds of pages checked by axe-core): {len(_session['checked'])}")
        if _session["tallies"]:
            lines = [f"  {t.task}: {t.clicks} 次操作 (user actions), {t.loads} 次页面加载 (page loads)" for t in _session["tallies"]]
            terminalreporter.write_sep("-", "操作次数 (user actions per task, budgets asserted in the journeys)")
            for line in lines:
                terminalreporter.write_line(line)
            (SCREENSHOTS / "actions.txt").write_text("\n".join(line.strip() for line in lines) + "\n", encoding="utf-8")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call" and report.failed:
        item.stash[FAILED] = True
    return report


def _page_kind(url):
    """Pages that differ only by ids are the same page: axe checks each kind once per journey."""
    parts = urlsplit(url)
    query = "&".join(sorted({pair.split("=", 1)[0] for pair in parts.query.split("&") if pair}))
    return re.sub(r"/\d+/", "/<id>/", re.sub(r"/XS[0-9A-Z-]+/", "/<number>/", parts.path)) + ("?" + query if query else "")


@dataclass
class Tally:
    """What a person did for one task: user actions (a click, choosing an option, focusing a field to
    type into it, picking a file, each one) and full page loads (htmx swaps are not page loads)."""

    task: str
    clicks: int = 0
    loads: int = 0


class Journey:
    """One journey: browser contexts for the people in it, axe on every page, numbered screenshots."""

    def __init__(self, browser, base_url, name):
        self.browser = browser
        self.base_url = base_url
        self.folder = SCREENSHOTS / name
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder.mkdir(parents=True, exist_ok=True)  # another run in this checkout may have just made it
        self.shots = 0
        self.visited = []
        self.checked = set()
        self.violations = []
        self.contexts = []
        self.without_js = []
        self.tallies = []

    def context(self, **options):
        context = self.browser.new_context(
            base_url=self.base_url, locale="zh-CN", viewport={"width": 1280, "height": 900}, accept_downloads=True, **options
        )
        context.set_default_timeout(15_000)
        self.contexts.append(context)
        if not options.get("java_script_enabled", True):
            self.without_js.append(context)
        page = context.new_page()
        page.on("dialog", lambda dialog: dialog.accept())  # the data-confirm questions
        page.on("load", lambda _: self._count("loads"))
        if options.get("java_script_enabled", True):
            page.on("framenavigated", lambda frame: frame == page.main_frame and self.visited.append(frame.url))
        return page

    # Counting what people do: a task runs inside `with journey.counting("…") as tally:` and its user
    # actions go through the methods below; the journey asserts the budget on `tally`.
    def _count(self, what):
        for tally in self.tallies:
            setattr(tally, what, getattr(tally, what) + 1)

    @contextmanager
    def counting(self, task):
        tally = Tally(task)
        self.tallies.append(tally)
        try:
            yield tally
        finally:
            self.tallies.remove(tally)
            _session["tallies"].append(tally)

    def click(self, locator, **options):
        self._count("clicks")
        locator.click(**options)

    def fill(self, locator, value):
        """Focus a field (one action) and type into it."""
        self._count("clicks")
        locator.fill(str(value))

    def choose(self, locator, **option):
        """Pick an option of a <select> (value= or label=)."""
        self._count("clicks")
        locator.select_option(**option)

    def tick(self, locator):
        self._count("clicks")
        locator.check()

    def attach(self, locator, *paths):
        """Choose files in the file dialog."""
        self._count("clicks")
        locator.set_input_files(list(paths) if len(paths) > 1 else paths[0])

    def sign_in(self, login, *, shot=None):
        page = self.context()
        page.goto("/accounts/login/")
        self.look(page)
        page.get_by_label("证件号码或用户名").fill(login)
        page.get_by_label("密码").fill(DEMO_PASSWORD)
        self.navigate(page, lambda: page.get_by_role("button", name="登录").click(), shot=shot)
        assert urlsplit(page.url).path == "/", f"{login} 登录后应进入首页，实际为 {page.url}"
        return page

    def navigate(self, page, action, *, shot=None):
        """Do something that loads a new page, then check that page."""
        with page.expect_navigation():
            action()
        self.look(page, shot)
        return page

    def look(self, page, shot=None, *, state=""):
        """axe-core on the page as it is now (once per kind of page, its error-marked version and any
        `state` that scripts brought in counting apart), and a screenshot if named."""
        page.wait_for_load_state("load")
        kind = _page_kind(page.url)
        if page.locator(".form-errors, [aria-invalid=true]").count():
            kind += "#errors"
        if state:
            kind += f"#{state}"
        # axe-core needs the page's timers, which do not run with JavaScript off; the same
        # server-rendered pages are checked in the journeys that have it on.
        scripts_on = page.context not in self.without_js
        if scripts_on and kind not in self.checked:
            self.checked.add(kind)
            _session["checked"].add(kind)
            self.violations.extend(axe_violations(page))
        if shot:
            self.shots += 1
            page.screenshot(path=str(self.folder / f"{self.shots:02d}-{shot}.png"), full_page=True)

    def keep_failure_screens(self):
        """Where a journey broke: the last page of each person still in it."""
        for n, context in enumerate(self.contexts, 1):
            for page in context.pages:
                page.screenshot(path=str(self.folder / f"failed-{n}.png"), full_page=True)

    def close(self):
        for context in self.contexts:
            context.close()
        self.contexts = []

    def finish(self):
        """End of the journey: every page it saw was checked, and none had a serious finding."""
        self.close()
        plain = {kind.split("#")[0] for kind in self.checked}
        unchecked = sorted({_page_kind(url) for url in self.visited if url.startswith(self.base_url)} - plain)
        assert not unchecked, f"这些页面没有经过 axe 检查：{unchecked}"
        assert not self.violations, "axe-core 发现严重（serious/critical）无障碍问题：\n" + "\n".join(self.violations)


def axe_violations(page):
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page).response
    found = []
    for violation in results["violations"]:
        if violation["impact"] in FAILING_IMPACTS:
            targets = ", ".join(" ".join(node["target"]) for node in violation["nodes"][:5])
            found.append(f"{page.url}: {violation['id']} ({violation['impact']}) {violation['help']} → {targets}")
    return found


@pytest.fixture
def journey(request, browser, province):
    """A journey named after its test; the test ends with journey.finish()."""
    j = Journey(browser, province.url, re.sub(r"[^\w-]+", "-", request.node.name.removeprefix("test_")).strip("-"))
    _session["folders"].append(j.folder)
    yield j
    if request.node.stash.get(FAILED, False):
        j.keep_failure_screens()
    j.close()
