"""我的消息 (everyone's messages: unread marked, opened → read, 全部标为已读, a link to the subject's
page) and 消息推送管理 (a bureau clerk's view of the reminders sent in the bureau's area), each a
fixed number of queries however many rows."""
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from workflow.models import Notification, Reminder, ReminderReason
from workflow.reminders import remind
from workflow.runner import notify
from tests.helpers import SESSION_QUERIES, assert_database_query_count
from tests.hours.fixtures_views import *  # noqa: F401,F403
from tests.hours.fixtures_views import draft

pytestmark = pytest.mark.django_db


def test_my_messages_marks_unread_links_the_subject_and_reads_on_opening(client, p):
    d = draft(p.song)
    about = notify(p.song, "申报已退回", "请修改后重新提交。", subject=d)
    plain = notify(p.song, "年度学时不足", "尚差公需科目18学时。")
    notify(p.zhao, "别人的消息", "不应出现。")
    client.force_login(p.song)
    page = client.get(reverse("portal:messages"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "别人的消息" not in text and text.count("status-unread") == 2 and "2</strong>条未读消息" in text
    rows = {n.pk: n for n in page.context["page"].object_list}
    assert rows[about.pk].page == (reverse("hours:declaration_detail", args=[d.pk]), "查看申报") and rows[plain.pk].page is None

    opened = client.get(reverse("portal:message", args=[about.pk]))
    assert opened.status_code == 200 and reverse("hours:declaration_detail", args=[d.pk]) in opened.content.decode()
    first = Notification.objects.get(pk=about.pk).read_at
    assert first is not None
    client.get(reverse("portal:message", args=[about.pk]))
    assert Notification.objects.get(pk=about.pk).read_at == first  # the first reading's time stays
    assert client.get(reverse("portal:message", args=[plain.pk + 1])).status_code == 404  # 赵金强's

    assert client.get(reverse("portal:messages_read_all")).status_code == 405
    response = client.post(reverse("portal:messages_read_all"), follow=True)
    assert "已将1条消息标为已读" in response.content.decode()
    assert not Notification.objects.filter(user=p.song, read_at__isnull=True).exists()
    assert Notification.objects.filter(user=p.zhao, read_at__isnull=True).count() == 1


def test_my_messages_runs_a_fixed_number_of_queries(client, p):
    d = draft(p.song)
    client.force_login(p.song)

    def visit():
        # the page's count and rows; the unread count; the content types of the subjects (Django
        # keeps them after the first: read once per process). The user and role grants (the menu)
        # come from the cache.
        with assert_database_query_count(3 + SESSION_QUERIES):
            return client.get(reverse("portal:messages"))

    notify(p.song, "申报已退回", "请修改后重新提交。", subject=d)
    client.get(reverse("portal:messages"))  # the content type is now known
    visit()
    for n in range(20):
        notify(p.song, f"消息{n}", "内容", subject=d if n % 2 else None)
    assert len(visit().context["page"].object_list) == 15


def clerk_sees(client, clerk, query=""):
    client.force_login(clerk)
    response = client.get(reverse("review:reminders_sent") + query)
    assert response.status_code == 200
    return [r.user.name for r in response.context["page"].object_list]


def test_reminders_sent_lists_the_bureau_area_with_who_sent_them_and_how(client, p):
    year = str(date.today().year)
    remind(user=p.song, reason=ReminderReason.URGE, period="2026-06-17", title="请尽快申报", body="…", sent_by=p.chen, organisation=p.dzyjs)
    remind(user=p.zhao, reason=ReminderReason.SHORTFALL, period=year, title="学时不足", body="…")
    remind(user=p.wu, reason=ReminderReason.SHORTFALL, period=year, title="学时不足", body="…")  # 长沙
    assert sorted(clerk_sees(client, p.hn_clerk)) == ["吴涛", "宋庆涛", "赵金强"]  # the province holds 长沙
    assert clerk_sees(client, p.cs_clerk) == ["吴涛"]
    assert clerk_sees(client, p.hn_clerk, "?reason=urge") == ["宋庆涛"]
    assert clerk_sees(client, p.hn_clerk, "?name=赵") == ["赵金强"]
    today = timezone.localdate().isoformat()
    assert len(clerk_sees(client, p.hn_clerk, f"?sent_from={today}&sent_to={today}")) == 3
    assert clerk_sees(client, p.hn_clerk, "?sent_to=2000-01-01") == []
    text = client.get(reverse("review:reminders_sent")).content.decode()
    assert "陈立新" in text and "湖南省地质研究所" in text and "系统自动" in text and "站内消息" in text
    bad = client.get(reverse("review:reminders_sent") + "?sent_from=2026-02-01&sent_to=2026-01-01")
    assert bad.status_code == 400 and not bad.context["page"].object_list  # filters fail closed


def test_reminders_sent_dates_are_whole_beijing_days_newest_first_ties_by_latest_sent(client, p):
    shanghai = ZoneInfo("Asia/Shanghai")
    sent = [  # (receiver, period, sent at in Beijing time)
        (p.zhao, "2024", datetime(2026, 2, 28, 23, 59, 59, 999999)),  # the instant before 开始 2026-03-01
        (p.song, "2024", datetime(2026, 3, 1, 0, 0)),  # 开始's first instant
        (p.wu, "2024", datetime(2026, 3, 2, 23, 59, 59, 999999)),  # 结束 2026-03-02's last instant
        (p.song, "2025", datetime(2026, 3, 3, 0, 0)),  # the instant after 结束
        (p.zhao, "2025", datetime(2026, 3, 1, 12, 0)),  # the same instant as the next: the later sent first
        (p.wu, "2025", datetime(2026, 3, 1, 12, 0)),
    ]
    for user, period, at in sent:
        r = remind(user=user, reason=ReminderReason.SHORTFALL, period=period, title="学时不足", body="…")
        Reminder.objects.filter(pk=r.pk).update(created_at=at.replace(tzinfo=shanghai))
    assert clerk_sees(client, p.hn_clerk) == ["宋庆涛", "吴涛", "吴涛", "赵金强", "宋庆涛", "赵金强"]
    assert clerk_sees(client, p.hn_clerk, "?sent_from=2026-03-01&sent_to=2026-03-02") == ["吴涛", "吴涛", "赵金强", "宋庆涛"]
    assert clerk_sees(client, p.hn_clerk, "?sent_from=2026-03-02") == ["宋庆涛", "吴涛"]
    assert clerk_sees(client, p.hn_clerk, "?sent_to=2026-02-28") == ["赵金强"]


def test_reminders_sent_runs_a_fixed_number_of_queries(client, p):
    client.force_login(p.hn_clerk)
    people = [p.song, p.zhao, p.li, p.wang, p.wu, p.zhang]

    def visit():
        # the page's count and rows (with receiver, unit, sender, message); the user and role grants
        # come from the cache, read by the first look.
        with assert_database_query_count(2 + SESSION_QUERIES):
            return client.get(reverse("review:reminders_sent"))

    remind(user=p.song, reason=ReminderReason.URGE, period="2026-06-17", title="请尽快申报", body="…", sent_by=p.chen, organisation=p.dzyjs)
    client.get(reverse("review:reminders_sent"))
    visit()
    for person in people:
        for period in ("2024", "2025", "2026"):
            remind(user=person, reason=ReminderReason.SHORTFALL, period=period, title="学时不足", body="…")
    assert len(visit().context["page"].object_list) == 15
