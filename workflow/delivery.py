"""The copies of a notice outside the portal (e-mail, SMS), sent by a background task once the
decision has committed: a request that notifies a thousand people (催报 to a whole list, a batch
decision) never waits on a mail server or an SMS gateway, and one that is down only logs. With the
embedded task backend (no worker) the task runs in-process after the commit; in production the
worker (manage.py db_worker) sends. What actually went out is recorded on the reminder, if any."""
import logging

from django.core.mail import send_mail
from django_tasks import task

from core import sms
from core.masking import mask_phone

from .models import Notification, Reminder

logger = logging.getLogger(__name__)


@task()
def deliver(notification_id, channels):
    notification = Notification.objects.select_related("user").filter(pk=notification_id).first()
    if notification is None:  # deleted with its person meanwhile
        return []
    user = notification.user
    delivered = ["portal"]
    if "email" in channels and user.email:
        try:
            send_mail(notification.title, notification.body, None, [user.email])
            delivered.append("email")
        except Exception as error:  # noqa: BLE001 - any mail failure is logged, the notice stands
            logger.warning("邮件发送失败 → 用户%s：%s", user.pk, error)
    # A short message is short: the title, and where to read the rest.
    if "sms" in channels and sms.send(user.phone, f"{notification.title}，详见学时核认平台。"):
        delivered.append("sms")
    elif "sms" in channels:
        logger.info("短信未发出 → %s", mask_phone(user.phone))
    Reminder.objects.filter(notification_id=notification_id).update(channels=delivered)
    return delivered
