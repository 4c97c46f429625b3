"""Evidence uploads: check_upload (hours/uploads.py) judges a file by its content, and evidence_add
(hours/services.py) stores it under a server-made name, leaving no orphan file when the database
part fails. The sample files in files/ are real (see files/make_samples.py); the big file and
the zip bombs are made here, at test time."""
import hashlib
import io
import re
import struct
import zipfile
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.core.files.uploadedfile import SimpleUploadedFile, TemporaryUploadedFile

from hours import services, uploads
from hours.models import Evidence, EvidenceCategory
from hours.uploads import DOCX_MAX_ENTRIES, MAX_BYTES, check_upload
from hours.transitions import declaration_submit
from tests.hours.files import make_samples
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
    assert refusal(upload_of(content[: len(content) * 2 // 3], "论文.docx")) == (
        "corrupt", "文件“论文.docx”已损坏或不完整，无法作为Word文档打开，请重新保存或导出后再上传。")


# --- each limit at its edge: a file exactly at a limit is taken, one step over it refused ----------------


def progressive_jpeg_with_a_scan_marker_at(offset):
    """A progressive JPEG (10 scans) behind a comment segment sized so that its first scan's marker
    (FF DA) starts at `offset`, near the end of the first chunk Django reads (64 KB); the other nine
    scans are in the second and last chunk."""
    content = make_samples.progressive_jpeg()
    first_scan = content.index(b"\xff\xda")
    payload = offset - (first_scan + 4)
    comment = b"\xff\xfe" + struct.pack(">H", payload + 2) + b"A" * payload
    made = content[:2] + comment + content[2:]
    assert made.index(b"\xff\xda") == offset and len(made) < 2 * 65536
    return made


def on_disk(content, name):
    """An upload as Django hands over one larger than FILE_UPLOAD_MAX_MEMORY_SIZE: read in 64 KB
    chunks (one held in memory comes as a single chunk)."""
    upload = TemporaryUploadedFile(name, "application/octet-stream", len(content), None)
    upload.write(content)
    upload.seek(0)
    return upload


@pytest.mark.parametrize("offset", [65534, 65535], ids=["ending-the-first-chunk", "split-between-chunks"])
def test_the_scan_limit_counts_each_scan_once_whichever_chunk_it_is_read_in(monkeypatch, offset):
    content = progressive_jpeg_with_a_scan_marker_at(offset)
    assert content.count(b"\xff\xda") == 10
    monkeypatch.setattr(uploads, "JPEG_MAX_SCANS", 10)
    with on_disk(content, "照片.jpg") as upload:
        assert len(list(upload.chunks())) == 2
        assert check_upload(upload).extension == ".jpg"
    monkeypatch.setattr(uploads, "JPEG_MAX_SCANS", 9)
    with on_disk(content, "照片.jpg") as upload:
        assert refusal(upload) == ("corrupt", "文件“照片.jpg”的图片结构异常（扫描段过多），已拒绝。")


def test_a_docx_exactly_at_the_unpacked_limits_is_taken(monkeypatch):
    content = sample("report.docx")
    archive = zipfile.ZipFile(io.BytesIO(content))
    unpacked = sum(info.file_size for info in archive.infolist())
    document = archive.getinfo("word/document.xml").file_size
    over = ("zip_bomb", "文件“论文.docx”解压后过大或结构异常，已拒绝。")
    monkeypatch.setattr(uploads, "DOCX_MAX_UNPACKED", unpacked)
    monkeypatch.setattr(uploads, "DOCX_MAX_DOCUMENT_XML", document)
    assert check_upload(upload_of(content, "论文.docx")).extension == ".docx"
    monkeypatch.setattr(uploads, "DOCX_MAX_DOCUMENT_XML", document - 1)
    assert refusal(upload_of(content, "论文.docx")) == over
    monkeypatch.setattr(uploads, "DOCX_MAX_DOCUMENT_XML", document)
    monkeypatch.setattr(uploads, "DOCX_MAX_UNPACKED", unpacked - 1)
    assert refusal(upload_of(content, "论文.docx")) == over


def test_the_page_tree_walk_visits_as_many_nodes_as_its_limit(monkeypatch):
    """Catalog → 页面树 → 分卷 → 页面: the walk reaches the page through two numbered nodes (the tree's
    root, read from the catalog, is not counted)."""
    content = make_samples.pdf_of(
        b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Pages /Parent 2 0 R /Kids [4 0 R] /Count 1 >>", b"<< /Type /Page /Parent 3 0 R /MediaBox [0 0 10 10] >>",
    )
    monkeypatch.setattr(uploads, "PDF_MAX_TREE_NODES", 2)
    assert check_upload(upload_of(content, "名册.pdf")).extension == ".pdf"
    monkeypatch.setattr(uploads, "PDF_MAX_TREE_NODES", 1)
    assert refusal(upload_of(content, "名册.pdf")) == ("no_pages", "文件“名册.pdf”中没有任何页面，请重新导出PDF后再上传。")


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


def test_a_name_over_200_characters_is_shortened_before_its_extension():
    """A pasted title as the name (Windows allows 255): the file is taken, its name shortened."""
    name = "关于2024年度专业技术人员继续教育学时认定的证明材料" * 8 + ".PDF"
    assert len(name) == 220
    checked = check_upload(upload_of(sample("certificate.pdf"), name))
    assert checked.original_name == name[:196] + ".PDF" and len(checked.original_name) == 200
    dotted = "第1.2版" + "证明材料" * 60 + ".pdf"  # a dot in the title too: the extension is after the last
    assert check_upload(upload_of(sample("certificate.pdf"), dotted)).original_name == dotted[:196] + ".pdf"
    # What follows the last dot of a name this long is no extension: the name is simply cut.
    no_extension = "证明材料" * 60 + ".不是扩展名而是标题的一部分内容"
    assert refusal(upload_of(sample("certificate.pdf"), no_extension)) == (
        "name_mismatch", f"文件“{no_extension[:200]}”的扩展名与内容不符（内容为pdf格式），请确认后重新上传。")
    # Ten characters after the dot are still taken for an extension; eleven are not.
    ten, eleven = "证明材料" * 60 + ".abcdefghij", "证明材料" * 60 + ".abcdefghijk"
    assert refusal(upload_of(sample("certificate.pdf"), ten))[1].startswith(f"文件“{ten[:189]}.abcdefghij”")
    assert refusal(upload_of(sample("certificate.pdf"), eleven))[1].startswith(f"文件“{eleven[:200]}”")


def test_a_name_without_an_extension_is_refused_by_its_name():
    message = "文件“{}”的扩展名与内容不符（内容为pdf格式），请确认后重新上传。"
    assert refusal(upload_of(sample("certificate.pdf"), "pdf")) == ("name_mismatch", message.format("pdf"))  # only the word
    # A file made in code rather than uploaded may have no name at all.
    assert refusal(File(io.BytesIO(sample("certificate.pdf")))) == ("name_mismatch", message.format("未命名文件"))


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


# --- what each parser tells the user, exactly ----------------------------------------------------------


def word_file(*, stream="WordDocument", magic=None, encrypted=False, directory_sector=None):
    """The sample Word 97-2003 file (make_samples.doc), its only stream renamed, its FIB magic or
    fEncrypted bit changed, or its directory sent past the end of the file (a broken compound file)."""
    content = bytearray(make_samples.doc(stream=stream))
    fib = 512  # the stream starts at sector 0, right after the 512-byte header
    if magic is not None:
        struct.pack_into("<H", content, fib, magic)
    if encrypted:
        struct.pack_into("<H", content, fib + 10, 0x0100)
    if directory_sector is not None:
        struct.pack_into("<I", content, 48, directory_sector)  # the header's first directory sector
    return bytes(content)


PASSWORD_DOC = "文件“学时证明.doc”设置了打开密码，审核人员无法打开，请取消密码后重新上传。"
CORRUPT_DOC = "文件“学时证明.doc”已损坏或不完整，无法作为Word文档打开，请重新保存或导出后再上传。"


@pytest.mark.parametrize(
    "content, code, message",
    [
        # A password-protected .docx is a compound file holding an EncryptedPackage stream.
        (word_file(stream="EncryptedPackage"), "encrypted", PASSWORD_DOC),
        (word_file(encrypted=True), "encrypted", PASSWORD_DOC),
        (word_file(magic=0xA5ED), "corrupt", CORRUPT_DOC),
        (word_file(directory_sector=100), "corrupt", CORRUPT_DOC),
        (word_file(stream="Workbook"), "bad_type",
         "文件“学时证明.doc”的内容不是允许的格式。只能上传jpg、jpeg、png、doc、docx、pdf文件，且不超过20M。"),
    ],
    ids=["encrypted-package", "fib-encrypted", "fib-magic-wrong", "directory-out-of-range", "an-xls"],
)
def test_compound_files_that_are_not_an_open_word_document_are_refused(content, code, message):
    assert refusal(upload_of(content, "学时证明.doc")) == (code, message)


def jpeg_claiming(width, height):
    """The sample photo with its frame header (SOF0) claiming another size, which Pillow reads
    before any pixel; the data that follows is still that of 16×16 pixels."""
    content = bytearray(sample("photo.jpg"))
    struct.pack_into(">HH", content, content.index(b"\xff\xc0") + 5, height, width)
    return bytes(content)


@pytest.mark.parametrize(
    "content, code, message",
    [
        (jpeg_claiming(10000, 5001), "too_many_pixels", "文件“照片.jpg”的图片尺寸过大（10000×5001像素），请缩小到5000万像素以内后再上传。"),
        (sample("photo.jpg")[:-40], "corrupt", "文件“照片.jpg”已损坏或不完整，无法作为图片打开，请重新保存或导出后再上传。"),
    ],
    ids=["over-the-limit", "cut-off"],
)
def test_a_jpeg_too_large_by_its_header_or_cut_off_is_refused(content, code, message):
    assert refusal(upload_of(content, "照片.jpg")) == (code, message)


def test_a_photo_of_exactly_the_pixel_limit_is_accepted(monkeypatch):
    monkeypatch.setattr("hours.uploads.IMAGE_MAX_PIXELS", 16 * 16)  # the sample photo is 16×16
    checked = check_upload(upload_of(sample("photo.jpg"), "照片.jpg"))
    assert (checked.extension, checked.content_type, checked.size, checked.sha256) == (
        ".jpg", "image/jpeg", 633, "74f296796282cafae9eef88305bff2dd4d722b6e41140126013e05cef06db351",
    )
    monkeypatch.setattr("hours.uploads.IMAGE_MAX_PIXELS", 16 * 16 - 1)
    assert refusal(upload_of(sample("photo.jpg"), "照片.jpg"))[0] == "too_many_pixels"


def docx_of(document_xml):
    """A .docx of make_samples' package parts with this word/document.xml."""
    return make_samples.docx([*make_samples.DOCX_PARTS[:2], ("word/document.xml", document_xml)])


BODY = '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>{}</w:body></w:document>'


@pytest.mark.parametrize(
    "document_xml",
    [
        '<!DOCTYPE w:document>' + BODY.format(""),  # declares nothing, refused all the same: entities live only in a DTD
        '<!DOCTYPE w:document [<!ENTITY a "学时">]>' + BODY.format("<w:t>&a;</w:t>"),
        BODY.format("<w:p>"),  # not well-formed
    ],
    ids=["doctype", "doctype-with-entity", "not-well-formed"],
)
def test_a_docx_whose_text_is_not_plain_well_formed_xml_is_refused(document_xml):
    assert refusal(upload_of(docx_of(document_xml), "学时证明.docx")) == (
        "corrupt", "文件“学时证明.docx”已损坏或不完整，无法作为Word文档打开，请重新保存或导出后再上传。",
    )


def test_a_docx_whose_text_is_read_in_several_chunks_is_accepted():
    """A document.xml of about 1.5 MB, read a megabyte at a time: a tag cut by a chunk's end is fine."""
    document_xml = BODY.format("<w:p><w:r><w:t>学时证明</w:t></w:r></w:p>" * 40_000)
    assert len(document_xml.encode()) > 1_500_000
    checked = check_upload(upload_of(docx_of(document_xml), "学时证明.docx"))
    assert (checked.extension, checked.content_type) == (".docx", DOCX_MIME)


def docx_with_its_text_at(index):
    """A .docx of index + 1 parts, word/document.xml the last, a customXml part first (so that
    filetype calls it a zip and the parts decide)."""
    first, *fillers = [(f"customXml/item{i}.xml", "<x/>") for i in range(index - 2)]
    return make_samples.docx([first, *make_samples.DOCX_PARTS[:2], *fillers, ("word/document.xml", BODY.format(""))])


def test_only_the_first_parts_of_a_zip_say_whether_it_is_a_docx(monkeypatch):
    """The names of DOCX_MAX_ENTRIES + 1 parts are looked at, no more (the constant is read at each call)."""
    monkeypatch.setattr("hours.uploads.DOCX_MAX_ENTRIES", 4)
    assert check_upload(upload_of(docx_with_its_text_at(3), "学时证明.docx")).extension == ".docx"
    # One part more: the Word part is still seen, and the parts are too many.
    assert refusal(upload_of(docx_with_its_text_at(4), "学时证明.docx")) == ("zip_bomb", "文件“学时证明.docx”解压后过大或结构异常，已拒绝。")
    # Two more: the Word part lies beyond the names looked at, so this is a plain zip.
    assert refusal(upload_of(docx_with_its_text_at(5), "学时证明.docx")) == (
        "bad_type", "文件“学时证明.docx”的内容不是允许的格式。只能上传jpg、jpeg、png、doc、docx、pdf文件，且不超过20M。",
    )
