"""Writes of the shell's own pages: 我的消息 read marks."""
from django.utils import timezone

from workflow.models import Notification


def message_mark_read(notification):
    """Opening a message marks it read (once: the first reading's time is kept)."""
    if notification.read_at is None:
        notification.read_at = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=notification.read_at)


def messages_mark_all_read(user):
    """全部标为已读: the number marked."""
    return Notification.objects.filter(user=user, read_at__isnull=True).update(read_at=timezone.now())
