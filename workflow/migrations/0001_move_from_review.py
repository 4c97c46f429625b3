from django.db import migrations

from core.moves import MoveModel


class Migration(migrations.Migration):
    """The submission windows and the notifications are the review machinery's, not the reviewer
    workspace's: they move from review, keeping their tables (review_filingperiod, review_notification)."""

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("review", "0003_filingstep"),
        ("hours", "0016_one_open_declaration_and_filing"),
    ]

    operations = [
        MoveModel("FilingPeriod", from_app="review"),
        MoveModel("Notification", from_app="review"),
    ]
