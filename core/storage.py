"""Stored files (evidence, filing papers, certificates, …) on whatever STORAGES["default"] is — the
filesystem or an S3-compatible bucket. The upload services, the download views and the sweep use
these helpers, which go only through the storage API (no local paths), so both backends behave alike:

- FileWrites: files written for a database change are deleted again if that change rolls back,
  so no row ever points at a missing file and a failed upload leaves nothing behind;
- delete_on_commit: files of deleted or replaced rows go once the deleting transaction commits;
- file_response: a file for a request that has passed its permission check (streamed, or a
  short-lived signed redirect with STORAGE_SIGNED_URLS);
- sweep: removes files that no FileField of any model references (what a crash between writing
  a file and committing its row leaves behind)."""
import logging
import posixpath
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from itertools import islice
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.db import models, transaction
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.utils import timezone
from django.utils.http import content_disposition_header

logger = logging.getLogger(__name__)

LOOKUP_BATCH = 500  # names per `IN (…)` look-up: well inside every backend's parameter limit


class FileWrites:
    """The files written for one database change, deleted again unless that change commits.

        with FileWrites() as files:
            files.save(evidence.file, upload)   # before the transaction, so no lock is held while writing
            with files.atomic():
                evidence.save()                 # files.save() may also be called in here

    If the `with FileWrites()` block raises before `files.atomic()` has completed, every file it
    wrote is deleted and the exception goes on. Once `files.atomic()` has completed nothing is
    deleted any more (rows may reference the files). When it runs inside a caller's transaction,
    completing only releases a savepoint; should the caller then roll back, the files are orphans
    that nothing references, and `manage.py sweep_files` removes them."""

    def __init__(self, using=None):
        self.using = using
        self.written = []  # (storage, name)
        self.completed = False

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None and not self.completed:
            self.discard()
        return False

    def save(self, field_file, content, filename=None):
        """Write `content` under the name the field's upload_to makes (from `filename`, or the
        content's own name) and point `field_file` at it; returns the stored name."""
        model_field = field_file.field
        name = model_field.generate_filename(field_file.instance, filename or content.name)
        field_file.name = field_file.storage.save(name, content, max_length=model_field.max_length)
        self.written.append((field_file.storage, field_file.name))
        return field_file.name

    @contextmanager
    def atomic(self):
        with transaction.atomic(using=self.using):
            yield
        # Past the commit (or the savepoint release): from here on rows may reference the files.
        self.completed = True

    def discard(self):
        for storage, name in self.written:
            _delete_quietly(storage, name)
        self.written = []


def delete_on_commit(*field_files, using=None):
    """Delete these files once the current transaction commits (nothing if it rolls back). The
    names are taken now, so a FieldFile may be pointed at a new file afterwards."""
    doomed = [(f.storage, f.name) for f in field_files if f and f.name]
    if doomed:
        transaction.on_commit(lambda: [_delete_quietly(storage, name) for storage, name in doomed], using=using)


def _delete_quietly(storage, name):
    # A file that cannot be deleted now is only an orphan: the sweep retries later.
    try:
        storage.delete(name)
    except Exception:
        logger.exception("could not delete stored file %s", name)


# --- serving ------------------------------------------------------------------------------------


def can_sign_urls(storage):
    """Whether the storage hands out signed, expiring URLs (S3 with querystring auth)."""
    return bool(getattr(storage, "querystring_auth", False)) and hasattr(storage, "bucket")


def file_response(field_file, *, filename, content_type, as_attachment=True):
    """The stored file, for a request whose permission check has already passed: streamed from the
    storage, or with STORAGE_SIGNED_URLS (and a storage that can sign) a redirect to a signed link
    valid for STORAGE_SIGNED_URL_SECONDS that makes the bucket answer with the same headers."""
    storage = field_file.storage
    if settings.STORAGE_SIGNED_URLS and can_sign_urls(storage):
        url = storage.url(
            field_file.name,
            parameters={
                "ResponseContentDisposition": content_disposition_header(as_attachment, filename),
                "ResponseContentType": content_type,
                "ResponseCacheControl": "private, no-store",
            },
        )
        response = HttpResponseRedirect(url)
    else:
        try:
            handle = field_file.open("rb")
        except FileNotFoundError:
            # The row outlived its file (a restore without the media, a volume not mounted): the
            # person gets the not-found page, not a server error; the operators get the stored name.
            logger.error("stored file missing: %s", field_file.name)
            raise Http404("文件不存在") from None
        response = FileResponse(handle, as_attachment=as_attachment, filename=filename, content_type=content_type)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- the sweep ----------------------------------------------------------------------------------


def file_fields():
    """Every FileField (ImageField included) of every installed model, so new ones are swept too."""
    found = []
    for model in apps.get_models():
        if model._meta.proxy:
            continue
        found += [f for f in model._meta.local_fields if isinstance(f, models.FileField)]
    return found


def _place(storage):
    """Where a storage keeps its files: two storage objects on the same folder or bucket prefix
    are one place, and a file there may be referenced by the fields of either."""
    if hasattr(storage, "bucket"):
        return ("s3", storage.endpoint_url, storage.bucket_name, _key_prefix(storage))
    location = getattr(storage, "location", None)
    return ("path", str(Path(location).resolve())) if location is not None else ("object", id(storage))


def storages_in_use():
    """[(storage, fields that store in it)], one entry per distinct place."""
    groups = {}
    for f in file_fields():
        groups.setdefault(_place(f.storage), (f.storage, []))[1].append(f)
    return list(groups.values())


def stored_files(storage):
    """(name, last modified) of every file in the storage, folders walked recursively."""
    if hasattr(storage, "bucket"):
        # S3: one paginated listing of the prefix instead of a request per folder.
        prefix = _key_prefix(storage)
        for obj in storage.bucket.objects.filter(Prefix=prefix):
            if not obj.key.endswith("/"):
                yield obj.key[len(prefix):], obj.last_modified
        return
    folders = [""]
    while folders:
        folder = folders.pop()
        try:
            subfolders, files = storage.listdir(folder)
        except FileNotFoundError:  # nothing stored yet
            continue
        folders += [posixpath.join(folder, d) for d in subfolders]
        for f in files:
            name = posixpath.join(folder, f)
            yield name, storage.get_modified_time(name)


def _key_prefix(storage):
    """What S3Storage puts before a file's name in the bucket (its `location`, if any)."""
    location = storage.location.strip("/")
    return f"{location}/" if location else ""


def referenced_names(names, fields):
    """The subset of `names` that some row of `fields` points at, looked up in batches."""
    found = set()
    names = iter(names)
    while batch := list(islice(names, LOOKUP_BATCH)):
        for f in fields:
            found.update(
                f.model._base_manager.filter(**{f"{f.attname}__in": batch}).values_list(f.attname, flat=True)
            )
    return found


# Callables returning a folder no sweep may touch; an app registers its own in ready() (the seal keys).
PROTECTED = []


def protect(path_function):
    PROTECTED.append(path_function)


def protected_paths():
    """What must never lie inside a swept directory: what the apps protect, the SQLite files, the code."""
    paths = [*(f() for f in PROTECTED), Path(settings.BASE_DIR)]
    for db in settings.DATABASES.values():
        if db["ENGINE"].endswith("sqlite3") and db["NAME"] and str(db["NAME"]) != ":memory:":
            paths.append(Path(db["NAME"]))
    return paths


class UnsafeStorage(Exception):
    """The storage's folder holds something the sweep must never delete."""


def check_safe_to_sweep(storage):
    location = getattr(storage, "location", None)
    if hasattr(storage, "bucket") or location is None:
        return
    root = Path(location).resolve()
    for path in protected_paths():
        path = path.resolve()
        if path == root or root in path.parents:
            raise UnsafeStorage(f"存储目录 {root} 包含 {path}，为免误删拒绝清理；请把 MEDIA_ROOT 设为单独的目录。")


@dataclass
class SweepResult:
    checked: int = 0
    referenced: int = 0
    young: int = 0
    removed: list = field(default_factory=list)  # (name, last modified)


def sweep(*, older_than=timedelta(hours=24), dry_run=False, report=None):
    """Delete (unless dry_run) every stored file no FileField references that is older than
    `older_than`; younger ones may belong to an upload whose row has not committed yet."""
    result = SweepResult()
    cutoff = timezone.now() - older_than
    for storage, fields in storages_in_use():
        check_safe_to_sweep(storage)
        listing = list(stored_files(storage))
        result.checked += len(listing)
        old = {name: modified for name, modified in listing if modified < cutoff}
        result.young += len(listing) - len(old)
        referenced = referenced_names(old, fields)
        result.referenced += len(referenced)
        doomed = sorted(old.keys() - referenced)
        if not dry_run:
            delete_many(storage, doomed)
        for name in doomed:
            result.removed.append((name, old[name]))
            if report:
                report(name, old[name])
    return result


def delete_many(storage, names):
    """Delete files by name: on S3 up to 1,000 per request instead of one request each."""
    if not hasattr(storage, "bucket"):
        for name in names:
            storage.delete(name)
        return
    names = iter(names)
    while batch := list(islice(names, 1000)):
        keys = [{"Key": _key_prefix(storage) + name} for name in batch]
        answer = storage.bucket.delete_objects(Delete={"Objects": keys, "Quiet": True})
        if answer.get("Errors"):
            failed = ", ".join(f"{e['Key']} ({e['Code']})" for e in answer["Errors"][:10])
            raise OSError(f"存储桶拒绝删除 {len(answer['Errors'])} 个文件：{failed}")
