import json
from pathlib import Path

from django.db import migrations

DATA_DIR = Path(__file__).resolve().parents[1] / "rules" / "data"


def load(apps, schema_editor):
    RuleSet = apps.get_model("hours", "RuleSet")
    RuleSetChange = apps.get_model("hours", "RuleSetChange")
    for path in sorted(DATA_DIR.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        rule_set, created = RuleSet.objects.get_or_create(
            code=data["code"],
            defaults={"name": data["name"], "region": data["region"], "year": data["year"], "data": data},
        )
        if created:
            RuleSetChange.objects.create(rule_set=rule_set, before=None, after=data, note=f"初始载入 {path.name}")


class Migration(migrations.Migration):
    dependencies = [("hours", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
