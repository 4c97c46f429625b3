"""`manage.py send_reminders`: 集中办理时间 closing in 14 and in 3 days, the year's shortfall from
1 November, the reviewers' daily 督办 digest. Each is sent once per person, reason and period:
a second run sends nothing new."""
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts.models import Membership, MembershipStatus
from hours.models import PersonYear
from hours.reminders import send_shortfall_reminders, send_window_reminders
from review.reminders import send_overdue_digests
from workflow.models import FilingPeriod, Notification, Reminder, ReminderReason, State
from tests.hours.fixtures_views import *  # noqa: F401,F403
from tests.hours.fixtures_views import at_state, draft, frozen_now, submitted

pytestmark = pytest.mark.django_db

YEAR = date.today().year


def sent(reason, **filters):
    return Reminder.objects.filter(reason=reason, **filters)


def window(p, closes_on):
    """The provincial bureau's window for YEAR, closing on `closes_on` (长沙 follows it)."""
    FilingPeriod.objects.filter(bureau=p.hn, year=YEAR).update(opens_on=date(YEAR, 1, 1), closes_on=closes_on)


def test_window_reminders_go_14_and_3_days_before_to_drafts_and_returned_ones(p):
    draft(p.song)
    at_state(p, State.REJECTED, applicant=p.zhao)
    submitted(p.li)  # under review: nothing to finish
    draft(p.wu)  # 长沙: the province's window applies there too
    closes = date(YEAR, 7, 31)
    window(p, closes)
    assert send_window_reminders(closes - timedelta(days=15)) == 0
    assert send_window_reminders(closes - timedelta(days=14)) == 3
    assert set(sent(ReminderReason.WINDOW_14).values_list("user__name", flat=True)) == {"宋庆涛", "赵金强", "吴涛"}
    reminder = sent(ReminderReason.WINDOW_14, user=p.song).get()
    assert reminder.period == str(YEAR) and reminder.sent_by is None and reminder.organisation == p.hn
    assert reminder.notification.title == f"{YEAR}年学时核认集中办理时间14天后截止"
    assert f"{YEAR}年07月31日" in reminder.notification.body
    assert send_window_reminders(closes - timedelta(days=13)) == 0  # once per year
    assert send_window_reminders(closes - timedelta(days=3)) == 3
    assert send_window_reminders(closes) == 0


def test_a_city_bureau_with_its_own_window_has_its_own_reminders(p):
    window(p, date(YEAR, 7, 31))
    FilingPeriod.objects.create(bureau=p.cs, year=YEAR, opens_on=date(YEAR, 1, 1), closes_on=date(YEAR, 8, 31))
    draft(p.song)
    draft(p.wu)
    assert send_window_reminders(date(YEAR, 7, 17)) == 1  # the province's window: 宋庆涛 only
    assert send_window_reminders(date(YEAR, 8, 17)) == 1  # 长沙's: 吴涛
    assert set(sent(ReminderReason.WINDOW_14).values_list("user__name", flat=True)) == {"宋庆涛", "吴涛"}


def test_shortfall_from_november_says_by_how_much(p):
    assert send_shortfall_reminders(date(YEAR, 10, 31)) == 0
    PersonYear.objects.create(
        person=p.zhao, year=YEAR, organisation=p.dzyjs, public=Decimal("12"), professional=Decimal("40"),
        pending_public=0, pending_professional=0, required_public=Decimal("30"), required_professional=Decimal("60"),
        required_total=Decimal("90"), met=False,
    )
    PersonYear.objects.create(
        person=p.li, year=YEAR, organisation=p.dzyjs, public=Decimal("30"), professional=Decimal("60"),
        pending_public=0, pending_professional=0, required_public=Decimal("30"), required_professional=Decimal("60"),
        required_total=Decimal("90"), met=True,
    )
    staff = Membership.objects.filter(status=MembershipStatus.ACTIVE, person__is_active=True).count()
    assert send_shortfall_reminders(date(YEAR, 11, 1)) == staff - 1  # all but 李雪梅, who met the year
    zhao = sent(ReminderReason.SHORTFALL, user=p.zhao).get().notification
    assert zhao.title == f"{YEAR}年度继续教育学时尚未达标"
    assert "已认定公需科目12学时、专业科目40学时，尚差公需科目18学时、专业科目20学时" in zhao.body
    song = sent(ReminderReason.SHORTFALL, user=p.song).get().notification
    assert "尚未申报" in song.body and "公需科目30学时" in song.body  # the rule set in force: 30/60/90
    assert not sent(ReminderReason.SHORTFALL, user=p.li).exists()
    assert not sent(ReminderReason.SHORTFALL, user=p.hn_clerk).exists()  # on no unit's staff
    assert send_shortfall_reminders(date(YEAR, 11, 2)) == 0


def test_the_digest_tells_each_reviewer_what_is_overdue_where_they_review(p):
    long_ago = timezone.make_aware(datetime.combine(date.today() - timedelta(days=20), time(10)))
    with frozen_now(long_ago):
        at_state(p, State.BUREAU_REVIEW)
        at_state(p, State.BUREAU_REVIEW, applicant=p.li)
        submitted(p.zhao)  # waits at 湖南省地质研究所, 陈立新's unit
    submitted(p.wang)  # arrived today: not overdue
    today = date.today()
    assert send_overdue_digests(today) == 2
    clerk = sent(ReminderReason.OVERDUE_DIGEST, user=p.hn_clerk).get()
    assert clerk.period == today.isoformat()
    assert clerk.notification.title == "督办提醒：2件申报超过办理时限"
    assert "湖南省人力资源和社会保障厅待人社部门审核2件" in clerk.notification.body
    chen = sent(ReminderReason.OVERDUE_DIGEST, user=p.chen).get()
    assert "湖南省地质研究所待单位审核1件" in chen.notification.body
    assert send_overdue_digests(today) == 0
    assert send_overdue_digests(today + timedelta(days=1)) == 2  # a new day, a new digest


def test_the_command_twice_sends_nothing_new(p):
    window(p, date(YEAR, 11, 17))
    draft(p.song)
    out = StringIO()
    call_command("send_reminders", "--today", f"{YEAR}-11-03", stdout=out)
    assert "集中办理时间截止提醒：发送 1 条" in out.getvalue()
    before = (Reminder.objects.count(), Notification.objects.count())
    assert before[0] > 1
    out = StringIO()
    call_command("send_reminders", "--today", f"{YEAR}-11-03", stdout=out)
    assert (Reminder.objects.count(), Notification.objects.count()) == before
    assert out.getvalue().count("发送 0 条") == 3
