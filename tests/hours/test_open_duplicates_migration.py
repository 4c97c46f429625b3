"""Migration hours 0016 on rows that already break "one open declaration per applicant and span"
and "one open filing per unit, year and name" (made before the constraints): nothing is deleted,
the one most recently submitted (else last changed) of each group stays, the others are marked
duplicate_of it, and the constraints are then added — on SQLite and PostgreSQL alike."""
import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from portal.management.commands.load_demo import load
from hours.models import Declaration, TrainingFiling
from tests.conftest import Demo, ensure_rule_sets, province_only
from tests.hours.fixtures_views import draft, people, submitted
from tests.hours.test_filings import new_filing

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = ("hours", "0015_declaration_identity_from_account")


def migrate(target):
    executor = MigrationExecutor(connection)
    executor.migrate([target])


def migrate_to_latest():
    """Forward through 0016 to every app's latest migration: going back to 0015 also undid the
    migrations of other apps that depend on it, which the tests after this one need."""
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def test_rows_breaking_the_new_constraints_are_marked_not_deleted(demo_data, settings, tmp_path, capsys):
    settings.MEDIA_ROOT = tmp_path / "media"
    ensure_rule_sets()
    load(province_only(demo_data))
    p = people(Demo(demo_data))
    under_review = submitted(p.song, start_year=2022, end_year=2022)
    twin = draft(p.song, start_year=2021, end_year=2021)
    elsewhere = draft(p.song, start_year=2020, end_year=2020)
    older, newer = new_filing(p, name="第一期"), new_filing(p, name="第二期")
    try:
        migrate(BEFORE)
        # As the portal let them be made before: a second 2022 declaration, a second filing of one name.
        Declaration.objects.filter(pk=twin.pk).update(start_year=2022, end_year=2022)
        TrainingFiling.objects.filter(pk=newer.pk).update(name="第一期")
    finally:
        migrate_to_latest()

    marks = dict(Declaration.objects.values_list("pk", "duplicate_of"))
    assert marks == {under_review.pk: None, twin.pk: under_review.pk, elsewhere.pk: None}
    # Both filings were drafts: the one changed last stays.
    assert dict(TrainingFiling.objects.values_list("pk", "duplicate_of")) == {older.pk: newer.pk, newer.pk: None}
    out = capsys.readouterr().out
    assert f"申报 {twin.pk} 与 {under_review.pk} 重复" in out and f"培训备案 {older.pk} 与 {newer.pk} 重复" in out
