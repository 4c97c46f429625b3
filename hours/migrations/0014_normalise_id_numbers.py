"""证件号码 on declarations and imported training records, stored as typed before normalisation
(full-width digits, a lower-case x), are stored normalised so that they meet their owner's account
again (确认选择 looks training records up by number). A training record that, normalised, repeats
one already stored (same source, person, year and title) is left as it is and reported."""
import unicodedata

from django.db import migrations


def normalised(number):
    # Frozen here, as in accounts 0002: not the application's normaliser, which may change.
    return "".join(unicodedata.normalize("NFKC", number).split()).upper()


def normalise_id_numbers(apps, schema_editor):
    Declaration = apps.get_model("hours", "Declaration")
    TrainingRecord = apps.get_model("hours", "TrainingRecord")
    for pk, number in Declaration.objects.values_list("pk", "id_number").iterator(chunk_size=2000):
        if normalised(number) != number:
            Declaration.objects.filter(pk=pk).update(id_number=normalised(number))
    records = TrainingRecord.objects.values_list("pk", "source", "id_number", "year", "title")
    keys = {(source, number, year, title): pk for pk, source, number, year, title in records.iterator(chunk_size=2000)}
    for (source, number, year, title), pk in list(keys.items()):
        new = normalised(number)
        if new == number:
            continue
        other = keys.get((source, new, year, title))
        if other is not None:
            print(f"培训学时记录 {pk}（{year}年“{title}”）的证件号码规范化后与记录 {other} 重复，未修改，请核实后删除其一。")
            continue
        TrainingRecord.objects.filter(pk=pk).update(id_number=new)
        keys[(source, new, year, title)] = pk


class Migration(migrations.Migration):

    dependencies = [
        ("hours", "0013_evidence_once"),
    ]

    operations = [
        migrations.RunPython(normalise_id_numbers, migrations.RunPython.noop),
    ]
