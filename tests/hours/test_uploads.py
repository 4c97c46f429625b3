"""Evidence uploads: check_upload (hours/uploads.py) judges a file by its content, and evidence_add
(hours/services.py) stores it under a server-made name, leaving no orphan file when the database
part fails. The sample files in files/ are real (see files/make_samples.py); the big file and
the zip bombs are made here, at test time."""
import hashlib
import io
import re
import zipfile
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.core.files.uploadedfile import SimpleUploadedFile

from hours import services
from hours.models import Evidence, EvidenceCategory
from hours.uploads import DOCX_MAX_ENTRIES, MAX_BYTES, check_upload
from hours.transitions import declaration_submit
from tests.hours.fixtures_views import complete, media  # noqa: F401 (fixture)

FILES = Path(__file__).resolve().parent / "files"
DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PROFILE = {"gender": "男", "ethnicity": "土家族", "phone": "18899098765", "education": "硕士研究生",
           "title_sought": "高级工程师", "category": "工程技术", "specialty": "地质勘查"}


def sample(name):
    return (FILES / name).read_bytes()


def upload_of(content, name, content_type="application/octet-stream"):
    """What Django hands a view for an uploaded file; the browser's content type is not trusted."""
    return SimpleUploadedFile(name, content, content_type=content_type)


def refusal(upload):
    with pytest.raises(ValidationError) as caught:
        check_upload(upload)
    return caught.value.code, caught.value.messages[0]


def docx_with(extra_entries=(), *, first=None, stored_big=0):
    """The sample .docx with entries appended (and optionally a different first entry, as some
    tools order the parts); `stored_big` MB of zeros, deflated, for the honest zip bomb."""
    out = io.BytesIO()
    source = zipfile.ZipFile(io.BytesIO(sample("report.docx")))
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        if first:
            archive.writestr(first, b"<x/>")
        for info in source.infolist():
            archive.writestr(info, source.read(info))
        for name in extra_entries:
            archive.writestr(name, b"<x/>")
        if stored_big:
            with archive.open("word/media/image1.bin", "w", force_zip64=True) as target:
                chunk = bytes(1 << 20)
                for _ in range(stored_big):
                    target.write(chunk)
    return out.getvalue()


# --- check_upload ---------------------------------------------------------------------------------------


ACCEPTED = [
    ("photo.jpg", "结业证书.jpg", ".jpg", "image/jpeg"),
    ("photo.jpg", "SCAN.JPEG", ".jpg", "image/jpeg"),
    ("scan.png", "签到表.png", ".png", "image/png"),
    ("certificate.pdf", "培训通知.pdf", ".pdf", "application/pdf"),
    ("report.doc", "学时证明.doc", ".doc", "application/msword"),
    ("report.docx", "学时证明.DOCX", ".docx", DOCX_MIME),
]


@pytest.mark.parametrize("sample_name, name, extension, content_type", ACCEPTED)
def test_allowed_types_are_accepted(sample_name, name, extension, content_type):
    content = sample(sample_name)
    checked = check_upload(upload_of(content, name))
    assert (checked.extension, checked.content_type, checked.size, checked.original_name) == (
        extension, content_type, len(content), name,
    )
    assert checked.sha256 == hashlib.sha256(content).hexdigest()


def test_a_docx_whose_first_part_is_not_the_content_types_is_still_a_docx():
    """filetype calls it a plain zip; the package's own parts decide."""
    content = docx_with(first="customXml/item1.xml")
    assert check_upload(upload_of(content, "报告.docx")).extension == ".docx"


def test_a_renamed_program_is_refused():
    code, message = refusal(upload_of(sample("evil.pdf"), "evil.pdf", content_type="application/pdf"))
    assert code == "bad_type"
    assert message == "文件“evil.pdf”的内容不是允许的格式。只能上传jpg、jpeg、png、doc、docx、pdf文件，且不超过20M。"


@pytest.mark.parametrize("content", [b"just some text\n" * 10, b"PK\x03\x04" + bytes(100), b"GIF89a" + bytes(50)])
def test_other_content_is_refused(content):
    assert refusal(upload_of(content, "材料.pdf"))[0] == "bad_type"


def test_a_plain_zip_named_docx_is_refused():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("readme.txt", "not a document")
    assert refusal(upload_of(out.getvalue(), "材料.docx"))[0] == "bad_type"


@pytest.mark.parametrize(
    "sample_name, name, detected",
    [
        ("scan.png", "照片.jpg", "png"),
        ("photo.jpg", "照片.png", "jpg"),
        ("certificate.pdf", "证明.docx", "pdf"),
        ("report.docx", "证明.doc", "docx"),
        ("report.doc", "证明.docx", "doc"),
        ("certificate.pdf", "证明", "pdf"),
        ("certificate.pdf", "证明.pdf.exe", "pdf"),
    ],
)
def test_extension_must_match_the_content(sample_name, name, detected):
    code, message = refusal(upload_of(sample(sample_name), name))
    assert code == "name_mismatch"
    assert message == f"文件“{name}”的扩展名与内容不符（内容为{detected}格式），请确认后重新上传。"


def test_an_empty_file_is_refused():
    code, message = refusal(upload_of(sample("empty.pdf"), "empty.pdf"))
    assert (code, message) == ("empty", "文件“empty.pdf”是空文件，请重新选择。")


def test_twenty_megabytes_is_the_limit(tmp_path):
    big = tmp_path / "big.pdf"
    content = sample("certificate.pdf")
    tail = content[content.rindex(b"startxref"):]  # the end a reader looks for, pointing at the same table
    with big.open("wb") as out:
        out.write(content)
        out.truncate(MAX_BYTES - len(tail))
        out.seek(0, 2)
        out.write(tail)
    with big.open("rb") as handle:
        assert check_upload(File(handle, name="扫描件.pdf")).size == MAX_BYTES
    with big.open("ab") as out:
        out.write(b"\n")
    with big.open("rb") as handle:
        with pytest.raises(ValidationError) as caught:
            check_upload(File(handle, name="扫描件.pdf"))
    assert caught.value.code == "too_big" and "超过20M" in caught.value.messages[0]


def test_a_docx_with_too_many_entries_is_refused():
    content = docx_with([f"word/media/part{i}.xml" for i in range(DOCX_MAX_ENTRIES)])
    assert len(zipfile.ZipFile(io.BytesIO(content)).infolist()) > DOCX_MAX_ENTRIES
    code, message = refusal(upload_of(content, "论文.docx"))
    assert code == "zip_bomb" and "解压后过大" in message


def test_a_docx_that_unpacks_to_hundreds_of_megabytes_is_refused():
    content = docx_with(stored_big=201)
    assert len(content) < 2 * 1024 * 1024, "small on the wire"
    code, _ = refusal(upload_of(content, "论文.docx"))
    assert code == "zip_bomb"
    # The same bomb behind a leading part that filetype does not know takes the other path.
    code, _ = refusal(upload_of(docx_with([f"word/p{i}.xml" for i in range(DOCX_MAX_ENTRIES)], first="customXml/a.xml"), "论文.docx"))
    assert code == "zip_bomb"


def test_a_truncated_docx_is_refused_not_crashed():
    """The first local headers say docx, but the central directory is gone."""
    content = sample("report.docx")
    code, message = refusal(upload_of(content[: len(content) * 2 // 3], "论文.docx"))
    assert code == "corrupt" and "已损坏" in message


@pytest.mark.parametrize(
    "name, kept",
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("..\\..\\windows\\system32\\证明.pdf", "证明.pdf"),
        ("C:\\fakepath\\结业证书.pdf", "结业证书.pdf"),
        ("/var/www/media/evidence/1/x.pdf", "x.pdf"),
        ("证明\x00\x1b.pdf", "证明.pdf"),
    ],
)
def test_folder_parts_of_the_name_are_dropped(name, kept):
    assert check_upload(upload_of(sample("certificate.pdf"), name)).original_name == kept


# --- evidence_add / evidence_delete -----------------------------------------------------------------------


@pytest.fixture
def song(demo):
    return demo.account("applicant")


@pytest.fixture
def declaration(song):
    return services.declaration_create(
        user=song, applicant=song, data={**PROFILE, "name": song.name}, start_year=2019, end_year=2023
    )


def files_under(root):
    return sorted(p for p in Path(root).rglob("*") if p.is_file())


@pytest.mark.parametrize("sample_name, name, extension, content_type", ACCEPTED)
def test_evidence_is_stored_under_a_server_made_name(media, song, declaration, sample_name, name, extension, content_type):
    content = sample(sample_name)
    evidence = services.evidence_add(
        declaration=declaration, user=song, category=EvidenceCategory.EDUCATION, upload=upload_of(content, name),
    )
    row = Evidence.objects.get(pk=evidence.pk)
    assert re.fullmatch(rf"evidence/{declaration.pk}/[0-9a-f]{{32}}\{extension}", row.file.name)
    assert Path(name).stem not in row.file.name
    stored = Path(media) / row.file.name
    assert files_under(media) == [stored]
    assert stored.read_bytes() == content
    assert (row.original_name, row.extension, row.content_type, row.size) == (name, extension, content_type, len(content))
    assert row.sha256 == hashlib.sha256(content).hexdigest()
    assert (row.uploaded_by, row.declaration_id, row.category) == (song, declaration.pk, EvidenceCategory.EDUCATION)


def test_evidence_of_an_item_records_its_year(media, song, declaration):
    record = services.year_record_add(declaration=declaration, user=song, year=2021)
    item = services.item_add(year_record=record, user=song, activity="training", facts={"subject": "public", "days": 1, "half_days": 0})
    evidence = services.evidence_add(
        declaration=declaration, user=song, category=EvidenceCategory.ITEM, upload=upload_of(sample("scan.png"), "签到表.png"),
        item=item, material="sign_in_sheet",
    )
    assert (evidence.item, evidence.year, evidence.material) == (item, 2021, "sign_in_sheet")


def test_a_traversal_name_is_stored_inside_the_declarations_folder(media, song, declaration, tmp_path):
    evidence = services.evidence_add(
        declaration=declaration, user=song, category=EvidenceCategory.DECLARATION,
        upload=upload_of(sample("certificate.pdf"), "../../etc/passwd.pdf"),
    )
    assert evidence.original_name == "passwd.pdf"
    assert Path(evidence.file.path).parent == Path(media) / "evidence" / str(declaration.pk)
    assert files_under(tmp_path) == [Path(evidence.file.path)], "nothing was written outside the media folder"


def test_refused_content_writes_nothing(media, song, declaration):
    for content, name in ((sample("evil.pdf"), "evil.pdf"), (b"", "empty.pdf"), (sample("scan.png"), "x.pdf")):
        with pytest.raises(ValidationError):
            services.evidence_add(declaration=declaration, user=song, category=EvidenceCategory.HOURS, upload=upload_of(content, name))
    assert files_under(media) == [] and not Evidence.objects.exists()


def test_no_orphan_file_when_the_declaration_was_submitted_meanwhile(media, song, declaration):
    record = services.year_record_add(declaration=declaration, user=song, year=2019)
    services.item_add(year_record=record, user=song, activity="training", facts={"subject": "public", "days": 2, "half_days": 0})
    stale = type(declaration).objects.get(pk=declaration.pk)  # the page the applicant still has open
    declaration_submit(declaration=complete(declaration), user=song, pledge=True)
    submitted_with = (files_under(media), list(Evidence.objects.values_list("pk", flat=True)))
    with pytest.raises(ValidationError) as caught:
        services.evidence_add(declaration=stale, user=song, category=EvidenceCategory.HOURS, upload=upload_of(sample("certificate.pdf"), "a.pdf"))
    assert "提交后不能修改" in caught.value.messages[0]
    assert (files_under(media), list(Evidence.objects.values_list("pk", flat=True))) == submitted_with


def test_no_orphan_file_when_the_user_may_not_add(media, song, declaration, demo):
    other = demo.user("430121198511291051")  # 赵金强
    with pytest.raises(PermissionDenied):
        services.evidence_add(declaration=declaration, user=other, category=EvidenceCategory.HOURS, upload=upload_of(sample("scan.png"), "a.png"))
    # Nor may an item of another declaration be attached to this one.
    own = services.declaration_create(user=other, applicant=other, data={**PROFILE, "name": other.name}, start_year=2019, end_year=2020)
    record = services.year_record_add(declaration=own, user=other, year=2019)
    item = services.item_add(year_record=record, user=other, activity="paper", facts={"author_rank": 1, "title": "湘中找矿模型"})
    with pytest.raises(PermissionDenied):
        services.evidence_add(declaration=declaration, user=song, category=EvidenceCategory.ITEM, upload=upload_of(sample("scan.png"), "a.png"), item=item)
    assert files_under(media) == [] and not Evidence.objects.exists()


def test_evidence_delete_removes_the_file_after_commit(media, song, declaration, django_capture_on_commit_callbacks):
    evidence = services.evidence_add(
        declaration=declaration, user=song, category=EvidenceCategory.HOURS, upload=upload_of(sample("report.doc"), "证明.doc"),
    )
    path = Path(evidence.file.path)
    with django_capture_on_commit_callbacks(execute=True):
        services.evidence_delete(evidence=evidence, user=song)
        assert path.exists()
    assert not path.exists() and not Evidence.objects.exists()


def test_samples_are_what_make_samples_writes():
    """The committed samples match their generator, so a reader can see how each was built
    (images and the deflated .docx are left out: their bytes depend on the Pillow and zlib builds)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_samples", FILES / "make_samples.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for name in ("certificate.pdf", "report.doc", "evil.pdf", "empty.pdf"):
        assert module.SAMPLES[name]() == sample(name), name
