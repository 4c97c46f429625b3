from django.db import migrations

from core.moves import MoveModel


class Migration(migrations.Migration):
    """Job was portal's; it moved with the infrastructure that runs it (table portal_job kept)."""

    dependencies = [("contenttypes", "0002_remove_content_type_name"), ("portal", "0002_job_heartbeat")]

    operations = [MoveModel("Job", from_app="portal")]
