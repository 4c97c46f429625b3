from django.db import migrations, models


def one_material_each(apps, schema_editor):
    """Files uploaded before: each served the one material it was uploaded for."""
    Evidence = apps.get_model("hours", "Evidence")
    for evidence in Evidence.objects.exclude(material="").only("pk", "material").iterator():
        Evidence.objects.filter(pk=evidence.pk).update(materials=[evidence.material])


class Migration(migrations.Migration):
    dependencies = [("hours", "0017_move_steps_from_review")]

    operations = [
        migrations.AddField(
            model_name="evidence",
            name="materials",
            field=models.JSONField(
                blank=True, default=list, verbose_name="所证明的材料",
                help_text="该文件作为佐证的全部材料编码；一份扫描件可同时作为同一项目的多项材料",
            ),
        ),
        migrations.RunPython(one_material_each, migrations.RunPython.noop),
    ]
