import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("hours", "0010_item_identity_fill"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]
    operations = [
        migrations.AlterField(
            model_name="item",
            name="applicant",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL, verbose_name="申报人",
            ),
        ),
        migrations.AddIndex(
            model_name="item",
            index=models.Index(fields=["applicant", "activity", "identity_key"], name="item_applicant_identity"),
        ),
        migrations.AddConstraint(
            model_name="item",
            constraint=models.UniqueConstraint(
                condition=models.Q(("identity_key", ""), _negated=True), fields=("year_record", "activity", "identity_key"),
                name="item_one_per_identity",
            ),
        ),
    ]
