"""Existing items get their applicant and identity key (hours.policies.identity_key, with stored
text cleaned rather than refused). Where a year already holds the same work twice (a double click
before this fix), the first keeps the key and the later ones are left without one, so the unique
rule can be added without deleting anyone's data; the reviewers' check still reports them, as it
compares the items' facts."""
from django.core.exceptions import ValidationError
from django.db import migrations
from django.db.models import OuterRef, Subquery

from hours import rules
from hours.policies import identity_key
from core.inputs import safe_text


def fill(apps, schema_editor):
    Declaration = apps.get_model("hours", "Declaration")
    Item = apps.get_model("hours", "Item")
    RuleSet = apps.get_model("hours", "RuleSet")
    Item.objects.filter(applicant__isnull=True).update(
        applicant=Subquery(Declaration.objects.filter(year_records=OuterRef("year_record")).values("applicant")[:1])
    )
    for rule_set in RuleSet.objects.all():
        try:
            policy = rules.load_policy(rule_set.data)
        except rules.PolicyDataError:
            continue
        identified = [code for code, act in policy.activities.items() if act.identity is not None]
        seen = set()
        items = Item.objects.filter(year_record__declaration__rule_set=rule_set, activity__in=identified, identity_key="")
        for item in items.order_by("created_at", "id").iterator():
            try:
                key = identity_key(policy, item.activity, item.facts, text=safe_text)
            except (rules.RuleError, ValidationError):
                continue  # no identifying fact stored (e.g. a paper without its title): nothing to key
            if not key or (item.year_record_id, item.activity, key) in seen:
                continue
            seen.add((item.year_record_id, item.activity, key))
            Item.objects.filter(pk=item.pk).update(identity_key=key)


class Migration(migrations.Migration):
    dependencies = [("hours", "0009_item_identity_fields")]
    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
