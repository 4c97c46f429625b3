"""The shipped rule sets with issue 16's policy corrections (三援 years and months, Henan's
six-month threshold and reviewer-determined hours, day limits, item identities).

A stored rule set is replaced only if it is still exactly the version shipped before (its
fingerprint below): one an administrator has edited is left as it is, for them to merge in the
admin (the engine reads both). Each replacement is recorded in RuleSetChange, as an edit is."""
import hashlib
import json
from pathlib import Path

from django.db import migrations

DATA_DIR = Path(__file__).resolve().parents[1] / "rules" / "data"
PREVIOUS = {
    "hunan-2024": "81dedc7f6e39618fede94ad0928a441405ec8b9ef2e04627364984bd3b9a390c",
    "henan-2024": "70c8ddcc125af489370b8855d027dd0a41219100987ee62d512c015b181c4a57",
}


def fingerprint(data):
    return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def update(apps, schema_editor):
    RuleSet = apps.get_model("hours", "RuleSet")
    RuleSetChange = apps.get_model("hours", "RuleSetChange")
    for code, previous in PREVIOUS.items():
        rule_set = RuleSet.objects.filter(code=code).first()
        if rule_set is None or fingerprint(rule_set.data) != previous:
            continue
        data = json.loads((DATA_DIR / f"{code}.json").read_text(encoding="utf-8"))
        before = rule_set.data
        rule_set.data = data
        rule_set.name, rule_set.region, rule_set.year = data["name"], data["region"], data["year"]
        rule_set.save()
        RuleSetChange.objects.create(
            rule_set=rule_set, before=before, after=data,
            note="随版本更新：三援按外派期间认定、河南不在岗情形须超过6个月、其他类别由审核单位核定学时、按天折算不超过全年天数、同一成果只能申报一次",
        )


class Migration(migrations.Migration):
    dependencies = [("hours", "0006_accepted_by")]
    operations = [migrations.RunPython(update, migrations.RunPython.noop)]
