"""Clicks and page loads for a reviewer's two everyday tasks, counted as a person does them in
Chromium (sign-in not counted; the confirmation dialog's 确定 counts as a click):
- review one case at the unit: from the home page to the decision made (陈立新 sends 赵金强's case
  to the institute's direct superior, 湖南省地质院, with 是否在编 and 审核原则 as he chose last time);
- find a case decided yesterday: 李雪梅 phones; what did 陈立新 decide on her case yesterday?
Measured on the portal before issue 22 (the queue, its 审核 link, the radio buttons and selects of
the decision form, 提交审核结果; the queue filtered by 审核状态 and 姓名, then 详情):

    review one case at the unit      9 actions, 3 page loads
    find a case decided yesterday    5 actions, 3 page loads   (a bureau clerk could not: 待办列表
                                                                 lists only what waits)

The budgets below are about half. The page loads of the first cannot halve: the queue, the case and
the page after the decision are three. The figures are printed at the end of the run and written to
var/e2e-screenshots/actions.txt. Also here: case by case through a filtered list (上一件 / 下一件,
审核通过并打开下一件) by keyboard, and the decision panel without JavaScript."""
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from hours import transitions
from hours.models import ReviewStep
from tests.e2e.pages import CHEN, decision_panel, demo_people, flash, open_menu
from tests.helpers import DEMO_PASSWORD
from tests.hours.fixtures_views import at_state, frozen_now, submitted
from workflow.models import Action, State

pytestmark = pytest.mark.e2e

BEFORE = {"review": (9, 3), "find": (5, 3)}  # (user actions, page loads) on the portal before issue 22
WIDTHS = ({"width": 1366, "height": 900}, {"width": 390, "height": 844})


def counting_dialogs(page, tally):
    """The confirmation dialog's 确定 is one more click (conftest accepts it)."""
    page.on("dialog", lambda dialog: setattr(tally, "clicks", tally.clicks + 1))


def shots(journey, page, name):
    """The page as it is now at both widths, checked by axe at each."""
    for size in WIDTHS:
        page.set_viewport_size(size)
        journey.look(page, f"{name}-{size['width']}", state=str(size["width"]))
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), f"{name} 在 {size['width']} 像素宽时横向滚动"
    page.set_viewport_size(WIDTHS[0])


def test_review_one_case_at_the_unit(journey, demo_data):
    p = demo_people(demo_data)
    # He decided one of the institute's cases before (是否在编 是, 审核原则 按折算细则核定).
    transitions.declaration_approve(
        declaration=submitted(p.li), user=p.chen, next_org=p.dzy, details={"on_staff": "是", "principle": "按折算细则核定"},
    )
    case = at_state(p, State.UNIT_REVIEW, applicant=p.zhao)
    page = journey.sign_in(CHEN)
    with journey.counting("单位审核一件申报") as tally:
        counting_dialogs(page, tally)
        menu = page.get_by_role("navigation", name="主菜单")
        journey.navigate(page, lambda: journey.click(menu.get_by_role("link", name="学时核认申报单位审核", exact=True)))
        row = page.locator("tbody tr", has_text="赵金强")
        journey.navigate(page, lambda: journey.click(row.get_by_role("link", name="审核")), shot="case")
        panel = decision_panel(page)
        expect(panel.locator("summary")).to_contain_text("审核通过后送：湖南省地质院")
        expect(panel.get_by_label("是否在编")).to_have_value("是")
        expect(panel.get_by_label("审核原则")).to_have_value("按折算细则核定")
        journey.navigate(page, lambda: journey.click(panel.get_by_role("button", name="审核通过", exact=True)), shot="approved")
        expect(flash(page)).to_contain_text(f"申报 {case.business_no}（赵金强）已审核通过，已送湖南省地质院审核。")
    case.refresh_from_db()
    assert (case.state, case.current_org) == (State.SUPERIOR_REVIEW, p.dzy)
    step = ReviewStep.objects.get(declaration=case, action=Action.APPROVE)
    assert step.details == {"nature": p.dzyjs.nature, "on_staff": "是", "principle": "按折算细则核定"}
    print(tally, "before:", BEFORE["review"])
    assert tally.clicks <= BEFORE["review"][0] // 2 and tally.loads <= BEFORE["review"][1]
    journey.finish()


def test_find_a_case_decided_yesterday(journey, demo_data):
    p = demo_people(demo_data)
    with frozen_now(timezone.now() - timedelta(days=1)):
        for person in (p.zhao, p.song):
            transitions.declaration_approve(declaration=submitted(person), user=p.chen, next_org=p.dzy)
        transitions.declaration_reject(declaration=submitted(p.li), user=p.chen, reason="结业证书不清晰，请重新上传")
    transitions.declaration_approve(declaration=submitted(p.li, start_year=2022, end_year=2022), user=p.chen, next_org=p.dzy)  # today
    page = journey.sign_in(CHEN)
    with journey.counting("查找昨天办理的一件申报") as tally:
        menu = page.get_by_role("navigation", name="主菜单")
        journey.navigate(page, lambda: journey.click(menu.get_by_role("link", name="我的经办", exact=True)))
        journey.navigate(page, lambda: journey.click(page.get_by_role("link", name="昨天", exact=True)))
        rows = page.locator("tbody tr")
        expect(rows).to_have_count(3)
        row = rows.filter(has_text="李雪梅")
        expect(row).to_contain_text("审核不通过")
        expect(row).to_contain_text("退回申请人")
        expect(row).to_contain_text("结业证书不清晰，请重新上传")
    print(tally, "before:", BEFORE["find"])
    assert tally.clicks <= BEFORE["find"][0] // 2 and tally.loads <= BEFORE["find"][1] // 2 + 1
    shots(journey, page, "my-decisions")
    journey.finish()


def test_case_by_case_through_a_filtered_list_by_keyboard(journey, demo_data):
    """The unit's queue filtered to 2023: 上一件 / 下一件 stay in it, 审核通过并打开下一件 lands on the
    next with the focus on the message, the last one offers no next; all by keyboard."""
    p = demo_people(demo_data)
    first, second = (at_state(p, State.UNIT_REVIEW, applicant=person) for person in (p.zhao, p.song))
    at_state(p, State.UNIT_REVIEW, applicant=p.li, start_year=2022, end_year=2022)  # not in the filter
    page = journey.sign_in(CHEN)
    open_menu(journey, page, "学时核认申报单位审核")
    page.get_by_label("年度").fill("2023")
    journey.navigate(page, lambda: page.get_by_role("button", name="查询").click())
    expect(page.locator("tbody tr")).to_have_count(2)
    journey.navigate(page, lambda: page.locator("tbody tr", has_text="赵金强").get_by_role("link", name="审核").click())
    nav = page.get_by_role("navigation", name="案件导航")
    expect(nav).to_contain_text("第 1/2 件")
    shots(journey, page, "case")
    page.mouse.wheel(0, 2000)
    page.keyboard.press("End")
    expect(decision_panel(page).get_by_role("button", name="审核通过", exact=True)).to_be_in_viewport()  # the panel stays in view
    journey.navigate(page, lambda: nav.get_by_role("link", name="下一件").click())
    expect(page.locator("main")).to_contain_text("宋庆涛")
    expect(nav).to_contain_text("第 2/2 件")
    expect(decision_panel(page).get_by_role("button", name="审核通过并打开下一件")).to_have_count(0)  # the last of the list
    journey.navigate(page, lambda: nav.get_by_role("link", name="上一件").click())

    # By keyboard: the link to the panel, Tab to 审核通过并打开下一件, Enter (the dialog is confirmed).
    nav.get_by_role("link", name="跳到审核信息").focus()
    page.keyboard.press("Enter")
    button = decision_panel(page).get_by_role("button", name="审核通过并打开下一件")
    for _ in range(30):
        page.keyboard.press("Tab")
        if button.evaluate("b => b === document.activeElement"):
            break
    journey.navigate(page, lambda: page.keyboard.press("Enter"), shot="next-opened")
    assert page.url.split("?")[0].endswith(f"/review/case/{second.pk}/")
    expect(page.locator("main .messages")).to_be_focused()
    expect(flash(page)).to_contain_text(f"申报 {first.business_no}（赵金强）已审核通过，已送湖南省地质院审核。")
    first.refresh_from_db()
    assert (first.state, first.current_org) == (State.SUPERIOR_REVIEW, p.dzy)
    # 赵金强's case has left the list: 宋庆涛's is now the only one.
    expect(nav).to_contain_text("第 1/1 件")
    journey.navigate(page, lambda: nav.get_by_role("link", name="返回学时核认申报单位审核").click())
    expect(page.get_by_label("年度")).to_have_value("2023")
    journey.finish()


def test_the_decision_panel_without_javascript(journey, demo_data):
    """No confirmation without scripts: the server checks, and the errors come back beside the
    fields on the case page (a reload sends nothing); the fields still choose the next level."""
    p = demo_people(demo_data)
    case = at_state(p, State.UNIT_REVIEW, applicant=p.zhao)
    page = journey.context(java_script_enabled=False)
    page.goto("/accounts/login/")
    page.get_by_label("证件号码或用户名").fill(CHEN)
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    journey.navigate(page, page.get_by_role("button", name="登录").click)
    page.goto(f"/review/case/{case.pk}/")
    panel = decision_panel(page)
    journey.navigate(page, panel.get_by_role("button", name="审核不通过").click, shot="nojs-refused")
    assert page.url.endswith("#decision-errors")
    expect(page.locator("#decision-errors")).to_contain_text("审核意见：审核不通过时必须填写原因。")
    expect(panel.get_by_label("审核意见")).to_have_attribute("aria-invalid", "true")
    journey.navigate(page, page.reload)
    expect(page.locator("#decision-errors")).to_have_count(0)  # shown once; nothing was sent again
    panel.locator("details.next-level summary").click()
    panel.get_by_role("radio", name="经办机构").check()
    journey.navigate(page, panel.get_by_role("button", name="审核通过", exact=True).click)
    expect(flash(page)).to_contain_text("已审核通过，已送人社部门审核。")
    case.refresh_from_db()
    assert (case.state, case.current_org) == (State.BUREAU_REVIEW, p.hn)
    journey.finish()


def test_a_decision_on_a_page_left_open_is_refused_and_the_opinion_kept(journey, demo_data):
    """The clerk has a case open and writes an opinion; meanwhile a colleague turns it down and it
    comes back resubmitted. Her 审核通过 decides nothing: she is shown the case as it is now, told
    why, her opinion still in the field, and from there her decision goes through."""
    p = demo_people(demo_data)
    case = at_state(p, State.BUREAU_REVIEW)
    page = journey.sign_in("hn_clerk")
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(f"/review/case/{case.pk}/")
    journey.look(page)
    panel = decision_panel(page)
    panel.get_by_label("审核意见").fill("材料齐全，同意认定")

    back = transitions.declaration_reject(declaration=case, user=p.hn_clerk, reason="请补充佐证材料")
    back = transitions.declaration_submit(declaration=back, user=back.applicant, pledge=True)
    back = transitions.declaration_approve(declaration=back, user=p.chen, next_org=p.dzy, opinion="同意")
    transitions.declaration_approve(declaration=back, user=p.dzy_admin, next_org=p.hn, opinion="同意")

    journey.navigate(page, lambda: panel.get_by_role("button", name="审核通过", exact=True).click(), shot="stale-refused")
    expect(flash(page)).to_have_text("该申报已被他人处理，以下为最新状态。")
    assert page.url.endswith(f"/review/case/{case.pk}/?from=%2Freview%2Ftodo%2F#decision")
    expect(panel.get_by_label("审核意见")).to_have_value("材料齐全，同意认定")
    page.set_viewport_size({"width": 390, "height": 844})
    journey.look(page, "stale-refused-390")
    page.set_viewport_size({"width": 1366, "height": 900})
    journey.navigate(page, lambda: panel.get_by_role("button", name="审核通过", exact=True).click())
    expect(flash(page)).to_contain_text("已审核通过，审核办结。")
    case.refresh_from_db()
    assert case.state == State.APPROVED
    journey.finish()
