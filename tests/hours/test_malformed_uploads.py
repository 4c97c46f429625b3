"""Evidence files are parsed, not sniffed (hours/uploads.py): every file of tests/malformed_files.py
sent to each of the four forms that store files (申报材料, 活动材料, 培训备案 new and edit) is
refused with a reason the user reads, never a server error, and leaves no row and no file behind;
files that viewers open are still taken."""
import hashlib
import io
import struct
import time
import warnings
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from hours.models import Evidence, TrainingFiling
from hours.uploads import JPEG_MAX_SCANS, check_upload
from tests.helpers import text_of
from tests.hours.files import make_samples
from tests.hours.files.make_samples import progressive_jpeg
from tests.hours.fixtures_views import *  # noqa: F401,F403
from tests.hours.fixtures_views import draft, messages_of, pdf, png, year_with_training
from tests.hours.test_filing_views import form_data as filing_form
from tests.hours.test_filings import new_filing
from tests.malformed_files import malformed_imports, malformed_uploads, pdf_claiming_a_billion_objects

pytestmark = pytest.mark.django_db

UPLOADS = malformed_uploads()
# Every reason check_upload gives: each names the file and says what to do.
REASONS = ("是空文件", "已损坏或不完整", "不是完整的Word文档", "图片尺寸过大", "没有任何页面", "设置了打开密码",
           "解压后过大或结构异常", "的内容不是允许的格式", "的扩展名与内容不符")
# What Django's own form field says first about an empty file.
EMPTY = "提交的文件为空"


def upload_of(label, name, content, content_type):
    return SimpleUploadedFile(name, content, content_type=content_type)


def files_under(root):
    return sorted(p for p in Path(root).rglob("*") if p.is_file())


# --- check_upload -------------------------------------------------------------------------------------


@pytest.mark.parametrize("label, name, content, content_type", UPLOADS, ids=[u[0] for u in UPLOADS])
def test_check_upload_refuses_each_malformed_file_with_its_reason(label, name, content, content_type):
    started = time.monotonic()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a decompression bomb is refused, not merely warned about
        with pytest.raises(ValidationError) as caught:
            check_upload(upload_of(label, name, content, content_type))
    [message] = caught.value.messages
    assert f"文件“{name}”" in message and any(reason in message for reason in REASONS), message
    assert time.monotonic() - started < 5


@pytest.mark.parametrize(
    "label, code",
    [
        ("png-signature-only", "corrupt"), ("png-truncated", "corrupt"), ("jpeg-truncated", "corrupt"),
        ("png-huge-dimensions", "too_many_pixels"), ("png-decompression-bomb", "too_many_pixels"),
        ("pdf-header-only", "corrupt"), ("pdf-header-and-garbage", "corrupt"), ("pdf-truncated", "corrupt"),
        ("pdf-no-pages", "no_pages"), ("pdf-page-tree-loop", "no_pages"), ("pdf-password", "encrypted"),
        ("pdf-claiming-a-billion-objects", "corrupt"),
        ("docx-without-document", "corrupt"), ("docx-broken-xml", "corrupt"), ("docx-entity-expansion", "corrupt"),
        ("docx-zip-bomb", "zip_bomb"), ("doc-ole-random", "corrupt"), ("doc-without-word-stream", "bad_type"),
    ],
)
def test_what_sniffing_let_through_is_refused_for_the_right_reason(label, code):
    """Each of these passed the first-bytes check before; 20-byte PNGs and 9-byte PDFs were stored."""
    [(_, name, content, content_type)] = [u for u in UPLOADS if u[0] == label]
    with pytest.raises(ValidationError) as caught:
        check_upload(upload_of(label, name, content, content_type))
    assert caught.value.code == code


def test_the_messages_say_what_to_do():
    def message(label):
        [(_, name, content, content_type)] = [u for u in UPLOADS if u[0] == label]
        with pytest.raises(ValidationError) as caught:
            check_upload(upload_of(label, name, content, content_type))
        return caught.value.messages[0]

    assert message("pdf-header-only") == "文件“培训通知.pdf”已损坏或不完整，无法作为PDF打开，请重新保存或导出后再上传。"
    assert message("pdf-no-pages") == "文件“培训通知.pdf”中没有任何页面，请重新导出PDF后再上传。"
    assert message("pdf-password") == "文件“培训通知.pdf”设置了打开密码，审核人员无法打开，请取消密码后重新上传。"
    assert message("png-decompression-bomb") == "文件“扫描件.png”的图片尺寸过大（20000×20000像素），请缩小到5000万像素以内后再上传。"
    assert message("docx-without-document") == "文件“学时证明.docx”不是完整的Word文档（缺少正文部分），请用Word另存为.docx后再上传。"


@pytest.mark.parametrize(
    "content",
    [
        b"%PDF-1.4\nxref\nzzzz\ntrailer\n<< >>\nstartxref\n9\n%%EOF\n",  # its end is there, its cross-reference unreadable
        make_samples.pdf_of(b"<< /Type /Catalog /Pages 2 0 R >>", b"(a string, not a page tree)"),
    ],
    ids=["unreadable-cross-reference", "page-tree-not-a-dictionary"],
)
def test_a_pdf_that_ends_right_but_does_not_open_says_so(content):
    with pytest.raises(ValidationError) as caught:
        check_upload(SimpleUploadedFile("通知.pdf", content))
    assert caught.value.messages == ["文件“通知.pdf”已损坏或不完整，无法作为PDF打开，请重新保存或导出后再上传。"]


def pdf_with_owner_password_only():
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(200, 100)
    writer.encrypt(user_password="", owner_password="owner", algorithm="AES-128")  # no printing or copying, opens freely
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def png_bytes_of(mode):
    out = io.BytesIO()
    Image.new(mode, (20, 10)).save(out, "PNG")
    return out.getvalue()


@pytest.mark.parametrize(
    "name, content",
    [
        ("只限打印.pdf", pdf_with_owner_password_only()),
        # What viewers open although the file is not quite right: pypdf reads it as they do.
        ("多了换行.pdf", make_samples.pdf().replace(b"%PDF-1.4\n", b"%PDF-1.4\n\n\n", 1)),  # every offset two bytes off
        ("尾部有空字节.pdf", make_samples.pdf() + bytes(2000)),
        ("换行改过.pdf", make_samples.pdf().replace(b"\n", b"\r\n")),
        ("渐进式.jpg", progressive_jpeg()),
        ("灰度.png", png_bytes_of("L")),
        ("索引色.png", png_bytes_of("P")),
    ],
)
def test_files_that_viewers_open_are_taken(name, content):
    checked = check_upload(SimpleUploadedFile(name, content))
    assert checked.sha256 == hashlib.sha256(content).hexdigest()


def test_a_password_protected_word_file_is_refused():
    content = bytearray(make_samples.doc())
    flags_at = 512 + 10  # the WordDocument stream begins at sector 0; the FIB's flags word at 0x0A
    struct.pack_into("<H", content, flags_at, struct.unpack_from("<H", content, flags_at)[0] | 0x0100)
    with pytest.raises(ValidationError) as caught:
        check_upload(SimpleUploadedFile("学时证明.doc", bytes(content)))
    assert caught.value.code == "encrypted"


def test_a_jpeg_with_more_scans_than_any_real_one_is_refused_before_decoding():
    """Thousands of progressive scans make a small JPEG decode for minutes: the last scan repeated."""
    content = progressive_jpeg()
    last_scan = content[content.rindex(b"\xff\xda"):-2]
    repeated = content[:-2] + last_scan * JPEG_MAX_SCANS + b"\xff\xd9"
    with pytest.raises(ValidationError) as caught:
        check_upload(SimpleUploadedFile("照片.jpg", repeated))
    assert caught.value.code == "corrupt" and "扫描段过多" in caught.value.messages[0]


def test_a_huge_pdf_page_tree_is_not_read_whole():
    """A PDF of 20,000 pages is taken as soon as its first page is found."""
    kids = b" ".join(b"%d 0 R" % (n + 3) for n in range(20_000))
    pages = [b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 10 10] >>"] * 20_000
    content = make_samples.pdf_of(b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [" + kids + b"] /Count 20000 >>", *pages)
    started = time.monotonic()
    assert check_upload(SimpleUploadedFile("名册.pdf", content)).extension == ".pdf"
    assert time.monotonic() - started < 2


def test_a_big_pdf_cut_before_its_end_of_file_marker_is_refused_without_being_read():
    """Ends with startxref but not %%EOF: cut short. pypdf would look for the marker through every
    line of the 19 MB (seconds of a worker); the tail check refuses it first."""
    content = b"%PDF-1.4\n" + b"1 0 obj\n<< >>\nendobj\n" * 900_000 + b"startxref\n9\n"
    started = time.monotonic()
    with pytest.raises(ValidationError) as caught:
        check_upload(SimpleUploadedFile("通知.pdf", content))
    assert caught.value.code == "corrupt"
    assert time.monotonic() - started < 2


def test_a_page_tree_naming_a_branch_twice_still_leads_to_its_page():
    """An empty branch listed twice before the page: the walk skips the branch it has seen and goes on."""
    content = make_samples.pdf_of(
        b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R 3 0 R 4 0 R] /Count 1 >>",
        b"<< /Type /Pages /Parent 2 0 R /Kids [] /Count 0 >>", b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 10 10] >>",
    )
    assert check_upload(SimpleUploadedFile("名册.pdf", content)).extension == ".pdf"


def test_a_tiny_pdf_claiming_a_billion_objects_is_refused_quickly():
    started = time.monotonic()
    with pytest.raises(ValidationError):
        check_upload(SimpleUploadedFile("通知.pdf", pdf_claiming_a_billion_objects()))
    assert time.monotonic() - started < 5


# --- the four forms that store files --------------------------------------------------------------


def refused_everywhere(media, before, post, every=UPLOADS + malformed_imports()):
    """Post every file; each answer is a refusal the user reads, and nothing new is stored."""
    for label, name, content, content_type in every:
        response = post(upload_of(label, name, content, content_type))
        assert response.status_code < 500, label
        shown = " ".join(messages_of(response)) + text_of(response)
        assert any(reason in shown for reason in (*REASONS, EMPTY)), (label, shown[:300])
        assert before() and files_under(media) == [], label


def test_the_declaration_materials_form_refuses_every_malformed_file(client, p, media):
    d = draft(p.song)
    client.force_login(p.song)
    url = reverse("hours:evidence_upload", args=[d.pk])
    refused_everywhere(
        media, lambda: not Evidence.objects.exists(),
        lambda upload: client.post(url, {"category": "education", "files": [upload]}, follow=True),
    )


def test_the_item_materials_form_refuses_every_malformed_file(client, p, media):
    d = draft(p.song)
    _, item = year_with_training(d, p.song)
    client.force_login(p.song)
    url = reverse("hours:item_evidence_upload", args=[d.pk, item.pk])
    refused_everywhere(
        media, lambda: not Evidence.objects.exists(),
        lambda upload: client.post(url, {"material": "completion_certificate", "files": [upload]}, follow=True),
    )


def test_a_new_filing_with_a_malformed_notice_or_schedule_is_refused(client, p, media):
    client.force_login(p.chen)
    url = reverse("hours:filing_new")
    refused_everywhere(media, lambda: not TrainingFiling.objects.exists(),
                       lambda upload: client.post(url, filing_form(notice=upload)))
    refused_everywhere(media, lambda: not TrainingFiling.objects.exists(),
                       lambda upload: client.post(url, filing_form(schedule=upload)), every=UPLOADS[:6])


def test_editing_a_filing_with_a_malformed_file_keeps_the_old_one(client, p, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    filing = new_filing(p)
    kept = (filing.notice.name, filing.schedule.name)
    stored = files_under(settings.MEDIA_ROOT)
    client.force_login(p.chen)
    url = reverse("hours:filing_edit", args=[filing.pk])
    for label, name, content, content_type in UPLOADS + malformed_imports():
        data = filing_form(name="改过的名称", schedule=upload_of(label, name, content, content_type))
        del data["notice"]
        response = client.post(url, data)
        assert response.status_code == 400, label
        assert any(reason in text_of(response) for reason in (*REASONS, EMPTY)), label
        filing.refresh_from_db()
        assert (filing.name, filing.notice.name, filing.schedule.name) == ("地质勘查新技术专题培训", *kept), label
        assert files_under(settings.MEDIA_ROOT) == stored, label


def test_good_files_still_go_through_every_form(client, p, media):
    d = draft(p.song)
    _, item = year_with_training(d, p.song)
    client.force_login(p.song)
    client.post(reverse("hours:evidence_upload", args=[d.pk]), {"category": "education", "files": [pdf("学历.pdf")]})
    client.post(reverse("hours:item_evidence_upload", args=[d.pk, item.pk]),
                {"material": "completion_certificate", "files": [png("证书.png")]})
    assert Evidence.objects.count() == 2
    client.force_login(p.chen)
    assert client.post(reverse("hours:filing_new"), filing_form()).status_code == 302
    assert len(files_under(media)) == 4


def test_the_corpus_is_small_labelled_once_and_the_same_every_time():
    for build in (malformed_uploads, malformed_imports):
        first, again = build(), build()
        labels = [label for label, *_ in first]
        assert len(set(labels)) == len(labels)
        for (label, name, content, _), (_, _, same, _) in zip(first, again):
            assert content == same or label == "pdf-password", label  # its file identifier is random
            assert len(content) < 512 * 1024, label


def test_the_corpus_is_the_same_a_moment_later():
    """openpyxl writes the time into a workbook (its dates, each zip part's): fixed, the spreadsheets
    are the same when the two builds above fall on either side of a second, too."""
    first = malformed_imports()
    time.sleep(2.1)  # a zip part's time counts in steps of two seconds
    assert [content for _, _, content, _ in malformed_imports()] == [content for _, _, content, _ in first]


@pytest.mark.parametrize("label", ["jpeg-truncated", "png-truncated"])
def test_a_cut_off_image_is_refused_also_after_a_certificate_was_rendered(label):
    """WeasyPrint, imported to render a certificate, turns Pillow's tolerance of truncated images on
    for the whole process (a worker renders certificates and checks uploads): the check decodes strictly anyway."""
    import weasyprint  # noqa: F401 - what a certificate rendering imports

    from PIL import ImageFile

    ImageFile.LOAD_TRUNCATED_IMAGES = True  # as WeasyPrint leaves it
    _, name, content, content_type = next(entry for entry in UPLOADS if entry[0] == label)
    with pytest.raises(ValidationError):
        check_upload(SimpleUploadedFile(name, content, content_type=content_type))
