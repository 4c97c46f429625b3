"""Two workers running the same reminder job at once (two machines' timers, or a manual run beside
the nightly one): each reminder is sent once, because the Reminder table's unique constraint, not a
look-up first, decides who sends (workflow/reminders.py). In its own module: a transactional test
needs committed data."""
import threading
from datetime import date

import pytest

from accounts.models import Membership, MembershipStatus, User
from hours import reminders
from workflow.models import Notification, Reminder, ReminderReason
from tests.races import in_threads

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("writers_queue")]


def test_two_workers_send_each_shortfall_notice_once(committed_demo, monkeypatch):
    today = date(date.today().year, 11, 2)
    barrier = threading.Barrier(2)
    started = set()
    real = reminders.remind

    def remind(**kwargs):
        # Both workers have read whom to remind before either sends: neither sees the other's rows.
        if threading.get_ident() not in started:
            started.add(threading.get_ident())
            barrier.wait(timeout=10)
        return real(**kwargs)

    monkeypatch.setattr(reminders, "remind", remind)
    counts = in_threads(*[lambda: reminders.send_shortfall_reminders(today)] * 2, barrier=barrier)
    staff = User.objects.filter(memberships__status=MembershipStatus.ACTIVE, is_active=True).count()
    assert staff > 1 and Membership.objects.filter(status=MembershipStatus.ACTIVE).count() == staff
    assert sum(counts) == staff  # between them, each person once
    assert Reminder.objects.filter(reason=ReminderReason.SHORTFALL).count() == staff
    assert Notification.objects.count() == staff
