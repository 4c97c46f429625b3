"""Pages that fit: each role's main pages (home, every entry of its menu, a declaration's detail, a
case page) at a laptop's 1366 × 900 and a phone's 390 × 844, in normal text and in 大字模式. The page
body never scrolls sideways, and in every list table the first row's status and actions cells lie
inside the window (pinned at the table's right edge, or the row shown as a card on the phone).
Every page is saved as a screenshot and checked with axe-core at both widths."""
from decimal import Decimal

import pytest
from playwright.sync_api import expect
from django.utils import timezone

from hours import filings, transitions
from tests.e2e.pages import CHEN, ZHAO, demo_people
from tests.helpers import DEMO_PASSWORD
from tests.hours.fixtures_views import at_state, complete_draft, draft, pdf, submitted
from workflow.models import State

pytestmark = pytest.mark.e2e

WIDTHS = {"laptop": (1366, 900), "phone": (390, 844)}
ROLES = {  # who signs in, and which of the cases the seed below makes are theirs to open
    "applicant": (ZHAO, "detail"),
    "unit_admin": (CHEN, "unit_case"),
    "dept_admin": ("zrzy_admin", "superior_case"),
    "bureau_clerk": ("hn_clerk", "bureau_case"),
    "sysadmin": ("sysadmin", None),
}
LONG_REASON = "佐证材料不清晰：2019年度培训通知与结业证书上的培训名称不一致，请核对后重新上传清晰完整的扫描件"


def seed(p):
    """Something in every list: 赵金强 a rejected declaration (a long reason) and a draft; a case waiting
    at each level; a draft the institute's administrator makes for 李雪梅 (单位代为申报); the
    institute's training filings in each state a list shows. Returns the addresses of the detail and
    case pages."""
    rejected = at_state(p, State.BUREAU_REVIEW, p.zhao)
    rejected = transitions.declaration_reject(declaration=rejected, user=p.hn_clerk, reason=LONG_REASON)
    complete_draft(p.zhao)
    unit_case = submitted(p.li)
    draft(p.chen, p.li)
    superior_case = transitions.declaration_approve(declaration=submitted(p.wang), user=p.dzcl_admin, next_org=p.zrzy, opinion="同意")
    bureau_case = at_state(p, State.BUREAU_REVIEW, p.song)
    today = timezone.localdate()
    for name, course, submit in (("地质勘查新技术专题培训", "professional", True), ("公需科目专题培训", "public", True),
                                 ("野外安全作业培训", "professional", False)):
        data = {"year": today.year, "name": name, "training_type": "class", "course_type": course, "hours": Decimal("24"),
                "days": Decimal("3"), "planned_start": today.replace(month=1, day=10), "planned_end": today.replace(month=1, day=12)}
        filing = filings.filing_create(user=p.chen, organisation=p.dzyjs, data=data, notice=pdf("通知.pdf"), schedule=pdf("课程表.pdf"))
        if submit:
            transitions.filing_submit(filing=filing, user=p.chen)
    return {
        "detail": f"/hours/{rejected.pk}/",
        "unit_case": f"/review/case/{unit_case.pk}/",
        "superior_case": f"/review/case/{superior_case.pk}/",
        "bureau_case": f"/review/case/{bureau_case.pk}/",
    }


# The first row's status and actions cells of each list table, and where they lie.
PINNED_CELLS = """() => [...document.querySelectorAll('main table.list')].flatMap(table => {
  const row = table.querySelector(':scope > tbody > tr');
  if (!row) return [];
  return [...row.querySelectorAll(':scope > .col-status, :scope > .col-actions')].map(cell => {
    const box = cell.getBoundingClientRect();
    return {label: cell.dataset.label || cell.className, left: box.left, right: box.right, width: box.width};
  });
})"""


# Columns every list must keep in view, by their headers' words, and the class that pins them.
UNMARKED = """() => [...document.querySelectorAll('main table > thead > tr > th')].flatMap(th => {
  const words = th.textContent.trim();
  const wanted = ['操作', '办理'].includes(words) ? 'col-actions' : ['状态', '数据状态', '审核状态'].includes(words) ? 'col-status' : null;
  return wanted && !th.classList.contains(wanted) ? [`${words}（应为 ${wanted}）`] : [];
})"""


# Cells of list tables without the header's words to show beside them on a phone's card.
UNLABELLED = """() => [...document.querySelectorAll('main table.list > tbody > tr:first-child')].flatMap(row =>
  [...row.children].filter(cell => !cell.dataset.label).map(cell => {
    const th = cell.closest('table').querySelector(':scope > thead > tr').children[cell.cellIndex];
    return th ? th.textContent.trim() || '(无表头)' : '(无表头)';
  }))"""


def problems_on(page):
    found = []
    over = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    if over > 0:
        found.append(f"页面横向滚动 {over}px")
    found += [f"列“{column}”未标记" for column in page.evaluate(UNMARKED)]
    if unlabelled := page.evaluate(UNLABELLED):
        found.append(f"缺 data-label 的列：{'、'.join(unlabelled)}")
    width = page.evaluate("window.innerWidth")
    for cell in page.evaluate(PINNED_CELLS):
        if cell["width"] == 0 or cell["left"] < 0 or cell["right"] > width + 0.5:
            found.append(f"“{cell['label']}”不在窗口内（{cell['left']:.0f}–{cell['right']:.0f}px）")
    return found


def pages_of(page, own):
    """Home, every entry of the person's menu (read from the page, so a new entry is walked too), and
    their detail or case page."""
    links = page.get_by_role("navigation", name="主菜单").locator("a")
    paths = [href for href in links.evaluate_all("links => links.map(a => a.getAttribute('href'))")]
    return list(dict.fromkeys(["/", *paths, *([own] if own else [])]))


@pytest.mark.parametrize("large", [False, True], ids=["normal-text", "large-text"])
@pytest.mark.parametrize("role", list(ROLES))
def test_pages_fit_the_window_with_status_and_actions_in_view(journey, demo_data, role, large):
    places = seed(demo_people(demo_data))
    login, own = ROLES[role]
    page = journey.sign_in(login)
    if large:
        journey.navigate(page, page.get_by_role("button", name="大字模式").click)
    paths = pages_of(page, places.get(own))
    names = {path: path.strip("/").replace("/", "-") or "home" for path in paths} | ({places[own]: own} if own else {})
    found = {}
    for size, (width, height) in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": height})
        for path in paths:
            page.goto(path)
            name = names[path]
            journey.look(page, f"{size}-{name}", state=size)
            for problem in problems_on(page):
                found.setdefault(f"{size} {path}", []).append(problem)
    assert not found, "\n".join(f"{where}: {'；'.join(what)}" for where, what in found.items())
    journey.finish()


def menu_height(page):
    return page.get_by_role("navigation", name="主菜单").bounding_box()["height"]


@pytest.mark.parametrize("javascript", [True, False], ids=["with-js", "without-js"])
def test_the_menu_is_folded_on_phones_and_open_on_wider_screens(journey, javascript):
    """On a phone the menu is one line (菜单) until opened; on a laptop its entries are there at once,
    scripts or not."""
    page = journey.context(java_script_enabled=javascript)
    page.goto("/accounts/login/")
    journey.look(page)
    page.get_by_label("证件号码或用户名").fill(CHEN)
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    journey.navigate(page, page.get_by_role("button", name="登录").click)
    menu = page.get_by_role("navigation", name="主菜单")
    entry = menu.get_by_role("link", name="学时核认申报", exact=True)

    expect(entry).to_be_visible()
    expect(menu.get_by_text("菜单", exact=True)).to_be_hidden()
    journey.look(page, f"laptop-menu-{'js' if javascript else 'nojs'}")

    width, height = WIDTHS["phone"]
    page.set_viewport_size({"width": width, "height": height})
    page.reload()
    journey.look(page, f"phone-menu-folded-{'js' if javascript else 'nojs'}", state="phone")
    expect(entry).to_be_hidden()
    assert menu_height(page) < 60, f"折叠的菜单高 {menu_height(page)}px"
    journey.click(menu.get_by_text("菜单", exact=True))
    expect(entry).to_be_visible()
    journey.look(page, f"phone-menu-open-{'js' if javascript else 'nojs'}", state="phone-open")
    journey.navigate(page, entry.click)
    expect(page.get_by_role("heading", level=1)).to_have_text("我要申报")
    expect(entry).to_be_hidden()  # folded again on the next page
    journey.finish()
