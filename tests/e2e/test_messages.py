"""我的消息 and 消息推送管理 in Chromium, checked by axe at desktop and phone widths: 宋庆涛 reads
the reminder about his returned declaration, follows it to the declaration and marks the rest
read; the provincial clerk sees which reminders went to whom, by whom and how, and filters them."""
import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from hours.reminders import send_window_reminders
from tests.e2e.pages import demo_people, flash, open_menu
from tests.e2e.test_clicks_case import shots
from tests.hours.fixtures_views import at_state, draft
from workflow.models import FilingPeriod, ReminderReason, State
from workflow.reminders import remind

pytestmark = pytest.mark.e2e

SONG = "430121198805041015"
def test_messages_and_the_reminders_sent(journey, demo_data):
    p = demo_people(demo_data)
    returned = at_state(p, State.REJECTED)  # 宋庆涛 is told, about his declaration
    draft(p.zhao)
    period = FilingPeriod.objects.get(bureau=p.hn)
    send_window_reminders(period.closes_on - timedelta(days=3))
    remind(user=p.song, reason=ReminderReason.URGE, period="2026-06-17", title="请尽快完成学时核认申报",
           body="您本年度的学时核认申报尚未提交，请尽快完成。", sent_by=p.chen, organisation=p.dzyjs)

    page = journey.sign_in(SONG)
    open_menu(journey, page, "我的消息")
    shots(journey, page, "my-messages")
    rows = page.locator("#results table.list tbody tr")
    expect(rows.filter(has_text="未读")).to_have_count(rows.count())
    journey.navigate(page, page.get_by_role("link", name=re.compile("审核不通过")).click, shot="message")
    journey.navigate(page, page.get_by_role("link", name="查看申报").click)
    assert page.url.endswith(f"/hours/{returned.pk}/")
    journey.navigate(page, lambda: page.goto("/messages/"))
    journey.navigate(page, page.get_by_role("button", name="全部标为已读").click, shot="all-read")
    expect(flash(page)).to_contain_text("条消息标为已读")
    expect(page.locator(".status-unread")).to_have_count(0)

    clerk = journey.sign_in("hn_clerk")
    open_menu(journey, clerk, "消息推送管理")
    shots(journey, clerk, "reminders-sent")
    expect(clerk.locator("#results")).to_contain_text("系统自动")
    expect(clerk.locator("#results")).to_contain_text("陈立新")
    journey.choose(clerk.get_by_label("提醒事由"), label="催报")
    journey.navigate(clerk, clerk.get_by_role("button", name="查询").click, shot="reminders-urge")
    expect(clerk.locator("#results tbody tr")).to_have_count(1)
    journey.finish()
