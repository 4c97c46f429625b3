"""`manage.py bench_api` (make bench) on the demo: three pushes of a 1,000-record batch answered as
expected, and nothing of it left behind."""
from io import StringIO

from django.core.management import call_command

from accounts.models import Role, RoleGrant, User
from api.models import ApiKey
from hours.models import TrainingRecord


def test_bench_api_pushes_a_full_batch_and_cleans_up(demo):
    records, keys = TrainingRecord.objects.count(), ApiKey.objects.count()
    out = StringIO()
    call_command("bench_api", runs=1, stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("API batch: 1000 records (") and "of API_MAX_BODY 1024 KB" in lines[0]
    assert [line.split(":")[0] for line in lines[1:4]] == [
        "API first push (all accepted)", "API re-push (all unchanged)", "API changed re-push (all updated)",
    ]
    assert lines[4].startswith("  targets (< 2 s each, body within API_MAX_BODY): ")
    assert (TrainingRecord.objects.count(), ApiKey.objects.count()) == (records, keys)


def test_bench_api_without_a_system_administrator_makes_one_and_pushes_province_wide(demo):
    """The synthetic data (make bench) have bureau clerks but no system administrator: a bureau's key
    would refuse the 800 people not registered, so the bench makes an administrator to issue its key."""
    RoleGrant.objects.filter(role=Role.SYSADMIN).delete()
    User.objects.filter(is_superuser=True).update(is_superuser=False)
    out = StringIO()
    call_command("bench_api", runs=1, stdout=out)
    assert "API first push (all accepted)" in out.getvalue()
    assert list(User.objects.filter(role_grants__role=Role.SYSADMIN).values_list("username", flat=True)) == ["bench_sysadmin"]
    call_command("bench_api", runs=1, stdout=StringIO())  # the next run uses the same one
    assert User.objects.filter(role_grants__role=Role.SYSADMIN).count() == 1
    # Its role taken away since: given back, not a second account (nor a clash on the username).
    RoleGrant.objects.filter(role=Role.SYSADMIN).delete()
    User.objects.filter(username="bench_sysadmin").update(is_superuser=False, is_staff=False)
    call_command("bench_api", runs=1, stdout=StringIO())
    assert list(User.objects.filter(role_grants__role=Role.SYSADMIN).values_list("username", flat=True)) == ["bench_sysadmin"]


def test_bench_api_uses_a_superuser_as_the_system_administrator(demo):
    RoleGrant.objects.filter(role=Role.SYSADMIN).delete()
    User.objects.filter(is_superuser=True).update(is_superuser=False)
    User.objects.filter(username="hn_clerk").update(is_superuser=True)
    call_command("bench_api", runs=1, stdout=StringIO())
    assert not User.objects.filter(username="bench_sysadmin").exists()
