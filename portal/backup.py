"""Backups: one tar archive with a consistent snapshot of the database, every stored file and the
demo seal keys, described by a manifest that restore checks before it changes anything.

xueshi-backup-<UTC time>.tar holds
  database.pgdump    PostgreSQL: `pg_dump --format=custom`, one snapshot (pg_dump reads in a single transaction)
  database.sqlite3   SQLite: a copy made by sqlite3's online backup API while the site runs, never
                     a copy of the live file (which may sit half in its WAL)
  files/<name>       every file of the default storage (filesystem or S3) under its storage name:
                     evidence, filing documents, issued certificates
  signing/<name>     the demo seal keys and CA (CERT_SIGNING_DIR), when demo signing is on: without
                     the CA the verification page can no longer vouch for certificates issued earlier
  manifest.json      time, database vendor, applied migrations, size and SHA-256 of every member

Configured production keys (CERT_SIGNING_KEY, …) stay out of the archive, which holds personal data
and is copied about more freely: the manifest records their paths and SHA-256 so a restore can be
checked against the key material kept with the other secrets.

The database is dumped before the files are read, so a file uploaded meanwhile may be in the
archive without a row (harmless: `manage.py sweep_files` removes it later); restore lists every
referenced file it did not find.
"""
import hashlib
import io
import json
import os
import posixpath
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import django
from django.conf import settings
from django.core.cache import cache
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import DatabaseError, connection
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder

from certificates.signing import signing_dir
from core.storage import file_fields, stored_files

FORMAT = "xueshi-backup/1"
MANIFEST = "manifest.json"
DATABASE_MEMBER = {"postgresql": "database.pgdump", "sqlite": "database.sqlite3"}
FILES, SIGNING = "files/", "signing/"
# What the key directory holds besides keys: the lock file and half-written keys.
SIGNING_SKIP = {".lock"}
CONFIGURED_KEYS = ("CERT_SIGNING_KEY", "CERT_SIGNING_CERT", "CERT_SIGNING_CHAIN", "CERT_TRUST_ROOTS")
CHUNK = 1024 * 1024
# Apps the portal once installed and has dropped: older installations keep their (empty) tables and
# migration records, which come back with the dump as they are; nothing reads them.
RETIRED_APPS = {"guardian"}


class BackupError(Exception):
    """Why a backup or a restore was refused, in words for the operator."""


@dataclass
class RestoreReport:
    database: str
    files: int
    signing_files: int
    missing_files: list = field(default_factory=list)
    unapplied_migrations: list = field(default_factory=list)


# --- backup ---------------------------------------------------------------------------------------


def backup_create(*, output_dir):
    """Write a new archive into output_dir and return its path. The archive appears under its final
    name only when complete, readable by its owner only (it holds personal data and keys)."""
    vendor = connection.vendor
    if vendor not in DATABASE_MEMBER:
        raise BackupError(f"不支持备份 {vendor} 数据库（只支持 PostgreSQL 和 SQLite）。")
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    created = datetime.now(timezone.utc)
    target = _free_name(output_dir, f"xueshi-backup-{created:%Y%m%dT%H%M%SZ}")
    members = {}
    with tempfile.TemporaryDirectory(prefix="xueshi-backup-") as scratch:
        dump = Path(scratch) / DATABASE_MEMBER[vendor]
        migrations = _applied_migrations()
        (_pg_dump if vendor == "postgresql" else _sqlite_dump)(dump)
        partial = target.with_name(target.name + ".partial")
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
                with open(dump, "rb") as handle:
                    members[dump.name] = _add(tar, dump.name, handle, dump.stat().st_size)
                for name in sorted(n for n, _ in stored_files(default_storage)):
                    with default_storage.open(name, "rb") as handle:
                        members[FILES + name] = _add(tar, FILES + name, handle, default_storage.size(name))
                for path in _signing_files():
                    with open(path, "rb") as handle:
                        member = SIGNING + path.relative_to(signing_dir()).as_posix()
                        members[member] = _add(tar, member, handle, path.stat().st_size, mode=path.stat().st_mode & 0o777)
                manifest = {
                    "format": FORMAT,
                    "created_at": created.isoformat(),
                    "django": django.get_version(),
                    "database": {"vendor": vendor, "member": dump.name},
                    "migrations": migrations,
                    "file_count": sum(1 for m in members if m.startswith(FILES)),
                    "signing": {"demo_keys_included": any(m.startswith(SIGNING) for m in members), "configured": _configured_keys()},
                    "members": members,
                }
                data = json.dumps(manifest, ensure_ascii=False, indent=2).encode()
                _add(tar, MANIFEST, io.BytesIO(data), len(data))
            os.replace(partial, target)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
    return target


def _free_name(directory, stem):
    path, n = directory / f"{stem}.tar", 1
    while path.exists():
        n += 1
        path = directory / f"{stem}-{n}.tar"
    return path


class _Hashing:
    """Reads through to a file while hashing what passes, so each member is read once."""

    def __init__(self, handle):
        self.handle, self.sha256 = handle, hashlib.sha256()

    def read(self, n=-1):
        data = self.handle.read(n)
        self.sha256.update(data)
        return data


def _add(tar, name, handle, size, *, mode=0o600):
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = size, mode, int(datetime.now().timestamp())
    reader = _Hashing(handle)
    # tarfile copies exactly `size` bytes and fails on a file that shrank meanwhile.
    tar.addfile(info, reader)
    return {"size": size, "sha256": reader.sha256.hexdigest()}


def _applied_migrations():
    return sorted(f"{app}.{name}" for app, name in MigrationRecorder(connection).applied_migrations())


def _pg_environment():
    """libpq's variables for the default database, so no password appears on a command line."""
    db = connection.settings_dict
    values = {"PGDATABASE": db["NAME"], "PGHOST": db.get("HOST"), "PGPORT": db.get("PORT"), "PGUSER": db.get("USER"),
              "PGPASSWORD": db.get("PASSWORD"), "PGSSLMODE": db.get("OPTIONS", {}).get("sslmode")}
    return {**os.environ, **{k: str(v) for k, v in values.items() if v}}


def _run(command):
    program = shutil.which(command[0])
    if program is None:
        raise BackupError(f"找不到 {command[0]}：请安装 PostgreSQL 客户端（Debian: apt-get install postgresql-client）。")
    result = subprocess.run([program, *command[1:]], env=_pg_environment(), capture_output=True, text=True)
    if result.returncode != 0:
        raise BackupError(f"{command[0]} 失败（退出码 {result.returncode}）：{result.stderr.strip()}")


def _pg_dump(path):
    _run(["pg_dump", "--format=custom", "--file", str(path)])


def _sqlite_dump(path):
    source = sqlite3.connect(connection.settings_dict["NAME"])
    target = sqlite3.connect(path)
    try:
        source.backup(target)
        # One self-contained file, whatever journal mode the live database uses.
        target.execute("PRAGMA journal_mode=DELETE")
    finally:
        target.close()
        source.close()


def _signing_files():
    directory = signing_dir()
    if not settings.CERT_DEMO_SIGNING or not directory.is_dir():
        return []
    return sorted(
        p for p in directory.rglob("*") if p.is_file() and p.name not in SIGNING_SKIP and not p.name.endswith(".tmp")
    )


def _configured_keys():
    """{setting: [{path, sha256}]} for the production key material named in the settings."""
    found = {}
    for name in CONFIGURED_KEYS:
        value = getattr(settings, name)
        if not value:
            continue
        paths = value.values() if isinstance(value, dict) else [value] if isinstance(value, str) else value
        found[name] = [{"path": str(p).strip(), "sha256": _sha256_of(Path(str(p).strip()))} for p in paths if str(p).strip()]
    return found


def _sha256_of(path):
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


# --- restore --------------------------------------------------------------------------------------


def backup_restore(*, archive, force=False):
    """Bring an archive back into this installation: its database (which must be empty unless
    force) and its storage (files with the same names are refused unless force, then replaced).
    Every member is checked against the manifest before anything is written."""
    archive = Path(archive)
    if not archive.is_file():
        raise BackupError(f"备份文件 {archive} 不存在。")
    try:
        tar = tarfile.open(archive, mode="r:")
    except (tarfile.TarError, OSError) as error:
        raise BackupError(f"{archive} 不是有效的备份文件（{error}）。") from error
    with tar:
        manifest = _verified_manifest(tar, archive)
        vendor = manifest["database"]["vendor"]
        if vendor != connection.vendor:
            raise BackupError(f"备份的数据库是 {vendor}，而本安装使用 {connection.vendor}：只能恢复到同类数据库。")
        _refuse_unknown_migrations(manifest["migrations"])
        try:
            connection.ensure_connection()
        except DatabaseError as error:
            raise BackupError(
                f"无法连接目标数据库 {connection.settings_dict['NAME']}（{error}）：请先建好空数据库（PostgreSQL: createdb）。"
            ) from error
        file_members = [m for m in manifest["members"] if m.startswith(FILES)]
        signing_members = [m for m in manifest["members"] if m.startswith(SIGNING)]
        if not force:
            _refuse_occupied(tar, file_members, signing_members)

        with tempfile.TemporaryDirectory(prefix="xueshi-restore-") as scratch:
            dump = Path(scratch) / manifest["database"]["member"]
            with tar.extractfile(manifest["database"]["member"]) as source, open(dump, "wb") as target:
                shutil.copyfileobj(source, target, CHUNK)
            if vendor == "postgresql":
                _pg_restore(dump, force=force)
            else:
                _sqlite_restore(dump)
        # What the cache holds describes the database just replaced: the signed-in identities, the
        # filing windows, the sessions cached beside their table (the whole of the portal's Redis
        # database: its rate-limit counters start again too).
        cache.clear()

        for member in file_members:
            _restore_file(tar, member, force=force)
        for member in signing_members:
            _restore_signing_file(tar, tar.getmember(member))

    restored_migrations = _applied_migrations()
    if restored_migrations != manifest["migrations"]:
        raise BackupError("恢复后的数据库迁移记录与备份清单不符，恢复结果不可信。")
    loader = MigrationLoader(connection, ignore_no_migrations=True)
    unapplied = sorted(f"{a}.{n}" for a, n in loader.disk_migrations if f"{a}.{n}" not in set(restored_migrations))
    return RestoreReport(
        database=vendor,
        files=len(file_members),
        signing_files=len(signing_members),
        missing_files=missing_referenced_files(),
        unapplied_migrations=unapplied,
    )


def _safe_member_name(name):
    parts = name.split("/")
    return bool(name) and not name.startswith("/") and ".." not in parts and "" not in parts and posixpath.normpath(name) == name


def _verified_manifest(tar, archive):
    """The manifest, once every member's size and SHA-256 match it and nothing is extra or missing."""
    try:
        with tar.extractfile(MANIFEST) as handle:
            manifest = json.loads(handle.read())
    except (KeyError, AttributeError, ValueError, tarfile.TarError) as error:
        raise BackupError(f"{archive} 不是有效的备份文件：缺少或无法读取 {MANIFEST}。") from error
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{archive} 的清单格式不是 {FORMAT}，无法恢复。")
    expected = manifest.get("members") or {}
    database_member = manifest.get("database", {}).get("member")
    if database_member not in expected or manifest["database"].get("vendor") not in DATABASE_MEMBER:
        raise BackupError(f"{archive} 的清单中没有数据库备份。")
    seen = set()
    try:
        for info in tar:
            if info.name == MANIFEST:
                continue
            if info.name not in expected:
                raise BackupError(f"备份文件已损坏或被改动：{info.name} 不在清单中。")
            if not info.isreg() or not _safe_member_name(info.name):
                raise BackupError(f"备份文件已损坏或被改动：{info.name} 不是普通文件或路径不安全。")
            digest = hashlib.sha256()
            with tar.extractfile(info) as handle:
                while chunk := handle.read(CHUNK):
                    digest.update(chunk)
            if info.size != expected[info.name]["size"] or digest.hexdigest() != expected[info.name]["sha256"]:
                raise BackupError(f"备份文件已损坏或被改动：{info.name} 的大小或 SHA-256 与清单不符。")
            seen.add(info.name)
    except (tarfile.TarError, OSError, EOFError) as error:
        raise BackupError(f"备份文件已损坏（{error}）。") from error
    missing = sorted(set(expected) - seen)
    if missing:
        raise BackupError(f"备份文件不完整：缺少 {len(missing)} 个成员，例如 {missing[0]}。")
    return manifest


def _refuse_unknown_migrations(migrations):
    loader = MigrationLoader(None, ignore_no_migrations=True)
    known = {f"{a}.{n}" for a, n in loader.disk_migrations}
    unknown = sorted(m for m in set(migrations) - known if m.split(".")[0] not in RETIRED_APPS)
    if unknown:
        raise BackupError(
            f"备份来自更新版本的程序（本程序没有迁移 {', '.join(unknown[:3])}{' 等' if len(unknown) > 3 else ''}）：请用相同或更新版本恢复。"
        )


def _refuse_occupied(tar, file_members, signing_members):
    tables = connection.introspection.table_names()
    if tables:
        raise BackupError(
            f"目标数据库 {connection.settings_dict['NAME']} 不是空的（已有 {len(tables)} 张表）："
            "请恢复到新建的空数据库，或加 --force 先清空它。"
        )
    taken = [m for m in file_members if default_storage.exists(m[len(FILES):])]
    if taken:
        raise BackupError(f"存储中已有 {len(taken)} 个同名文件（例如 {taken[0][len(FILES):]}）：请恢复到空的存储，或加 --force 覆盖。")
    for member in signing_members:
        path = signing_dir() / member[len(SIGNING):]
        if path.exists() and path.read_bytes() != tar.extractfile(member).read():
            raise BackupError(f"电子印章目录中的 {path} 与备份中的不同：请先移走它，或加 --force 覆盖。")


def _pg_restore(dump, *, force):
    tables = connection.introspection.table_names()
    if tables and force:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE " + ", ".join(connection.ops.quote_name(t) for t in tables) + " CASCADE")
    connection.close()
    # One transaction: a restore that fails half-way leaves the database empty, not half-filled.
    _run(["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
          "--dbname", connection.settings_dict["NAME"], str(dump)])


def _sqlite_restore(dump):
    connection.close()
    source = sqlite3.connect(dump)
    target = sqlite3.connect(connection.settings_dict["NAME"])
    try:
        # The backup API replaces the target's pages as a whole, safely for anyone else reading it.
        source.backup(target)
    finally:
        target.close()
        source.close()


def _restore_file(tar, member, *, force):
    name = member[len(FILES):]
    if force and default_storage.exists(name):
        default_storage.delete(name)
    with tar.extractfile(member) as handle:
        content = File(handle, name=posixpath.basename(name))
        content.size = tar.getmember(member).size
        saved = default_storage.save(name, content)
    if saved != name:
        raise BackupError(f"文件 {name} 被存储保存为 {saved}：存储中有同名文件，恢复中止。")


def _restore_signing_file(tar, info):
    path = signing_dir() / info.name[len(SIGNING):]
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".tmp")
    with tar.extractfile(info) as source, open(partial, "wb") as target:
        shutil.copyfileobj(source, target)
    os.chmod(partial, info.mode & 0o777)
    os.replace(partial, path)


def missing_referenced_files():
    """[(model label, field, name)] for every file some row points at that the storage lacks."""
    missing = []
    for f in file_fields():
        names = f.model._base_manager.exclude(**{f.attname: ""}).values_list(f.attname, flat=True)
        missing += [(f.model._meta.label, f.name, n) for n in names.iterator() if not f.storage.exists(n)]
    return missing
