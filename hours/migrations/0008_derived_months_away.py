"""YearRecord.months_away is derived from the absences declared in the year, no longer typed.

Existing rows: where the declaration's rule set does not prorate the requirement (Hunan), any
stored figure is cleared (it could only make the declaration's pages fail). Where it does
(Henan), declarations still being edited (draft, rejected) get the figure their absence items
give; submitted and approved ones keep what their reviewers saw and decided on."""
from django.db import migrations, models
import django.core.validators

from hours import rules

EDITABLE = ("draft", "rejected")


def derive(apps, schema_editor):
    RuleSet = apps.get_model("hours", "RuleSet")
    YearRecord = apps.get_model("hours", "YearRecord")
    Item = apps.get_model("hours", "Item")
    for rule_set in RuleSet.objects.all():
        try:
            policy = rules.load_policy(rule_set.data)
        except rules.PolicyDataError:
            continue
        records = YearRecord.objects.filter(declaration__rule_set=rule_set)
        if policy.proration is None:
            records.exclude(months_away=0).update(months_away=0)
            continue
        for record in records.filter(declaration__state__in=EDITABLE).iterator():
            months = 0
            for facts in Item.objects.filter(year_record=record, activity=policy.proration.activity).values_list("facts", flat=True):
                try:
                    months += rules.absence_months(policy, [(policy.proration.activity, facts)])
                except rules.RuleError:
                    continue
            if record.months_away != min(months, 12):
                record.months_away = min(months, 12)
                record.save(update_fields=["months_away"])


class Migration(migrations.Migration):
    dependencies = [("hours", "0007_rule_sets_policy_corrections")]
    operations = [
        migrations.AlterField(
            model_name="yearrecord",
            name="months_away",
            field=models.PositiveSmallIntegerField(
                default=0, editable=False,
                help_text="由当年度申报的境外工作、病假、生育等情形计算，按在岗时间折算当年学时要求",
                validators=[django.core.validators.MaxValueValidator(12)], verbose_name="不在岗月数",
            ),
        ),
        migrations.RunPython(derive, migrations.RunPython.noop),
    ]
