"""One open declaration per applicant and span, one open training filing per unit, year and name
(open: not yet approved). Rows that broke this before are not deleted — some were submitted and
their review must be kept: in each group the one most recently submitted (else the one last
changed) stays as it is, the others are marked duplicate_of it, which the constraints leave out.
They can still be reviewed; a marked draft can be deleted by whoever made it."""
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.db.models import Count, F

# Frozen here (review.models.OPEN_STATES may change later).
OPEN_STATES = ("draft", "rejected", "unit_review", "superior_review", "bureau_review")
SHOWN = 20


def mark_duplicates(apps, schema_editor):
    Declaration = apps.get_model("hours", "Declaration")
    TrainingFiling = apps.get_model("hours", "TrainingFiling")
    for model, key, label in (
        (Declaration, ("applicant", "start_year", "end_year"), "申报"),
        (TrainingFiling, ("organisation", "year", "name"), "培训备案"),
    ):
        groups = model.objects.filter(state__in=OPEN_STATES).values(*key).annotate(n=Count("pk")).filter(n__gt=1)
        marked = 0
        for group in groups.iterator():
            rows = list(
                model.objects.filter(state__in=OPEN_STATES, **{k: group[k] for k in key})
                .order_by(F("submitted_at").desc(nulls_last=True), "-updated_at", "-pk")
            )
            kept, extra = rows[0], rows[1:]
            model.objects.filter(pk__in=[row.pk for row in extra]).update(duplicate_of=kept)
            for row in extra:
                marked += 1
                if marked <= SHOWN:
                    print(f"{label} {row.pk} 与 {kept.pk} 重复（同一{'申报人和年度' if model is Declaration else '单位、年度和培训名称'}），"
                          "已标为重复，仍可办理。")
        if marked > SHOWN:
            print(f"……共标记重复的{label} {marked} 份。")


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0002_normalise_id_numbers'),
        ('hours', '0015_declaration_identity_from_account'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='declaration',
            name='duplicate_of',
            field=models.ForeignKey(blank=True, help_text='“同一年度只能有一份未审核通过的申报”之前已重复的申报，指向保留的那一份（迁移 hours 0016 所标）', null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='hours.declaration', verbose_name='重复于'),
        ),
        migrations.AddField(
            model_name='trainingfiling',
            name='duplicate_of',
            field=models.ForeignKey(blank=True, help_text='“同名培训只能有一份未通过的备案”之前已重复的备案，指向保留的那一份（迁移 hours 0016 所标）', null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='hours.trainingfiling', verbose_name='重复于'),
        ),
        migrations.RunPython(mark_duplicates, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name='declaration',
            constraint=models.UniqueConstraint(condition=models.Q(('duplicate_of__isnull', True), ('state__in', ('draft', 'rejected', 'unit_review', 'superior_review', 'bureau_review'))), fields=('applicant', 'start_year', 'end_year'), name='declaration_one_open_per_span'),
        ),
        migrations.AddConstraint(
            model_name='trainingfiling',
            constraint=models.UniqueConstraint(condition=models.Q(('duplicate_of__isnull', True), ('state__in', ('draft', 'rejected', 'unit_review', 'superior_review', 'bureau_review'))), fields=('organisation', 'year', 'name'), name='filing_one_open_per_name'),
        ),
    ]
