from django.db import migrations, models
from django.db.models import Count, Min, Q


def drop_repeated_uploads(apps, schema_editor):
    """The same file uploaded twice to the same place (a double click before this constraint):
    keep the first row. The second row's file is left for sweep_files, which removes unreferenced
    files after a day."""
    Evidence = apps.get_model("hours", "Evidence")
    for keys in (("declaration", "category", "sha256"), ("item", "material", "sha256")):
        on_item = keys[0] == "item"
        repeated = (
            Evidence.objects.filter(item__isnull=not on_item)
            .values(*keys).annotate(n=Count("id"), first=Min("id")).filter(n__gt=1)
        )
        for group in repeated:
            Evidence.objects.filter(item__isnull=not on_item, **{k: group[k] for k in keys}).exclude(pk=group["first"]).delete()


class Migration(migrations.Migration):
    dependencies = [("hours", "0012_item_determined_at")]

    operations = [
        migrations.RunPython(drop_repeated_uploads, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="evidence",
            constraint=models.UniqueConstraint(
                condition=Q(item__isnull=True), fields=("declaration", "category", "sha256"), name="evidence_once_per_category"
            ),
        ),
        migrations.AddConstraint(
            model_name="evidence",
            constraint=models.UniqueConstraint(
                condition=Q(item__isnull=False), fields=("item", "material", "sha256"), name="evidence_once_per_item_material"
            ),
        ),
    ]
