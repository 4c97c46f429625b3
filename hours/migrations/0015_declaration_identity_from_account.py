"""姓名, 证件号码 and 性别 of a declaration now come from the applicant's account. Declarations still
open (暂存, under review, 审核不通过) take them from the account here, so that what the reviewers
see and then approve is the registered person. Approved declarations keep what was declared and
reviewed: they are the record of that review, and the certificate no longer reads their name."""
from django.db import migrations
from django.db.models import F


def identity_from_account(apps, schema_editor):
    Declaration = apps.get_model("hours", "Declaration")
    open_ones = Declaration.objects.exclude(state="approved").exclude(applicant__id_number=None)
    different = open_ones.exclude(name=F("applicant__name"), id_number=F("applicant__id_number"), gender=F("applicant__gender"))
    for declaration in different.select_related("applicant").iterator(chunk_size=2000):
        person = declaration.applicant
        # The 17th digit is odd for men (GB 11643-1999), for an account that has no gender on file.
        gender = person.gender or ("男" if int(person.id_number[16]) % 2 else "女")
        Declaration.objects.filter(pk=declaration.pk).update(name=person.name, id_number=person.id_number, gender=gender)


class Migration(migrations.Migration):

    dependencies = [
        ("hours", "0014_normalise_id_numbers"),
        ("accounts", "0002_normalise_id_numbers"),
    ]

    operations = [
        migrations.RunPython(identity_from_account, migrations.RunPython.noop),
    ]
