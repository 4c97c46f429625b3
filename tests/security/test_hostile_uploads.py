"""Hostile uploads through the real views (evidence, item evidence, training filings, the
verification page): files that lie about their type, exceed 20 MB, are empty, are zip bombs
dressed as .docx, or carry path-traversal names. Refused ones leave no row and no file; accepted
ones are stored under server-made names and come back as attachments that are not sniffed.
tests/hours/test_uploads.py checks check_upload() and evidence_add() themselves."""
import re
from pathlib import Path
from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from hours.models import Evidence, TrainingFiling
from hours.uploads import DOCX_MAX_ENTRIES, MAX_BYTES
from tests.helpers import text_of
from tests.hours.fixtures_views import messages_of, pdf_bytes, png_bytes
from tests.hours.test_uploads import docx_with, sample
from tests.hours.test_filing_views import form_data as filing_form

pytestmark = pytest.mark.django_db

TOO_BIG = "超过20M"
BAD_TYPE = "的内容不是允许的格式"
MISMATCH = "的扩展名与内容不符"
EMPTY = "空文件"  # Django's own form error (所提交的是空文件) catches it first
BOMB = "解压后过大或结构异常"


def hostile():
    """(label, file name, content, what the refusal says)."""
    return [
        ("png-named-pdf", "结业证书.pdf", png_bytes(), MISMATCH),
        ("exe-named-pdf", "培训通知.pdf", sample("evil.pdf"), BAD_TYPE),
        ("html-named-png", "照片.png", b"<html><script>alert(1)</script></html>", BAD_TYPE),
        ("over-20mb", "扫描件.pdf", pdf_bytes() + b"\0" * (MAX_BYTES + 1), TOO_BIG),
        ("empty", "空.pdf", b"", EMPTY),
        ("zip-bomb-entries", "学时证明.docx", docx_with([f"word/x{i}.xml" for i in range(DOCX_MAX_ENTRIES)]), BOMB),
        ("zip-bomb-size", "学时证明.docx", docx_with(stored_big=201), BOMB),
    ]


HOSTILE = hostile()
TRAVERSAL_NAMES = [
    ("../../etc/passwd.pdf", "passwd.pdf"),
    ("..\\..\\x.pdf", "x.pdf"),
    ("/etc/cron.d/evil.pdf", "evil.pdf"),
    ("C:\\Windows\\System32\\证明.pdf", "证明.pdf"),
    ("证明\x00.exe.pdf", "证明.exe.pdf"),
    # Django's multipart parser takes the last quoted name of the part's header: no parameter smuggled in.
    ('a"; filename="evil.html.pdf', "evil.html.pdf"),
]


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def stored_files(media):
    return sorted(p for p in Path(media).rglob("*") if p.is_file())


def upload(name, content):
    return SimpleUploadedFile(name, content, content_type="application/pdf")  # what the browser claims is not trusted


@pytest.mark.parametrize("label, name, content, reason", HOSTILE, ids=[h[0] for h in HOSTILE])
def test_evidence_upload_refuses_and_stores_nothing(client, world, media, label, name, content, reason):
    client.force_login(world.users["applicant"])
    before = Evidence.objects.count()
    response = client.post(
        reverse("hours:evidence_upload", args=[world.draft.pk]), {"category": "education", "files": [upload(name, content)]},
        follow=True,
    )
    assert response.status_code in (200, 400)  # a refusal of the service, or of the form itself
    assert reason in text_of(response)
    assert Evidence.objects.count() == before
    assert stored_files(media) == []


@pytest.mark.parametrize("label, name, content, reason", HOSTILE[:3], ids=[h[0] for h in HOSTILE[:3]])
def test_item_evidence_upload_refuses_too(client, world, media, label, name, content, reason):
    client.force_login(world.users["applicant"])
    before = Evidence.objects.count()
    response = client.post(
        reverse("hours:item_evidence_upload", args=[world.draft.pk, world.draft_item.pk]),
        {"material": "completion_certificate", "files": [upload(name, content)]}, follow=True,
    )
    assert any(reason in m for m in messages_of(response)), messages_of(response)
    assert Evidence.objects.count() == before and stored_files(media) == []


@pytest.mark.parametrize("label, name, content, reason", HOSTILE, ids=[h[0] for h in HOSTILE])
def test_a_filing_with_a_hostile_notice_is_refused_and_stores_nothing(client, world, media, label, name, content, reason):
    client.force_login(world.users["unit_admin"])
    before = TrainingFiling.objects.count()
    response = client.post(reverse("hours:filing_new"), filing_form(notice=upload(name, content)))
    assert response.status_code == 400
    assert reason in response.content.decode()
    assert TrainingFiling.objects.count() == before and stored_files(media) == []


@pytest.mark.parametrize("name, kept", TRAVERSAL_NAMES)
def test_a_path_in_the_name_never_reaches_the_disk_and_the_download_is_a_safe_attachment(client, world, media, name, kept):
    client.force_login(world.users["applicant"])
    content = pdf_bytes()
    client.post(reverse("hours:evidence_upload", args=[world.draft.pk]), {"category": "education", "files": [upload(name, content)]})
    evidence = Evidence.objects.get(declaration=world.draft, original_name=kept)
    # The stored name is made by the server: the declaration's folder, 32 hex digits, the detected extension.
    assert re.fullmatch(rf"evidence/{world.draft.pk}/[0-9a-f]{{32}}\.pdf", evidence.file.name)
    assert stored_files(media) == [Path(media) / evidence.file.name]

    for preview in (False, True):
        response = client.get(reverse("hours:evidence_file", args=[evidence.pk]), {"preview": "1"} if preview else {})
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert response["X-Content-Type-Options"] == "nosniff"
        disposition = response["Content-Disposition"]
        assert disposition.startswith("inline;" if preview else "attachment;")
        # One header line, one file name, nothing a browser could read as a path or a second parameter.
        assert "\n" not in disposition and "\r" not in disposition and "/" not in disposition.split(";", 1)[1]
        assert disposition.count("filename") == 1 or disposition.count("filename*=") == 1
        assert quote(kept) in disposition or kept.replace('"', '\\"') in disposition
        assert b"".join(response.streaming_content) == content


def test_a_word_file_is_never_shown_inline(client, world, media):
    """Only images and PDFs may be previewed; anything else downloads, whatever the link asks."""
    client.force_login(world.users["applicant"])
    client.post(
        reverse("hours:evidence_upload", args=[world.draft.pk]), {"category": "education", "files": [upload("报告.docx", sample("report.docx"))]}
    )
    evidence = Evidence.objects.get(declaration=world.draft, original_name="报告.docx")
    response = client.get(reverse("hours:evidence_file", args=[evidence.pk]), {"preview": "1"})
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_filing_files_are_stored_under_server_made_names_and_served_as_attachments(client, world, media):
    client.force_login(world.users["unit_admin"])
    response = client.post(
        reverse("hours:filing_new"),
        filing_form(name='专题\r\n培训"; filename="x.html', notice=upload("../../通知.pdf", pdf_bytes()), schedule=upload("C:\\课程表.pdf", pdf_bytes())),
    )
    assert response.status_code == 302
    filing = TrainingFiling.objects.latest("pk")
    for field in (filing.notice, filing.schedule):
        assert re.fullmatch(rf"filings/{filing.organisation_id}/[0-9a-f]{{32}}\.pdf", field.name)
    assert len(stored_files(media)) == 2
    download = client.get(reverse("hours:filing_notice", args=[filing.pk]))
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert download["X-Content-Type-Options"] == "nosniff"
    disposition = download["Content-Disposition"]
    assert disposition.startswith("attachment;") and "\n" not in disposition and "\r" not in disposition


@pytest.mark.parametrize(
    "content, message",
    [(png_bytes(), "只能上传 PDF 文件。"), (b"", "文件是空的。"), (b"%PDF-1.4\n" + b"\0" * (5 * 1024 * 1024 + 1), "文件超过5M")],
    ids=["png", "empty", "over-5mb"],
)
def test_the_public_verification_upload_refuses_what_is_not_a_certificate(client, world, content, message):
    response = client.post(reverse("verify:certificate", args=[world.certificate.number]), {"file": upload("认定单.pdf", content)})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert "比对结果" not in response.content.decode()
