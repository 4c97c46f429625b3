"""What every storage test checks after a write, a failure or a sweep: no row points at a missing
file, and (once swept) no stored file is left that no row points at. Both look at every FileField
of every model (core.storage.file_fields) and list the storage through its API, so they work on
the filesystem and on S3 alike. Also the fixtures for a real S3-compatible server (moto's)."""
import os
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from types import SimpleNamespace

import boto3
import pytest
from django.core.files.storage import default_storage
from django.db import models
from moto.server import ThreadedMotoServer

from core.storage import file_fields, stored_files
from hours import services
from hours.models import Evidence, EvidenceCategory
from portal.settings.base import default_storage_from_env
from tests.hours.fixtures_views import draft, pdf, png


def referenced():
    names = set()
    for f in file_fields():
        names.update(f.model._base_manager.exclude(**{f.attname: ""}).values_list(f.attname, flat=True))
    return names


def stored(storage=default_storage):
    return {name for name, _ in stored_files(storage)}


def missing_files():
    """Names some row references that the storage does not hold."""
    return sorted(name for name in referenced() if not default_storage.exists(name))


def unreferenced_files():
    """Files the storage holds that no row references."""
    return sorted(stored() - referenced())


class Interrupted(Exception):
    """The forced failure: raised in the middle of the service's transaction."""


def fail_after_real_save(monkeypatch, model):
    """Make `model.save()` write its row for real and then fail, recording what the storage held
    at that moment (so each test knows the file had been written before the rollback)."""
    real_save = model.save
    seen = []

    def save(self, *args, **kwargs):
        real_save(self, *args, **kwargs)
        seen.append({f.name: default_storage.exists(getattr(self, f.name).name) for f in self._meta.fields if isinstance(f, models.FileField)})
        raise Interrupted("连接中断")

    monkeypatch.setattr(model, "save", save)
    return seen


def failed_upload_leaves_no_file(p, monkeypatch):
    """An evidence upload that fails after its row and file are written, on whichever storage is
    configured: the file is deleted again with the row. Returns the evidence kept from before."""
    d = draft(p.song)
    kept = services.evidence_add(declaration=d, user=p.song, category=EvidenceCategory.EDUCATION, upload=pdf("学历证书.pdf"))
    seen = fail_after_real_save(monkeypatch, Evidence)
    with pytest.raises(Interrupted):
        services.evidence_add(declaration=d, user=p.song, category=EvidenceCategory.HOURS, upload=png("学时证明.png"), year=2023)
    assert seen == [{"file": True}], "the file was on storage when the transaction failed"
    assert list(Evidence.objects.values_list("pk", flat=True)) == [kept.pk]
    assert missing_files() == [] and unreferenced_files() == []
    assert stored() == {kept.file.name}
    return kept


def make_old(name, *, hours):
    """Back-date a file on the filesystem storage, as if it had been written `hours` ago."""
    then = time.time() - hours * 3600
    os.utime(Path(default_storage.path(name)), (then, then))


# --- a real S3-compatible server ----------------------------------------------------------------


@pytest.fixture(scope="session")
def moto_endpoint():
    """moto's S3 server on a free local port, for the whole session."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3(moto_endpoint, settings, monkeypatch):
    """STORAGES["default"] on a new bucket of the moto server, configured the way production is:
    the environment variables README lists, read by the settings' own default_storage_from_env()."""
    bucket = f"xueshi-test-{uuid.uuid4().hex[:12]}"
    environment = {
        "STORAGE_BACKEND": "s3", "AWS_STORAGE_BUCKET_NAME": bucket, "AWS_S3_ENDPOINT_URL": moto_endpoint,
        "AWS_S3_REGION_NAME": "us-east-1", "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_S3_SERVER_SIDE_ENCRYPTION": "AES256",
    }
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    client = boto3.client(
        "s3", endpoint_url=moto_endpoint, region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing"
    )
    client.create_bucket(Bucket=bucket)
    settings.STORAGES = {**settings.STORAGES, "default": default_storage_from_env()}
    yield SimpleNamespace(client=client, bucket=bucket, endpoint=moto_endpoint, keys=lambda: _keys(client, bucket))


def _keys(client, bucket):
    return {obj["Key"] for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket) for obj in page.get("Contents", ())}


def anonymous_get(url):
    """Status of a GET without credentials (urllib: no AWS signing)."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
