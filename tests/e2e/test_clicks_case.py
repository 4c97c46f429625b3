"""Clicks and page loads for a reviewer's two everyday tasks, counted as a person does them in
Chromium (sign-in not counted; the confirmation dialog's 确定 counts as a click):
- review one case at the unit: from the home page to the decision made (陈立新 sends 赵金强's case
  to the institute's direct superior, 湖南省地质院, with 是否在编 and 审核原则 as he chose last time);
- find a case decided yesterday: 李雪梅 phones; what did 陈立新 decide on her case yesterday?
The figures are printed at the end of the run and written to var/e2e-screenshots/actions.txt."""
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from hours import transitions
from tests.e2e.pages import CHEN, demo_people, flash
from tests.hours.fixtures_views import at_state, frozen_now, submitted
from workflow.models import State

pytestmark = pytest.mark.e2e


def counting_dialogs(page, tally):
    """The confirmation dialog's 确定 is one more click (conftest accepts it)."""
    page.on("dialog", lambda dialog: setattr(tally, "clicks", tally.clicks + 1))


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
        journey.navigate(page, lambda: journey.click(row.get_by_role("link", name="审核")))
        form = page.locator("form", has=page.get_by_role("button", name="提交审核结果"))
        journey.tick(form.get_by_role("radio", name="审核通过"))
        journey.tick(form.get_by_role("radio", name="上级审核单位"))
        journey.choose(form.get_by_label("上级审核单位名称"), label="湖南省地质院")
        journey.choose(form.get_by_label("是否在编"), value="是")
        journey.choose(form.get_by_label("审核原则"), value="按折算细则核定")
        journey.navigate(page, lambda: journey.click(form.get_by_role("button", name="提交审核结果")))
        expect(flash(page)).to_contain_text("已审核通过")
    case.refresh_from_db()
    assert (case.state, case.current_org) == (State.SUPERIOR_REVIEW, p.dzy)
    print(tally)
    journey.finish()


def test_find_a_case_decided_yesterday(journey, demo_data):
    p = demo_people(demo_data)
    with frozen_now(timezone.now() - timedelta(days=1)):
        for person in (p.zhao, p.song):
            transitions.declaration_approve(declaration=submitted(person), user=p.chen, next_org=p.dzy)
        transitions.declaration_reject(declaration=submitted(p.li), user=p.chen, reason="结业证书不清晰，请重新上传")
    page = journey.sign_in(CHEN)
    with journey.counting("查找昨天办理的一件申报") as tally:
        menu = page.get_by_role("navigation", name="主菜单")
        journey.navigate(page, lambda: journey.click(menu.get_by_role("link", name="学时核认申报单位审核", exact=True)))
        journey.choose(page.get_by_label("审核状态"), label="全部")
        journey.fill(page.get_by_label("姓名"), "李雪梅")
        journey.navigate(page, lambda: journey.click(page.get_by_role("button", name="查询")))
        row = page.locator("tbody tr", has_text="李雪梅")
        journey.navigate(page, lambda: journey.click(row.get_by_role("link", name="详情")))
        expect(page.locator(".timeline")).to_contain_text("结业证书不清晰，请重新上传")
    print(tally)
    journey.finish()
