"""本单位人员学时情况 and 催报 in Chromium: 陈立新, administrator of 湖南省地质研究所, opens his staff's
ledger for 2023, filters 未达标, ticks two people and sends them 催报 (and the whole list
after a confirmation: nobody twice a day); one of them signs in and finds
the reminder among the home page's messages. Every page is checked with axe-core (see conftest.py)."""
import pytest
from playwright.sync_api import expect

from tests.e2e.pages import CHEN, ZHAO, demo_people, flash, open_menu
from tests.hours.fixtures_views import submitted
from workflow.models import Reminder

pytestmark = pytest.mark.e2e


def test_unit_reminds_staff_short_of_hours(journey, demo_data):
    p = demo_people(demo_data)
    # 赵金强 and 李雪梅 have declared 2023 with 16 hours (under review), short of 90; 宋庆涛 has not declared.
    for person in (p.zhao, p.li):
        submitted(person, start_year=2023, end_year=2023)

    unit = journey.sign_in(CHEN)
    open_menu(journey, unit, "本单位人员学时情况", shot="ledger")
    unit.get_by_label("起始年度").fill("2023")
    journey.navigate(unit, lambda: unit.get_by_role("button", name="查询").click())
    tabs = unit.get_by_role("navigation", name="按达标情况筛选")
    expect(tabs.get_by_role("link", name="未达标（2）")).to_be_visible()
    journey.navigate(unit, lambda: tabs.get_by_role("link", name="未达标（2）").click(), shot="ledger-short")
    rows = unit.locator("#results tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.filter(has_text="赵金强")).to_contain_text("16")  # under review; nothing approved yet, so 90 short
    for name in ("赵金强", "李雪梅"):
        unit.get_by_role("checkbox", name=f"选择{name}").check()
    expect(unit.get_by_role("status")).to_contain_text("已选 2 人")
    journey.navigate(unit, lambda: unit.get_by_role("button", name="催报所选人员").click(), shot="reminded")
    expect(flash(unit)).to_contain_text("已向 2 人发送催报，0 人今日已催报。")
    expect(unit.locator("#results tbody tr").filter(has_text="赵金强")).to_contain_text("陈立新")
    assert Reminder.objects.filter(user__in=[p.zhao, p.li], sent_by=p.chen).count() == 2
    # The whole filtered list, after a page saying how many: both were reminded today already.
    journey.navigate(unit, lambda: unit.get_by_role("button", name="催报全部筛选结果（共 2 人）").click(), shot="remind-confirm")
    expect(unit.locator("main")).to_contain_text("全部 2 人")
    journey.navigate(unit, lambda: unit.get_by_role("button", name="确认催报（2 人）").click())
    expect(flash(unit)).to_contain_text("已向 0 人发送催报，2 人今日已催报。")
    assert Reminder.objects.count() == 2

    applicant = journey.sign_in(ZHAO, shot="applicant-home")
    notices = applicant.locator(".notices")
    expect(notices).to_contain_text("湖南省地质研究所催报：请申报2023年度继续教育学时")
    expect(notices).to_contain_text("尚差90学时")
    journey.finish()
