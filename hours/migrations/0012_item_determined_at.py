"""Item.determined_at, and the items of activities the reviewing organisation now determines
(Henan's 其他类别, which applicants used to type hours for): the facts the rule set no longer has
(the typed hours) are dropped; in approved declarations the hours stand, as determined by the
bureau that approved them; elsewhere they count 0 until a reviewer sets them, and the year and
declaration totals follow."""
from decimal import Decimal

from django.db import migrations, models
from django.db.models import Sum

from hours import rules

ZERO = Decimal("0")


def reset(apps, schema_editor):
    RuleSet = apps.get_model("hours", "RuleSet")
    Item = apps.get_model("hours", "Item")
    YearRecord = apps.get_model("hours", "YearRecord")
    Declaration = apps.get_model("hours", "Declaration")
    for rule_set in RuleSet.objects.all():
        try:
            policy = rules.load_policy(rule_set.data)
        except rules.PolicyDataError:
            continue
        determined = {code: {s.name for s in act.facts} for code, act in policy.activities.items()
                      if act.formula["kind"] == "determined"}
        touched = set()
        items = Item.objects.filter(year_record__declaration__rule_set=rule_set, activity__in=determined, determined_at__isnull=True)
        for item in items.select_related("year_record__declaration").iterator():
            declaration = item.year_record.declaration
            item.facts = {k: v for k, v in item.facts.items() if k in determined[item.activity]}
            if declaration.state == "approved":
                item.determined_at = declaration.decided_at
            else:
                item.public_hours = item.professional_hours = ZERO
                touched.add(declaration.pk)
            item.save(update_fields=["facts", "public_hours", "professional_hours", "determined_at"])
        for declaration_pk in touched:
            total_p = total_q = ZERO
            for record in YearRecord.objects.filter(declaration_id=declaration_pk):
                sums = Item.objects.filter(year_record=record).aggregate(p=Sum("public_hours"), q=Sum("professional_hours"))
                record.public_hours, record.professional_hours = sums["p"] or ZERO, sums["q"] or ZERO
                record.save(update_fields=["public_hours", "professional_hours"])
                total_p += record.public_hours
                total_q += record.professional_hours
            Declaration.objects.filter(pk=declaration_pk).update(total_public=total_p, total_professional=total_q)


class Migration(migrations.Migration):
    dependencies = [("hours", "0011_item_identity_unique")]
    operations = [
        migrations.AddField(
            model_name="item",
            name="determined_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="学时核定时间"),
        ),
        migrations.RunPython(reset, migrations.RunPython.noop),
    ]
