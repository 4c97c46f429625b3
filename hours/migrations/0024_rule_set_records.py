"""The shipped rule sets say which sources' training records count as sent (`records`, notice 三(一)
and 三(二)) and how many hours a day of a course may give. Added to a stored rule set only where it
has no `records` yet, so an administrator's edits elsewhere are kept; recorded in RuleSetChange."""
import json
from pathlib import Path

from django.db import migrations

DATA_DIR = Path(__file__).resolve().parents[1] / "rules" / "data"


def add_records(apps, schema_editor):
    RuleSet = apps.get_model("hours", "RuleSet")
    RuleSetChange = apps.get_model("hours", "RuleSetChange")
    for path in sorted(DATA_DIR.glob("*.json")):
        shipped = json.loads(path.read_text(encoding="utf-8"))
        rule_set = RuleSet.objects.filter(code=shipped["code"]).first()
        if rule_set is None or "records" in rule_set.data or "records" not in shipped:
            continue
        before = rule_set.data
        rule_set.data = {**before, "records": shipped["records"]}
        rule_set.save()
        RuleSetChange.objects.create(
            rule_set=rule_set, before=before, after=rule_set.data,
            note="随版本更新：培训平台、继续教育基地和单位备案的学时按通知直接认定，每天最多折算8学时",
        )


def remove_records(apps, schema_editor):
    """Back to a release whose engine refuses a `records` key: taken out again where it is still
    the shipped one (an administrator's own `records` is left for them to remove)."""
    RuleSet = apps.get_model("hours", "RuleSet")
    RuleSetChange = apps.get_model("hours", "RuleSetChange")
    for path in sorted(DATA_DIR.glob("*.json")):
        shipped = json.loads(path.read_text(encoding="utf-8"))
        rule_set = RuleSet.objects.filter(code=shipped["code"]).first()
        if rule_set is None or rule_set.data.get("records") != shipped.get("records"):
            continue
        before = rule_set.data
        rule_set.data = {k: v for k, v in before.items() if k != "records"}
        rule_set.save()
        RuleSetChange.objects.create(rule_set=rule_set, before=before, after=rule_set.data, note="版本回退：移除培训记录来源的认定规定")


class Migration(migrations.Migration):
    dependencies = [("hours", "0023_training_record_api")]
    operations = [migrations.RunPython(add_records, remove_records)]
