"""`python manage.py send_reminders [--today YYYY-MM-DD]`: the day's reminders, run every morning by
deploy/xueshi-reminders.timer (09:00, not in the night: they may go out by SMS). Each is sent once
per person, reason and period (the Reminder table's constraint decides), so running it twice, or on
two machines at once, sends nothing twice. It first counts 查询统计's 督办 afresh."""
from datetime import date

from django.core.management.base import BaseCommand
from django.db import DatabaseError
from django.utils import timezone

from hours import summary
from hours.reminders import send_shortfall_reminders, send_window_reminders
from review.reminders import send_overdue_digests

PARTS = (
    ("集中办理时间截止提醒", send_window_reminders),
    ("年度学时不足提醒", send_shortfall_reminders),
    ("督办件汇总", send_overdue_digests),
)


class Command(BaseCommand):
    help = "发送当天的提醒：集中办理时间截止、年度学时不足（11月起）、督办件汇总。"

    def add_arguments(self, parser):
        parser.add_argument("--today", type=date.fromisoformat, help="按这一天发送（默认今天）")

    def handle(self, *args, today=None, **options):
        today = today or timezone.localdate()
        try:
            self.stdout.write(f"督办件数统计：{summary.overdue_refresh()} 件")
        except DatabaseError as error:  # a count that failed must not keep the day's reminders back
            self.stderr.write(f"督办件数统计失败：{error}")
        for label, send in PARTS:
            self.stdout.write(f"{label}：发送 {send(today)} 条")
