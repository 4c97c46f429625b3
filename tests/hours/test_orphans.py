"""Uploads that fail half-way, on real files on disk: the file written for a row that is rolled back
is deleted again (core.storage.FileWrites), no row ever points at a missing file, and
`manage.py sweep_files` removes what a rollback outside the service leaves behind — old unreferenced
files only, never a referenced or a young one."""
from datetime import timedelta
from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.storage import FileSystemStorage, default_storage
from django.core.management import CommandError, call_command
from django.db import transaction

from hours import filings, services
from hours.models import Evidence, EvidenceCategory, TrainingFiling
from core.storage import FileWrites, delete_on_commit, file_fields, referenced_names, storages_in_use, sweep
from tests.helpers import assert_database_query_count
from tests.hours.fixtures_views import *  # noqa: F401,F403
from tests.hours.fixtures_views import draft, pdf, png, year_with_training
from tests.hours.test_filings import filing_data
from tests.portal.storage_checks import Interrupted, fail_after_real_save, failed_upload_leaves_no_file, make_old, missing_files, referenced, stored, unreferenced_files

pytestmark = pytest.mark.django_db


def sweep_command(*args):
    out = StringIO()
    call_command("sweep_files", *args, stdout=out)
    return out.getvalue()


# --- failures inside the upload services -------------------------------------------------------


def test_evidence_upload_failing_after_its_row_is_written_leaves_no_file(p, media, monkeypatch):
    kept = failed_upload_leaves_no_file(p, monkeypatch)
    for name in stored():
        make_old(name, hours=48)
    assert sweep_command().endswith("已删除 0 个未被引用的文件。\n")
    assert stored() == {kept.file.name} and missing_files() == []


def test_evidence_upload_refused_by_the_lock_check_leaves_no_file(p, media):
    d = draft(p.song)
    _, item = year_with_training(d, p.song)
    other = draft(p.zhao)  # 赵金强's declaration: 宋庆涛 may not attach files to it
    with pytest.raises(PermissionDenied):
        services.evidence_add(declaration=other, user=p.song, category=EvidenceCategory.HOURS, upload=png(), year=2023)
    with pytest.raises(PermissionDenied):  # an item of another declaration
        services.evidence_add(declaration=other, user=p.zhao, category=EvidenceCategory.ITEM, item=item, upload=png())
    assert not Evidence.objects.exists()
    assert stored() == set()


def test_filing_create_failing_after_its_row_is_written_leaves_neither_file(p, media, monkeypatch):
    seen = fail_after_real_save(monkeypatch, TrainingFiling)
    with pytest.raises(Interrupted):
        filings.filing_create(user=p.chen, organisation=p.dzyjs, data=filing_data(), notice=pdf("通知.pdf"), schedule=pdf("课程表.pdf"))
    assert seen == [{"notice": True, "schedule": True}]
    assert not TrainingFiling.objects.exists()
    assert stored() == set()


def test_filing_update_failing_keeps_the_old_files_and_drops_the_new(p, media, monkeypatch, django_capture_on_commit_callbacks):
    filing = filings.filing_create(user=p.chen, organisation=p.dzyjs, data=filing_data(), notice=pdf("通知.pdf"), schedule=pdf("课程表.pdf"))
    old = {filing.notice.name, filing.schedule.name}
    seen = fail_after_real_save(monkeypatch, TrainingFiling)

    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(Interrupted):
        filings.filing_update(filing=filing, user=p.chen, data=filing_data(name="改名"), notice=pdf("新通知.pdf"))

    assert seen == [{"notice": True, "schedule": True}]
    assert callbacks == [], "the old file is deleted only when the replacement commits"
    row = TrainingFiling.objects.get(pk=filing.pk)
    assert {row.notice.name, row.schedule.name} == old and row.name == filing.name
    assert stored() == old
    assert missing_files() == [] and unreferenced_files() == []


def test_filing_update_that_commits_deletes_the_replaced_file(p, media, django_capture_on_commit_callbacks):
    filing = filings.filing_create(user=p.chen, organisation=p.dzyjs, data=filing_data(), notice=pdf("通知.pdf"), schedule=pdf("课程表.pdf"))
    replaced, schedule = filing.notice.name, filing.schedule.name
    with django_capture_on_commit_callbacks(execute=True):
        updated = filings.filing_update(filing=filing, user=p.chen, data=filing_data(), notice=pdf("新通知.pdf"))
    assert updated.notice.name != replaced
    assert stored() == {updated.notice.name, schedule}
    assert missing_files() == [] and unreferenced_files() == []


def test_filing_update_by_someone_else_writes_nothing(p, media):
    filing = filings.filing_create(user=p.chen, organisation=p.dzyjs, data=filing_data(), notice=pdf("通知.pdf"), schedule=pdf("课程表.pdf"))
    before = stored()
    with pytest.raises(PermissionDenied):
        filings.filing_update(filing=filing, user=p.dzcl_admin, data=filing_data(), notice=pdf("新通知.pdf"), schedule=pdf("新课程表.pdf"))
    assert stored() == before and missing_files() == []


def test_deleting_a_draft_removes_its_files_only_once_committed(p, media, django_capture_on_commit_callbacks):
    d = draft(p.song)
    _, item = year_with_training(d, p.song)
    services.evidence_add(declaration=d, user=p.song, category=EvidenceCategory.ITEM, item=item, material="training_notice", upload=png())
    services.evidence_add(declaration=d, user=p.song, category=EvidenceCategory.EDUCATION, upload=pdf())
    assert len(stored()) == 2
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.declaration_delete(declaration=d, user=p.song)
    assert len(stored()) == 2, "nothing is deleted before the commit"
    for callback in callbacks:
        callback()
    assert stored() == set() and missing_files() == []


# --- the mechanism itself ----------------------------------------------------------------------


def test_file_writes_keep_files_once_the_transaction_has_completed(p, media):
    """An error after files.atomic() completed must not delete files a committed row may point at."""
    d = draft(p.song)
    evidence = Evidence(
        declaration=d, category=EvidenceCategory.EDUCATION, original_name="a.png", extension=".png", content_type="image/png",
        size=1, sha256="0" * 64, uploaded_by=p.song,
    )
    with pytest.raises(Interrupted):
        with FileWrites() as files:
            files.save(evidence.file, png())
            with files.atomic():
                evidence.save()
            raise Interrupted("之后的步骤失败")
    assert stored() == {evidence.file.name} and missing_files() == []


def test_delete_on_commit_takes_the_name_when_called(media, django_capture_on_commit_callbacks):
    name = default_storage.save("evidence/1/old.png", png())
    filing = TrainingFiling()
    filing.notice.name = name
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            delete_on_commit(filing.notice, filing.schedule)  # an empty FieldFile is ignored
            filing.notice.name = "evidence/1/new.png"
    assert not default_storage.exists(name)


# --- a rollback outside the service, then the sweep ---------------------------------------------


def test_upload_rolled_back_by_the_caller_leaves_an_orphan_the_sweep_removes(p, media):
    d = draft(p.song)
    kept = services.evidence_add(declaration=d, user=p.song, category=EvidenceCategory.EDUCATION, upload=pdf())
    with pytest.raises(Interrupted):
        with transaction.atomic():  # e.g. a batch that fails after this upload succeeded
            orphan = services.evidence_add(declaration=d, user=p.song, category=EvidenceCategory.HOURS, upload=png(), year=2023)
            raise Interrupted("批量导入失败")

    assert missing_files() == []
    assert unreferenced_files() == [orphan.file.name]
    assert sweep_command().endswith("已删除 0 个未被引用的文件。\n"), "a young orphan may still be committing: kept"

    make_old(orphan.file.name, hours=25)
    make_old(kept.file.name, hours=25)
    out = sweep_command()
    assert f"已删除 {orphan.file.name}" in out
    assert "共 2 个文件：1 个有记录引用，0 个不足 24 小时（保留），已删除 1 个未被引用的文件。" in out
    assert unreferenced_files() == [] and missing_files() == []
    assert stored() == {kept.file.name}


def test_sweep_keeps_referenced_and_young_files_and_dry_run_deletes_nothing(p, media):
    d = draft(p.song)
    referenced_old = services.evidence_add(declaration=d, user=p.song, category=EvidenceCategory.EDUCATION, upload=pdf())
    make_old(referenced_old.file.name, hours=24 * 400)
    crash_left = default_storage.save("evidence/999/crash.pdf", pdf())  # a process died before its row committed
    make_old(crash_left, hours=30)
    young = default_storage.save("jobs/2026/in-progress.zip", png())  # any prefix counts, e.g. a job's zip
    make_old(young, hours=2)

    out = sweep_command("--dry-run")
    assert f"将删除 {crash_left}" in out and young not in out and "将删除 1 个" in out
    assert stored() == {referenced_old.file.name, crash_left, young}

    assert f"已删除 {young}" in sweep_command("--older-than-hours", "1")
    assert stored() == {referenced_old.file.name}
    assert missing_files() == []


def test_sweep_refuses_a_media_root_holding_the_signing_keys(settings, media):
    keys = media / "signing"
    keys.mkdir(parents=True)
    (keys / "ca.key.pem").write_text("secret")
    make_old("signing/ca.key.pem", hours=100)
    settings.CERT_SIGNING_DIR = str(keys)
    with pytest.raises(CommandError, match="包含.*拒绝清理"):
        sweep_command()
    assert (keys / "ca.key.pem").exists()


def test_sweep_leaves_the_signing_keys_alone(settings, media, tmp_path):
    keys = tmp_path / "signing"
    keys.mkdir()
    (keys / "ca.key.pem").write_text("secret")
    settings.CERT_SIGNING_DIR = str(keys)
    name = default_storage.save("evidence/1/old.png", png())
    make_old(name, hours=100)
    sweep_command("--older-than-hours", "0")
    assert (keys / "ca.key.pem").exists() and stored() == set()


def test_sweep_of_an_empty_or_missing_media_root(media):
    assert not media.exists()
    assert "共 0 个文件" in sweep_command()


def test_negative_age_is_refused(media):
    with pytest.raises(CommandError, match="不能为负数"):
        sweep_command("--older-than-hours", "-1")


def test_every_file_field_is_swept():
    names = {(f.model._meta.label, f.name) for f in file_fields()}
    assert {("hours.Evidence", "file"), ("hours.TrainingFiling", "notice"), ("hours.TrainingFiling", "schedule"),
            ("certificates.Certificate", "pdf")} <= names


def test_references_are_looked_up_in_batches(p, media):
    d = draft(p.song)
    kept = services.evidence_add(declaration=d, user=p.song, category=EvidenceCategory.EDUCATION, upload=pdf())
    names = [f"evidence/{n}/x.pdf" for n in range(1200)] + [kept.file.name]
    fields = file_fields()
    with assert_database_query_count(3 * len(fields)):  # 1201 names: batches of 500, 500 and 201
        found = referenced_names(names, fields)
    assert found == {kept.file.name}
    assert referenced() == {kept.file.name}


def test_sweep_result_counts(p, media):
    d = draft(p.song)
    services.evidence_add(declaration=d, user=p.song, category=EvidenceCategory.EDUCATION, upload=pdf())
    old = default_storage.save("filings/1/old.pdf", pdf())
    make_old(old, hours=48)
    result = sweep(older_than=timedelta(hours=24), dry_run=True)
    assert (result.checked, result.referenced, result.young, [n for n, _ in result.removed]) == (2, 0, 1, [old])


def test_two_storages_on_one_folder_are_swept_as_one(media, monkeypatch):
    """A field with its own FileSystemStorage on MEDIA_ROOT must not have the other fields' files swept away."""
    notice = TrainingFiling._meta.get_field("notice")
    monkeypatch.setattr(notice, "storage", FileSystemStorage(location=media))
    groups = storages_in_use()
    assert [len(fields) for _, fields in groups] == [len(file_fields())]
