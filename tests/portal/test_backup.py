"""`make backup` / `manage.py backup` and `restore`: a populated installation (the demo province with
its approved declaration, evidence files and an issued, sealed certificate) goes into one archive
and comes back into an empty database and an empty storage with every referenced file byte for
byte, every declaration's audit trail unchanged and the seal still trusted, also with the files in
an S3 bucket; and restore refuses a non-empty target and an archive that is damaged, tampered with
or from another kind of database."""
import copy
import io
import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.conf import settings
from django.db import connection
from django.db.utils import load_backend

from portal.management.commands.load_demo import load
from accounts.models import Organisation, User
from certificates.services import certificate_issue
from certificates.signing import check_seal
from hours import services
from hours.models import Declaration, Evidence, EvidenceCategory
from portal.backup import BackupError, _refuse_unknown_migrations, backup_create, backup_restore
from portal.settings.base import default_storage_from_env
from core.storage import file_fields
from hours.models import ReviewStep
from tests.conftest import ensure_rule_sets, province_only
from tests.helpers import database_url
from tests.hours.fixtures_views import draft, png
from tests.portal.storage_checks import moto_endpoint, s3  # noqa: F401 (fixtures)

# The restore needs committed data that pg_dump, sqlite3 and other processes can see.
pytestmark = pytest.mark.django_db(transaction=True)

on_sqlite = pytest.mark.skipif(connection.vendor != "sqlite", reason="the SQLite round trip; this run is on another database")


def run(args, *, db_url, media, signing):
    """A command as an operator runs it: another process with the local settings and this environment."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings.local",
        "DJANGO_DEBUG": "0",
        "DATABASE_URL": db_url,
        "MEDIA_ROOT": str(media),
        "CERT_SIGNING_DIR": str(signing),
        "STORAGE_BACKEND": "filesystem",
    }
    return subprocess.run(args, cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=180)


def manage(*args, **kwargs):
    return run([sys.executable, "manage.py", *args], **kwargs)


@pytest.fixture
def installation(demo_data, settings, tmp_path):
    """The whole demo province, committed, with 宋庆涛's 学时认定单 issued and sealed."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.CERT_SIGNING_DIR = str(tmp_path / "signing")
    ensure_rule_sets()
    load(copy.deepcopy(demo_data))
    song = User.objects.get(id_number="430121198805041015")
    # The demo's work issues it already (fixtures/demo.json work.certificates): the same one comes back.
    certificate, _ = certificate_issue(user=song, start_year=2019, end_year=2023, base_url="https://xueshi.example.cn")
    assert certificate.is_current and certificate.pdf
    return SimpleNamespace(
        media=Path(settings.MEDIA_ROOT), signing=Path(settings.CERT_SIGNING_DIR), certificate=certificate,
        db_url=database_url(connection.settings_dict),
    )


@pytest.fixture
def restored_database(tmp_path, django_db_blocker):
    """An empty second database and a Django connection to it of its own (outside `connections`,
    which the test case guards), for raw SQL beside the default connection's."""
    if connection.vendor == "sqlite":
        config = {**connection.settings_dict, "NAME": str(tmp_path / "restored.sqlite3")}
    else:
        name = f"{connection.settings_dict['NAME']}_restore"
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            cursor.execute(f'CREATE DATABASE "{name}"')
        config = {**connection.settings_dict, "NAME": name}
    wrapper = load_backend(config["ENGINE"]).DatabaseWrapper(config, alias="restored")
    yield SimpleNamespace(url=database_url(config), connection=wrapper)
    wrapper.close()
    if connection.vendor != "sqlite":
        with django_db_blocker.unblock(), connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{config["NAME"]}" WITH (FORCE)')


def rows(conn, sql):
    with conn.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchall()


def referenced_files(conn):
    q = conn.ops.quote_name
    return sorted(
        name
        for f in file_fields()
        for (name,) in rows(conn, f"SELECT {q(f.column)} FROM {q(f.model._meta.db_table)} WHERE {q(f.column)} <> ''")
    )


def trails(conn):
    """{declaration id: [its ReviewSteps in order, with the actor's and organisations' names]}."""
    step, user, org = ReviewStep._meta.db_table, User._meta.db_table, Organisation._meta.db_table
    found = {pk: [] for (pk,) in rows(conn, f"SELECT id FROM {Declaration._meta.db_table}")}
    for declaration, *step_row in rows(
        conn,
        f"SELECT s.declaration_id, s.id, s.action, s.from_state, s.to_state, u.username, s.actor_role, o.name, n.name,"
        f" s.opinion, s.details, s.ip_address, s.created_at FROM {step} s JOIN {user} u ON u.id = s.actor_id"
        f" LEFT JOIN {org} o ON o.id = s.organisation_id LEFT JOIN {org} n ON n.id = s.next_org_id"
        f" ORDER BY s.declaration_id, s.created_at, s.id",
    ):
        found[declaration].append(tuple(step_row))
    return found


def row_counts(conn):
    return {
        m._meta.label: rows(conn, f"SELECT COUNT(*) FROM {conn.ops.quote_name(m._meta.db_table)}")[0][0]
        for m in apps.get_models()
        if m._meta.managed and not m._meta.proxy
    }


def assert_round_trip(installation, restored, media, signing, settings):
    names = referenced_files(connection)
    assert installation.certificate.pdf.name in names and any(n.startswith("evidence/") for n in names)
    assert referenced_files(restored.connection) == names
    for name in names:
        assert (media / name).read_bytes() == (installation.media / name).read_bytes(), name

    source_trails = trails(connection)
    assert source_trails and any(len(steps) == 4 for steps in source_trails.values())  # submit + three approvals
    assert trails(restored.connection) == source_trails
    assert row_counts(restored.connection) == row_counts(connection)

    keys = sorted(p.relative_to(installation.signing) for p in installation.signing.rglob("*.pem"))
    assert keys and sorted(p.relative_to(signing) for p in signing.rglob("*.pem")) == keys
    assert oct((signing / "ca.key.pem").stat().st_mode & 0o777) == "0o600"
    # The restored demo CA still vouches for the certificate issued before the backup.
    settings.CERT_SIGNING_DIR = str(signing)
    assert check_seal((media / installation.certificate.pdf.name).read_bytes()).ok


@pytest.mark.postgres("pg_dump and pg_restore")
def test_round_trip_on_postgresql(installation, restored_database, tmp_path, settings):
    made = manage("backup", "--output-dir", str(tmp_path / "backups"),
                  db_url=installation.db_url, media=installation.media, signing=installation.signing)
    assert made.returncode == 0, made.stderr
    (archive,) = (tmp_path / "backups").glob("xueshi-backup-*.tar")
    assert f"已备份到 {archive}" in made.stdout
    with tarfile.open(archive) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))
        assert tar.getmember("database.pgdump").isreg()
    assert manifest["database"]["vendor"] == "postgresql"
    assert manifest["file_count"] == len(referenced_files(connection))
    assert "review.0001_initial" in manifest["migrations"]

    media, signing = tmp_path / "restored-media", tmp_path / "restored-signing"
    # Restoring over the storage the files came from is refused before the empty database is touched.
    refused = manage("restore", str(archive), db_url=restored_database.url, media=installation.media, signing=signing)
    assert refused.returncode != 0 and "同名文件" in refused.stderr
    assert restored_database.connection.introspection.table_names() == []

    restored = manage("restore", str(archive), db_url=restored_database.url, media=media, signing=signing)
    assert restored.returncode == 0, restored.stderr
    assert f"{manifest['file_count']} 个存储文件" in restored.stdout
    assert_round_trip(installation, restored_database, media, signing, settings)

    again = manage("restore", str(archive), db_url=restored_database.url, media=tmp_path / "other-media", signing=signing)
    assert again.returncode != 0 and "不是空的" in again.stderr


@on_sqlite
def test_round_trip_on_sqlite_with_make(installation, restored_database, tmp_path, settings):
    """`make backup` on the SQLite installation `make run` sets up, and `make restore` into a new one."""
    make = ["make", "--no-print-directory", f"PY={sys.executable}"]
    made = run([*make, "backup", f"BACKUP_DIR={tmp_path / 'backups'}"],
               db_url=installation.db_url, media=installation.media, signing=installation.signing)
    assert made.returncode == 0, made.stdout + made.stderr
    (archive,) = (tmp_path / "backups").glob("xueshi-backup-*.tar")
    with tarfile.open(archive) as tar:
        # A self-contained copy made by the online backup API, not the live file with its WAL beside it.
        assert {m.name for m in tar if m.name.startswith("database")} == {"database.sqlite3"}

    usage = run([*make, "restore"], db_url=restored_database.url, media=tmp_path / "m", signing=tmp_path / "s")
    assert usage.returncode != 0 and "BACKUP=" in usage.stdout + usage.stderr

    media, signing = tmp_path / "restored-media", tmp_path / "restored-signing"
    restored = run([*make, "restore", f"BACKUP={archive}"], db_url=restored_database.url, media=media, signing=signing)
    assert restored.returncode == 0, restored.stdout + restored.stderr
    assert_round_trip(installation, restored_database, media, signing, settings)


# --- refusals (in this process, on whichever database the run uses) ------------------------------


@pytest.fixture
def archive(installation, tmp_path):
    return backup_create(output_dir=tmp_path / "backups")


def rewritten(archive, *, change=None, drop=None, add=None, manifest=None):
    """A copy of the archive with one member's bytes changed, one left out, one added or the manifest edited."""
    target = archive.with_name("edited-" + archive.name)
    with tarfile.open(archive) as source, tarfile.open(target, "w") as tar:
        for info in source:
            data = source.extractfile(info).read()
            if info.name == drop:
                continue
            if info.name == change:
                data = data[:-1] + bytes([data[-1] ^ 1])
            if info.name == "manifest.json" and manifest:
                edited = json.loads(data)
                manifest(edited)
                data = json.dumps(edited).encode()
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        if add:
            info = tarfile.TarInfo(add)
            info.size = 3
            tar.addfile(info, io.BytesIO(b"bad"))
    return target


def first_file(archive):
    with tarfile.open(archive) as tar:
        return next(m.name for m in tar if m.name.startswith("files/certificates/"))


def test_restore_refuses_a_database_that_is_not_empty(archive):
    before = ReviewStep.objects.count()
    with pytest.raises(BackupError, match="目标数据库 .* 不是空的（已有 \\d+ 张表）.*--force"):
        backup_restore(archive=archive)
    assert ReviewStep.objects.count() == before


def truncated(archive):
    target = archive.with_name("truncated.tar")
    data = archive.read_bytes()
    target.write_bytes(data[: len(data) // 2])
    return target


def not_a_tar(archive):
    target = archive.with_name("notes.tar")
    target.write_text("这不是备份文件", encoding="utf-8")
    return target


def another_vendor():
    return "sqlite" if connection.vendor == "postgresql" else "postgresql"


# How an archive can be wrong, and what restore says; each case edits a copy of one archive.
REFUSED_ARCHIVES = {
    "file-changed": (lambda a: rewritten(a, change=first_file(a)), "大小或 SHA-256 与清单不符"),
    "manifest-damaged": (lambda a: rewritten(a, change="manifest.json"), "缺少或无法读取 manifest.json"),
    "manifest-missing": (lambda a: rewritten(a, drop="manifest.json"), "缺少或无法读取 manifest.json"),
    "file-missing": (lambda a: rewritten(a, drop=first_file(a)), "备份文件不完整：缺少 1 个成员"),
    "extra-member": (lambda a: rewritten(a, add="files/../../etc/cron.d/x"), "不在清单中"),
    "unsafe-path": (
        lambda a: rewritten(a, manifest=lambda m: m["members"].update({"files/../x": {"size": 3, "sha256": "0"}}), add="files/../x"),
        "路径不安全",
    ),
    "truncated": (truncated, "备份文件已损坏|不是有效的备份文件"),
    "not-a-tar": (not_a_tar, "不是有效的备份文件"),
    "other-format": (lambda a: rewritten(a, manifest=lambda m: m.update(format="other/9")), "清单格式不是 xueshi-backup/1"),
    "other-vendor": (
        lambda a: rewritten(a, manifest=lambda m: m["database"].update(vendor=another_vendor())),
        "备份的数据库是 .*只能恢复到同类数据库",
    ),
    "newer-version": (
        lambda a: rewritten(a, manifest=lambda m: m["migrations"].append("hours.9999_from_the_future")),
        "备份来自更新版本的程序（本程序没有迁移 hours.9999_from_the_future）",
    ),
}


def test_restore_refuses_a_damaged_tampered_or_foreign_archive(archive):
    """Checked before anything is written: even with --force on this non-empty database the
    complaint is about the archive, and the database keeps its rows."""
    before = ReviewStep.objects.count()
    for case, (damage, message) in REFUSED_ARCHIVES.items():
        with pytest.raises(BackupError, match=message):
            backup_restore(archive=damage(archive), force=True)
            pytest.fail(f"{case}: restored")
    assert ReviewStep.objects.count() == before


def test_restore_takes_back_an_archive_that_still_records_django_guardian():
    """Installations from before django-guardian was removed keep its empty tables and migration
    records; their archives are not mistaken for ones from a newer version."""
    _refuse_unknown_migrations(["guardian.0001_initial", "guardian.0003_remove_groupobjectpermission_guardian_gr_content_ae6aec_idx_and_more", "hours.0001_initial"])


def test_restore_of_a_missing_archive_says_so(tmp_path):
    with pytest.raises(BackupError, match="不存在"):
        backup_restore(archive=tmp_path / "nothing.tar")


def test_backup_lists_the_files_and_keeps_the_archive_private(archive, installation):
    with tarfile.open(archive) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))
        members = {m.name for m in tar}
    assert oct(archive.stat().st_mode & 0o777) == "0o600"
    assert archive.name.startswith("xueshi-backup-") and not list(archive.parent.glob("*.partial"))
    assert manifest["database"]["vendor"] == connection.vendor
    stored = sorted(str(p.relative_to(installation.media)) for p in installation.media.rglob("*") if p.is_file())
    assert sorted(m[len("files/"):] for m in manifest["members"] if m.startswith("files/")) == stored
    assert manifest["file_count"] == len(stored)
    assert members == set(manifest["members"]) | {"manifest.json"}
    assert manifest["signing"]["demo_keys_included"] and "signing/ca.cert.pem" in members
    assert ".lock" not in {Path(m).name for m in members}


def test_round_trip_of_the_files_in_an_s3_bucket(demo_data, s3, settings, monkeypatch, tmp_path):
    """With STORAGE_BACKEND=s3 the archive takes the files from the bucket (listed through the
    storage) and restore puts them into another, empty bucket, byte for byte."""
    ensure_rule_sets()
    load(province_only(demo_data))
    song = User.objects.get(id_number="430121198805041015")
    declaration = draft(song)
    uploads = {
        services.evidence_add(declaration=declaration, user=song, category=EvidenceCategory.EDUCATION, upload=png(f"学历{n}.png")).file.name
        for n in range(3)
    }
    assert s3.keys() == uploads
    archive = backup_create(output_dir=tmp_path / "backups")
    with tarfile.open(archive) as tar:
        assert {m.name for m in tar if m.name.startswith("files/")} == {f"files/{name}" for name in uploads}

    empty = f"{s3.bucket}-restored"
    s3.client.create_bucket(Bucket=empty)
    monkeypatch.setenv("AWS_STORAGE_BUCKET_NAME", empty)
    settings.STORAGES = {**settings.STORAGES, "default": default_storage_from_env()}
    # --force: this test's own database is not empty; the bucket is.
    report = backup_restore(archive=archive, force=True)
    assert (report.files, report.missing_files) == (3, [])
    for name in uploads:
        original = s3.client.get_object(Bucket=s3.bucket, Key=name)["Body"].read()
        assert s3.client.get_object(Bucket=empty, Key=name)["Body"].read() == original
    assert Evidence.objects.filter(declaration=declaration).count() == 3
