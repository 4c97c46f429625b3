import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    """Item.applicant and Item.identity_key, filled by 0010 and made the unique rule by 0011 (three
    migrations, as PostgreSQL cannot alter a table in the transaction that updated its rows)."""

    dependencies = [
        ("hours", "0008_derived_months_away"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]
    operations = [
        migrations.AddField(
            model_name="item",
            name="applicant",
            field=models.ForeignKey(
                null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL,
                verbose_name="申报人",
            ),
        ),
        migrations.AddField(
            model_name="item",
            name="identity_key",
            field=models.CharField(blank=True, default="", max_length=250, verbose_name="识别键"),
        ),
    ]
