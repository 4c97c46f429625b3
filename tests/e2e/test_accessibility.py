"""Accessibility in the browser beyond the axe-core scan of every journey page: the scan itself
finds what it should, 大字模式 really enlarges the text (with and without JavaScript) and is
remembered, and a person using the keyboard alone can skip to the content, sign in and submit."""
import re

import pytest
from playwright.sync_api import expect

from workflow.models import State
from tests.e2e.conftest import axe_violations
from tests.e2e.pages import CHEN, ZHAO, assert_audited, declaration_of, demo_people, flash
from tests.helpers import DEMO_PASSWORD
from tests.hours.fixtures_views import complete_draft

pytestmark = pytest.mark.e2e


def root_font_px(page):
    return float(page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)"))


def test_the_axe_scan_reports_serious_and_critical_problems(browser):
    """The check the journeys rely on is not a no-op: a page without a label, language or title fails it."""
    page = browser.new_page()
    page.set_content('<html><body><main><h1>表单</h1><input type="text"><img src="data:,"></main></body></html>')
    found = " ".join(axe_violations(page))
    page.close()
    assert "label (critical)" in found
    assert "image-alt (critical)" in found
    assert "html-has-lang (serious)" in found


@pytest.mark.parametrize("javascript", [True, False], ids=["with-js", "without-js"])
def test_large_text_switch_enlarges_the_pages_and_is_remembered(journey, javascript):
    page = journey.context(java_script_enabled=javascript)
    page.goto("/accounts/login/")
    journey.look(page, "normal-text")
    switch = page.get_by_role("button", name="大字模式")
    expect(switch).to_have_attribute("aria-pressed", "false")
    normal = root_font_px(page)
    heading = page.get_by_role("heading", level=1).bounding_box()["height"]

    journey.navigate(page, switch.click, shot="large-text")
    assert page.url.endswith("/accounts/login/"), "the switch brings the person back to the same page"
    expect(page.locator("html")).to_have_class(re.compile(r"\blarge-text\b"))
    expect(switch).to_have_attribute("aria-pressed", "true")
    assert root_font_px(page) >= normal * 1.2
    assert page.get_by_role("heading", level=1).bounding_box()["height"] > heading * 1.15

    # Remembered: signing in and moving on keeps it, straight from the server (no flash of small text).
    page.get_by_label("证件号码或用户名").fill(ZHAO)
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    journey.navigate(page, page.get_by_role("button", name="登录").click, shot="large-text-home")
    assert root_font_px(page) >= normal * 1.2
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "大字模式下页面不应横向滚动"
    html = page.request.get("/").text()
    assert '<html lang="zh-CN" class="large-text">' in html

    journey.navigate(page, page.get_by_role("button", name="大字模式").click)
    expect(page.get_by_role("button", name="大字模式")).to_have_attribute("aria-pressed", "false")
    assert root_font_px(page) == normal
    journey.finish()


def focused(page):
    return page.evaluate(
        "(() => { const e = document.activeElement; const s = getComputedStyle(e);"
        " return {tag: e.tagName, id: e.id, name: e.name || '', type: e.type || '', text: e.textContent.trim(),"
        " outline: s.outlineStyle, width: parseFloat(s.outlineWidth), shadow: s.boxShadow}; })()"
    )


def tab_to(page, matches, limit=150, *, backwards=False):
    """Press Tab (or Shift+Tab) until the focused element matches; fail if the keyboard cannot reach it."""
    for _ in range(limit):
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
        element = focused(page)
        if matches(element):
            return element
    raise AssertionError("按 Tab 键无法到达目标元素")


def test_withdrawal_by_keyboard_alone(journey, demo_data, transitions):
    """Sign in, skip to the content and submit by keyboard only; then withdraw (撤销) the declaration."""
    p = demo_people(demo_data)
    declaration = complete_draft(p.zhao)
    page = journey.context()
    page.goto("/accounts/login/")
    journey.look(page)
    assert focused(page)["name"] == "username", "the login form puts the cursor in the first field"
    page.keyboard.type(ZHAO)
    page.keyboard.press("Tab")
    assert focused(page)["name"] == "password"
    page.keyboard.type(DEMO_PASSWORD)
    journey.navigate(page, lambda: page.keyboard.press("Enter"))

    # The first Tab reaches the skip link, drawn with a visible focus ring; Enter moves to the content.
    page.keyboard.press("Tab")
    skip = focused(page)
    assert skip["text"] == "跳到主要内容"
    assert skip["outline"] != "none" and skip["width"] >= 2
    page.keyboard.press("Enter")
    assert focused(page)["id"] == "main"
    journey.look(page, "skip-link-used")

    page.goto(f"/hours/{declaration.pk}/edit/")
    journey.look(page)
    pledge = tab_to(page, lambda e: e["name"] == "pledge")
    assert pledge["outline"] != "none"
    page.keyboard.press("Space")
    expect(page.locator("#submit").get_by_label(re.compile("承诺"))).to_be_checked()
    page.keyboard.press("Tab")
    assert focused(page)["text"] == "提交"
    journey.navigate(page, lambda: page.keyboard.press("Enter"), shot="submitted-by-keyboard")
    expect(flash(page)).to_contain_text("已提交，等待审核")
    declaration.refresh_from_db()
    assert declaration.state == State.UNIT_REVIEW

    # 撤销 from the list (confirmed in the dialog) returns it to 待提交, editable again.
    row = page.locator("tbody tr", has_text=declaration.business_no)
    journey.navigate(page, lambda: row.get_by_role("button", name="撤销").click(), shot="withdrawn")
    expect(flash(page)).to_contain_text("已撤销")
    expect(row).to_contain_text("待提交")
    expect(row.get_by_role("button", name="撤销")).to_have_count(0)
    declaration.refresh_from_db()
    assert declaration.state == State.DRAFT

    # The unit's administrator works the menu by keyboard: a folded section opens with Enter, a link follows.
    unit = journey.sign_in(CHEN)
    tab_to(unit, lambda e: e["tag"] == "SUMMARY" and e["text"] == "个人中心")
    unit.keyboard.press("Enter")
    expect(unit.get_by_role("link", name="我的信息", exact=True).last).to_be_visible()
    tab_to(unit, lambda e: e["text"] == "学时核认申报单位审核", backwards=True)
    journey.navigate(unit, lambda: unit.keyboard.press("Enter"))
    expect(unit.get_by_role("heading", level=1)).to_have_text("学时核认申报单位审核")
    expect(unit.locator("main")).not_to_contain_text("赵金强")
    assert list(declaration_of(ZHAO).steps.values_list("action", flat=True)) == ["submit", "withdraw"]
    assert_audited(transitions, [declaration])
    journey.finish()
