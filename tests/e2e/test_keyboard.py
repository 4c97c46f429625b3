"""The keyboard alone: a clerk skips to the results of 待办列表 and reaches its first row in a few key
presses; after an action the focus is on the message that says what happened, so the next Tab goes
on from there and a screen reader reads it; on a phone the list's cards work by keyboard too."""
import pytest
from playwright.sync_api import expect

from tests.e2e.pages import ZHAO, demo_people, open_menu
from tests.e2e.test_accessibility import focused, tab_to
from tests.hours.fixtures_views import at_state, complete_draft
from workflow.models import State

pytestmark = pytest.mark.e2e

FIRST_ROW = "document.activeElement.closest('#results tbody > tr') === document.querySelector('#results tbody > tr')"


def test_a_clerk_reaches_the_first_row_of_the_todo_list_in_a_few_key_presses(journey, demo_data):
    p = demo_people(demo_data)
    at_state(p, State.BUREAU_REVIEW, p.zhao)
    page = journey.sign_in("hn_clerk")
    open_menu(journey, page, "待办列表")

    presses = 0
    for expected in ("跳到主要内容", "跳到查询结果"):
        page.keyboard.press("Tab")
        presses += 1
        link = focused(page)
        assert link["text"] == expected
        assert link["outline"] != "none", "the skip link shows where the focus is"
    page.keyboard.press("Enter")
    presses += 1
    journey.look(page, "skipped-to-results", state="skipped")
    while not page.evaluate(FIRST_ROW):
        page.keyboard.press("Tab")
        presses += 1
        assert presses <= 6, f"按了 {presses} 次键仍未到达第一行（焦点在 {focused(page)}）"
    journey.look(page, "first-row-focused", state="first-row")
    journey.finish()


def test_focus_lands_on_the_message_after_each_action_on_a_phone(journey, demo_data):
    """赵金强 on a phone: the list is cards; by keyboard he deletes his draft (the message takes the
    focus), then opens his returned declaration with 修改."""
    p = demo_people(demo_data)
    rejected = at_state(p, State.REJECTED, p.zhao)
    draft = complete_draft(p.zhao)
    page = journey.sign_in(ZHAO)
    page.set_viewport_size({"width": 390, "height": 844})
    open_menu(journey, page, "学时核认申报", shot="phone-list")
    draft_card = page.locator("#results tbody > tr", has_text=draft.business_no)
    expect(draft_card.get_by_role("button", name="删除")).to_be_visible()

    tab_to(page, lambda e: e["text"] == "删除")
    assert page.evaluate("document.activeElement.closest('tr').textContent").count(draft.business_no)
    journey.navigate(page, lambda: page.keyboard.press("Enter"), shot="deleted-message-focused")  # the confirmation is accepted
    message = page.locator(".messages")
    expect(message).to_contain_text("删除")
    expect(message).to_be_focused()
    expect(page.locator("#results")).not_to_contain_text(draft.business_no)

    # The next Tab goes on from the message, into the page; 修改 of the returned declaration by keyboard.
    page.keyboard.press("Tab")
    assert page.evaluate("document.querySelector('main').contains(document.activeElement)")
    tab_to(page, lambda e: e["text"] == "修改")
    journey.navigate(page, lambda: page.keyboard.press("Enter"))
    assert page.url.endswith(f"/hours/{rejected.pk}/edit/")
    journey.finish()
