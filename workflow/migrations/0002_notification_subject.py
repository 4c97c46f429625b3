import django.db.models.deletion
from django.db import migrations, models


def subject_from_declaration(apps, schema_editor):
    """What a notice was about was a declaration (the only kind that named one): keep it as the subject."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    Notification = apps.get_model("workflow", "Notification")
    about = Notification.objects.filter(declaration__isnull=False)
    if about.exists():
        declaration_type, _ = ContentType.objects.get_or_create(app_label="hours", model="declaration")
        about.update(subject_type=declaration_type, subject_id=models.F("declaration_id"))


def declaration_from_subject(apps, schema_editor):
    Notification = apps.get_model("workflow", "Notification")
    Notification.objects.filter(subject_type__app_label="hours", subject_type__model="declaration").update(
        declaration_id=models.F("subject_id")
    )


class Migration(migrations.Migration):
    """A notification names its subject whatever its kind (a declaration, a filing), so the machinery
    that writes it does not know the kinds it reviews."""

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("workflow", "0001_move_from_review"),
    ]

    operations = [
        migrations.AddField(
            model_name="notification",
            name="subject_type",
            field=models.ForeignKey(
                blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name="+", to="contenttypes.contenttype"
            ),
        ),
        migrations.AddField(model_name="notification", name="subject_id", field=models.PositiveBigIntegerField(blank=True, null=True)),
        migrations.RunPython(subject_from_declaration, declaration_from_subject),
        migrations.RemoveField(model_name="notification", name="declaration"),
    ]
