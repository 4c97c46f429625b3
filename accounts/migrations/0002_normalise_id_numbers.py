"""证件号码 stored as typed before normalisation (full-width １２３…Ｘ, a lower-case x, spaces) are
stored normalised, so they match what people type again. A number that, normalised, is already
another account's is left as it is and reported: two accounts of one person are for a person to
merge, not for a migration."""
import unicodedata

from django.db import migrations


def normalised(number):
    # Frozen here (not accounts.validators.normalize_id_number): a migration must not change
    # meaning when the application code does.
    return "".join(unicodedata.normalize("NFKC", number).split()).upper()


def normalise_id_numbers(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    rows = list(User.objects.exclude(id_number=None).values_list("pk", "id_number", "username", "name"))
    owner = {number: pk for pk, number, _, _ in rows}
    usernames = set(User.objects.values_list("username", flat=True))
    for pk, number, username, name in rows:
        new = normalised(number)
        if new == number:
            continue
        if owner.get(new, pk) != pk:
            print(f"用户 {pk}（{name}）的证件号码规范化后为 {new[:4]}…{new[-4:]}，与用户 {owner[new]} 的证件号码相同，"
                  "未修改，请核实是否为同一人重复注册。")
            continue
        fields = {"id_number": new}
        # Applicants sign in with their number: the username registration gave them follows it.
        if username == number and new not in usernames:
            fields["username"] = new
            usernames.discard(username)
            usernames.add(new)
        User.objects.filter(pk=pk).update(**fields)
        del owner[number]
        owner[new] = pk


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(normalise_id_numbers, migrations.RunPython.noop),
    ]
