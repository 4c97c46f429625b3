"""Evidence on a real S3-compatible server (moto's, over HTTP on 127.0.0.1), configured through the
same environment variables as production: uploaded through the real view, private in the bucket,
served only by the permission-checked view (streamed, or a short-lived signed redirect), no object
left by a failed upload, and the sweep working on the bucket."""
import hashlib
import io
import urllib.parse
import urllib.request
import zipfile
from io import StringIO

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.urls import reverse

from hours import filings, services
from hours.models import Evidence, EvidenceCategory
from portal.settings.base import default_storage_from_env
from hours import transitions
from tests.hours.fixtures_views import *  # noqa: F401,F403
from tests.hours.fixtures_views import draft, pdf, pdf_bytes, png
from tests.hours.test_filings import filing_data
from tests.portal.storage_checks import moto_endpoint, s3  # noqa: F401 (fixtures)
from tests.portal.storage_checks import anonymous_get, failed_upload_leaves_no_file, missing_files, unreferenced_files

pytestmark = pytest.mark.django_db


def upload_through_the_view(client, user, declaration, data, name="学历证书.pdf"):
    client.force_login(user)
    response = client.post(
        reverse("hours:evidence_upload", args=[declaration.pk]),
        {"category": EvidenceCategory.EDUCATION, "files": [pdf(name, data)]},
    )
    assert response.status_code == 302, response.content.decode()[:500]
    return Evidence.objects.get(declaration=declaration, original_name=name)


def test_evidence_is_stored_privately_and_served_only_by_the_checked_view(client, p, s3):
    d = draft(p.song)
    data = pdf_bytes()
    evidence = upload_through_the_view(client, p.song, d, data)

    assert s3.keys() == {evidence.file.name}
    obj = s3.client.get_object(Bucket=s3.bucket, Key=evidence.file.name)
    assert obj["Body"].read() == data and evidence.sha256 == hashlib.sha256(data).hexdigest()
    assert obj["ServerSideEncryption"] == "AES256"
    grants = s3.client.get_object_acl(Bucket=s3.bucket, Key=evidence.file.name)["Grants"]
    assert [g["Permission"] for g in grants] == ["FULL_CONTROL"] and grants[0]["Grantee"]["Type"] == "CanonicalUser"
    assert anonymous_get(f"{s3.endpoint}/{s3.bucket}/{urllib.parse.quote(evidence.file.name)}") == 403

    response = client.get(reverse("hours:evidence_file", args=[evidence.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == data
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Cache-Control"] == "private, no-store"

    client.force_login(p.wang)  # an applicant of another unit
    assert client.get(reverse("hours:evidence_file", args=[evidence.pk])).status_code == 404

    client.force_login(p.song)
    page = client.get(reverse("hours:declaration_edit", args=[d.pk])).content.decode()
    assert reverse("hours:evidence_file", args=[evidence.pk]) in page
    assert s3.endpoint not in page and s3.bucket not in page and evidence.file.name not in page


def test_signed_url_is_issued_only_after_the_permission_check(client, p, s3, settings):
    settings.STORAGE_SIGNED_URLS = True
    d = draft(p.song)
    data = pdf_bytes()
    evidence = upload_through_the_view(client, p.song, d, data, name="学位证书.pdf")

    client.force_login(p.wang)
    refused = client.get(reverse("hours:evidence_file", args=[evidence.pk]))
    assert refused.status_code == 404 and "Location" not in refused

    client.force_login(p.song)
    response = client.get(reverse("hours:evidence_file", args=[evidence.pk]) + "?preview=1")
    assert response.status_code == 302
    location = response["Location"]
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(location).query)
    assert location.startswith(f"{s3.endpoint}/{s3.bucket}/{evidence.file.name}?")
    assert query["X-Amz-Expires"] == ["60"] and query["X-Amz-Signature"]
    assert query["response-content-disposition"][0].startswith("inline;")
    assert query["response-content-type"] == ["application/pdf"]
    with urllib.request.urlopen(location, timeout=10) as fetched:
        assert fetched.read() == data
        assert fetched.headers["Content-Type"] == "application/pdf"


def test_a_failed_upload_leaves_no_object_in_the_bucket(p, s3, monkeypatch):
    kept = failed_upload_leaves_no_file(p, monkeypatch)
    assert s3.keys() == {kept.file.name}


def test_sweep_on_the_bucket(p, s3):
    d = draft(p.song)
    kept = services.evidence_add(declaration=d, user=p.song, category=EvidenceCategory.EDUCATION, upload=png("学历.png"))
    for key in ("evidence/999/crash.png", "certificates/2026/lost.pdf", "jobs/2026/export.zip"):
        s3.client.put_object(Bucket=s3.bucket, Key=key, Body=b"left behind")

    def sweep(*args):
        out = StringIO()
        call_command("sweep_files", *args, stdout=out)
        return out.getvalue()

    assert "已删除 0 个" in sweep(), "just written: younger than a day"
    out = sweep("--older-than-hours", "0", "--dry-run")
    assert "将删除 evidence/999/crash.png" in out and "将删除 3 个" in out
    assert len(s3.keys()) == 4

    out = sweep("--older-than-hours", "0")
    assert "已删除 jobs/2026/export.zip" in out
    assert "共 4 个文件：1 个有记录引用，0 个不足 0 小时（保留），已删除 3 个未被引用的文件。" in out
    assert s3.keys() == {kept.file.name}
    assert missing_files() == [] and unreferenced_files() == []


def test_sweep_lists_only_its_prefix_when_a_location_is_set(p, s3, settings, monkeypatch):
    monkeypatch.setenv("AWS_LOCATION", "media")
    settings.STORAGES = {**settings.STORAGES, "default": default_storage_from_env()}
    d = draft(p.song)
    kept = services.evidence_add(declaration=d, user=p.song, category=EvidenceCategory.EDUCATION, upload=png("学历.png"))
    s3.client.put_object(Bucket=s3.bucket, Key="media/evidence/999/crash.png", Body=b"x")
    s3.client.put_object(Bucket=s3.bucket, Key="backups/db.dump", Body=b"not ours")
    call_command("sweep_files", "--older-than-hours", "0", stdout=StringIO())
    assert s3.keys() == {f"media/{kept.file.name}", "backups/db.dump"}
    assert default_storage.exists(kept.file.name)


def test_reviewers_read_evidence_and_filing_papers_from_the_bucket(client, p, s3):
    d = draft(p.song)
    data = pdf_bytes()
    services.evidence_add(declaration=d, user=p.song, category=EvidenceCategory.EDUCATION, upload=pdf("学位证书.pdf", data))
    year_with_training(d, p.song)
    d = transitions.declaration_submit(declaration=complete(d), user=p.song, pledge=True)
    client.force_login(p.chen)  # the unit's administrator, first to review
    response = client.get(reverse("review:case_zip", args=[d.pk]))
    assert response.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    contents = {info.filename: archive.read(info) for info in archive.infolist()}
    assert contents["学历信息/学位证书.pdf"] == data and len(contents) == d.evidence.count()

    notice = pdf_bytes()
    filing = filings.filing_create(user=p.chen, organisation=p.dzyjs, data=filing_data(), notice=pdf("通知.pdf", notice), schedule=pdf("课程表.pdf"))
    assert {filing.notice.name, filing.schedule.name} <= s3.keys()
    response = client.get(reverse("hours:filing_notice", args=[filing.pk]) + "?preview=1")
    assert response.status_code == 200 and b"".join(response.streaming_content) == notice
    assert response["Content-Type"] == "application/pdf" and response["Content-Disposition"].startswith("inline;")
    client.force_login(p.dzcl_admin)  # another unit's administrator
    assert client.get(reverse("hours:filing_notice", args=[filing.pk])).status_code == 404


# --- the settings -------------------------------------------------------------------------------


def test_filesystem_is_the_default(monkeypatch):
    monkeypatch.delenv("STORAGE_BACKEND", raising=False)
    assert default_storage_from_env() == {"BACKEND": "django.core.files.storage.FileSystemStorage"}


def test_s3_settings_are_private_and_never_overwrite(monkeypatch):
    monkeypatch.setenv("STORAGE_BACKEND", "s3")
    monkeypatch.setenv("AWS_STORAGE_BUCKET_NAME", "xueshi-media")
    monkeypatch.delenv("AWS_S3_SERVER_SIDE_ENCRYPTION", raising=False)
    options = default_storage_from_env()["OPTIONS"]
    assert options["default_acl"] == "private" and options["querystring_auth"] is True
    assert options["file_overwrite"] is False and options["custom_domain"] is None
    assert options["object_parameters"] == {}
    monkeypatch.setenv("AWS_S3_SERVER_SIDE_ENCRYPTION", "aws:kms")
    monkeypatch.setenv("AWS_S3_SSE_KMS_KEY_ID", "alias/xueshi")
    assert default_storage_from_env()["OPTIONS"]["object_parameters"] == {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": "alias/xueshi"}


@pytest.mark.parametrize(
    "environment, message",
    [({"STORAGE_BACKEND": "s3"}, "AWS_STORAGE_BUCKET_NAME"), ({"STORAGE_BACKEND": "ftp"}, "只能是 filesystem 或 s3")],
)
def test_bad_storage_settings_are_refused(monkeypatch, environment, message):
    monkeypatch.delenv("AWS_STORAGE_BUCKET_NAME", raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ImproperlyConfigured, match=message):
        default_storage_from_env()


def test_signed_urls_fall_back_to_streaming_on_the_filesystem(client, p, media, settings):
    settings.STORAGE_SIGNED_URLS = True
    d = draft(p.song)
    data = pdf_bytes()
    evidence = upload_through_the_view(client, p.song, d, data)
    response = client.get(reverse("hours:evidence_file", args=[evidence.pk]))
    assert response.status_code == 200 and b"".join(response.streaming_content) == data
    assert (media / evidence.file.name).read_bytes() == data
