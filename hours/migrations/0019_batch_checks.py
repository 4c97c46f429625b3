"""校验: the automatic checks' verdict kept on the declaration, for the 待办列表's column and its
filter 校验全部通过 (review/services.py declaration_checks_record). Declarations already waiting keep
no verdict (未校验) until they move on, a batch decides them, or `manage.py checks_refresh` runs."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('hours', '0018_applicant_evidence_materials'),
    ]

    operations = [
        migrations.AddField(
            model_name='declaration',
            name='checked_at',
            field=models.DateTimeField(blank=True, editable=False, null=True, verbose_name='校验时间'),
        ),
        migrations.AddField(
            model_name='declaration',
            name='checks_failed',
            field=models.PositiveSmallIntegerField(blank=True, editable=False, null=True, verbose_name='未通过的校验项数'),
        ),
        migrations.AddField(
            model_name='declaration',
            name='checks_summary',
            field=models.CharField(blank=True, editable=False, max_length=200, verbose_name='未通过的校验项'),
        ),
    ]
