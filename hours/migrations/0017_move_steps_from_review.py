from django.db import migrations

from core.moves import MoveModel


class Migration(migrations.Migration):
    """Each reviewable kind keeps its steps beside it: the audit steps of declarations and filings move
    from review, keeping their tables (review_reviewstep, review_filingstep) and every row."""

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("review", "0003_filingstep"),
        ("hours", "0016_one_open_declaration_and_filing"),
    ]

    operations = [
        MoveModel("ReviewStep", from_app="review"),
        MoveModel("FilingStep", from_app="review"),
    ]
