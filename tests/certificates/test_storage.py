"""Certificate PDFs on storage: a failure in the middle of issuing (after the new PDF and row were
written, while superseding the old certificate) leaves the old certificate and its file as they
were and no new file behind; the sweep spares certificates and the seal keys; on an S3 bucket the
PDF is stored privately and served only by the permission-checked download view."""
import hashlib
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from certificates.models import Certificate, CertificateEvent, CertificateStatus, EventAction
from tests.portal.storage_checks import Interrupted, make_old, missing_files, moto_endpoint, s3, unreferenced_files  # noqa: F401
from tests.portal.storage_checks import stored as stored_files

from .conftest import FULL_YEAR, stored_bytes


def stored():
    """The certificates' files on storage (the declarations' evidence lies beside them)."""
    return {name for name in stored_files() if name.startswith("certificates/")}

pytestmark = pytest.mark.django_db


@pytest.fixture
def media(settings, tmp_path):
    """A media folder of the test's own: the session's is shared by every certificate test."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def test_failure_while_superseding_keeps_the_old_certificate_and_leaves_no_file(p, approve, issue, media, monkeypatch, signing_dir):
    approve(p.song, {2019: FULL_YEAR}, 2019, 2019)
    old, _ = issue(p.song, 2019, 2019)
    old_bytes = stored_bytes(old)
    approve(p.song, {2019: (("public", 1, 0),)}, 2019, 2019)  # the approved hours change: a new one is due

    real_create = CertificateEvent.objects.create
    written = []

    def create(**kwargs):
        event = real_create(**kwargs)
        if kwargs["action"] == EventAction.SUPERSEDE:  # the last step: new PDF and row already written
            written.extend(stored())
            raise Interrupted("连接中断")
        return event

    monkeypatch.setattr(CertificateEvent.objects, "create", create)
    with pytest.raises(Interrupted):
        issue(p.song, 2019, 2019)

    assert len(written) == 2, "the new PDF was on storage when the transaction failed"
    assert list(Certificate.objects.values_list("number", "status")) == [(old.number, CertificateStatus.CURRENT)]
    assert stored() == {old.pdf.name} and stored_bytes(Certificate.objects.get()) == old_bytes
    assert missing_files() == [] and unreferenced_files() == []

    keys = sorted(path.name for path in signing_dir.rglob("*"))
    make_old(old.pdf.name, hours=24 * 30)
    call_command("sweep_files", "--older-than-hours", "0", stdout=StringIO())
    assert stored() == {old.pdf.name}
    assert sorted(path.name for path in signing_dir.rglob("*")) == keys and keys


def test_certificate_on_s3_is_private_and_downloaded_only_by_whom_may(client, p, approve, issue, s3):
    approve(p.song, {2019: FULL_YEAR}, 2019, 2019)
    certificate, _ = issue(p.song, 2019, 2019)
    url = reverse("certificates:download", args=[certificate.number])
    assert {k for k in s3.keys() if k.startswith("certificates/")} == {certificate.pdf.name} and certificate.pdf.name.startswith("certificates/")
    body = s3.client.get_object(Bucket=s3.bucket, Key=certificate.pdf.name)["Body"].read()
    grants = s3.client.get_object_acl(Bucket=s3.bucket, Key=certificate.pdf.name)["Grants"]
    assert [g["Permission"] for g in grants] == ["FULL_CONTROL"]

    client.force_login(p.song)
    download = client.get(url)
    assert download.status_code == 200 and b"".join(download.streaming_content) == body
    assert certificate.sha256 == hashlib.sha256(body).hexdigest()

    client.force_login(p.wang)  # another unit's applicant
    assert client.get(url).status_code == 404

    call_command("sweep_files", "--older-than-hours", "0", stdout=StringIO())
    assert {k for k in s3.keys() if k.startswith("certificates/")} == {certificate.pdf.name}
