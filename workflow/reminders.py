"""Reminders: one per person, reason and period (workflow.models.Reminder), delivered through the
portal's channels (workflow.runner.notify). The unique constraint, not a look-up first, decides who
sends, so two workers running the same reminder job, or a double click on 催报, send it once."""
from django.db import IntegrityError, transaction

from .models import Reminder
from .runner import notify


def remind(*, user, reason, period, title, body, sent_by=None, organisation=None, subject=None):
    """Send the reminder unless it was sent already for this reason and period: the Reminder, or None.
    The row and the notice are written together, so a reminder is never recorded without its notice;
    the copies outside the portal record what went out (workflow.delivery)."""
    try:
        with transaction.atomic():
            reminder = Reminder.objects.create(
                user=user, reason=reason, period=period, sent_by=sent_by, organisation=organisation, channels=["portal"]
            )
            reminder.notification = notify(user, title, body, subject=subject)
            reminder.save(update_fields=["notification"])
    except IntegrityError:
        return None
    return reminder
