"""Malformed files for every file input of the portal: what a broken scanner, a half-finished
upload, a renamed file, an old spreadsheet or an attacker sends. Each builder makes its bytes in
code (small and deterministic, except the password PDF's random file identifier), near-valid
ones with the real libraries (Pillow, openpyxl, zipfile, pypdf), so that a check which only
looks at the first bytes lets them through and only parsing catches them.

- malformed_uploads(): for the evidence, filing and verification uploads (jpg, png, pdf, doc, docx);
- malformed_imports(): for 培训记录导入 and the 参训人员名单 (xlsx, csv).

Each entry is (label, filename, content, content_type): the content type is what a browser would
claim, which the portal must not trust. None of them may be stored: each is refused as a whole,
or (imports) on every one of its rows, with a reason the user can read."""
import functools
import io
import random
import re
import struct
import zipfile
import zlib
from datetime import datetime

from openpyxl import Workbook
from PIL import Image
from stdnum.cn import ric

from tests.hours.files import make_samples

PNG = "image/png"
JPEG = "image/jpeg"
PDF = "application/pdf"
DOC = "application/msword"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv"

OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# A valid ID number nobody in the demo province has: a roster row with it names an unknown person.
STRANGER = "11010519491231002" + ric.calc_check_digit("110105194912310020")
FIXED_DATETIME = datetime(*make_samples.FIXED_TIME)
IMPORT_HEADER = ["证件号码", "姓名", "年度", "培训名称", "科目", "学时", "证书编号"]


def _noise(n, seed):
    return random.Random(seed).randbytes(n)


# --- images ---------------------------------------------------------------------------------------


def _image(fmt, size=64, seed=1):
    """A real image of noise, so that its compressed data is long enough to be cut."""
    out = io.BytesIO()
    Image.frombytes("RGB", (size, size), _noise(size * size * 3, seed)).save(out, fmt)
    return out.getvalue()


def _png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _png(width, height, bit_depth, colour_type, idat):
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IDAT", idat) + _png_chunk(b"IEND", b"")


def png_claiming_huge_dimensions():
    """Every chunk well-formed, CRCs right, a header saying 100 000 × 100 000 pixels, two rows of data."""
    return _png(100_000, 100_000, 8, 0, zlib.compress(bytes(2 * 100_001)))


@functools.cache
def png_decompression_bomb():
    """A complete, valid black PNG of 20 000 × 20 000 one-bit pixels: 400 million pixels, 50 MB
    unpacked, about 50 KB on the wire."""
    width = height = 20_000
    row = bytes(1 + width // 8)
    packer = zlib.compressobj(9)
    idat = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    return _png(width, height, 1, 0, idat)


# --- PDF -------------------------------------------------------------------------------------------


def pdf_without_pages():
    return make_samples.pdf_of(b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [] /Count 0 >>")


def pdf_with_a_page_tree_loop():
    """The page tree's only child is the tree itself: a reader that follows it never stops."""
    return make_samples.pdf_of(b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [2 0 R] /Count 1 >>")


def pdf_claiming_a_billion_objects():
    """150 bytes whose cross-reference stream announces a thousand million entries and holds one:
    a lenient reader that fills the missing ones with defaults runs out of memory."""
    data = zlib.compress(b"\x01\x00\x09\x00")
    stream = (b"<< /Type /XRef /Size 1000000000 /Index [0 1000000000] /W [1 2 1] /Filter /FlateDecode /Root 1 0 R"
              b" /Length %d >>\nstream\n" % len(data) + data + b"\nendstream")
    return b"%PDF-1.5\n1 0 obj\n" + stream + b"\nendobj\nstartxref\n9\n%%EOF\n"


def pdf_with_a_password():
    """A one-page PDF that cannot be opened without its password (reviewers do not have it)."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(200, 100)
    writer.encrypt(user_password="123456", owner_password="owner", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


# --- Word ------------------------------------------------------------------------------------------


def _docx_with_document(document):
    return make_samples.docx([(name, text if name != "word/document.xml" else document) for name, text in make_samples.DOCX_PARTS])


def docx_without_document():
    """[Content_Types].xml and a word/ folder, as filetype wants, but no word/document.xml."""
    parts = [(n, t) for n, t in make_samples.DOCX_PARTS if n != "word/document.xml"]
    return make_samples.docx(parts + [("word/styles.xml", "<w:styles/>")])


def docx_with_broken_xml():
    return _docx_with_document('<?xml version="1.0"?><w:document><w:body><w:p><w:r><w:t>学时证明</w:t></w:r>')


def docx_with_entity_expansion():
    """The "billion laughs": ten levels of entities, each ten of the one below (10⁹ copies of "lol")."""
    entities = '<!ENTITY l0 "lol">' + "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    return _docx_with_document(f'<?xml version="1.0"?><!DOCTYPE w:document [{entities}]><w:document>&l9;</w:document>')


@functools.cache
def docx_zip_bomb():
    """The sample .docx plus a part of 201 MB of zeros, deflated to about 200 KB."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, text in make_samples.DOCX_PARTS:
            archive.writestr(zipfile.ZipInfo(name, make_samples.FIXED_TIME), text)
        with archive.open("word/media/image1.bin", "w", force_zip64=True) as target:
            chunk = bytes(1 << 20)
            for _ in range(201):
                target.write(chunk)
    return out.getvalue()


def doc_of_random_bytes():
    return OLE_SIGNATURE + _noise(4096 - len(OLE_SIGNATURE), 7)


def html():
    return b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"


def malformed_uploads():
    """(label, filename, content, content_type) for every evidence-like upload."""
    png, jpeg = _image("PNG"), _image("JPEG")
    return [
        ("empty", "空文件.pdf", b"", PDF),
        ("png-signature-only", "照片.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10", PNG),
        ("png-truncated", "签到表.png", png[: len(png) * 3 // 5], PNG),
        ("png-huge-dimensions", "扫描件.png", png_claiming_huge_dimensions(), PNG),
        ("png-decompression-bomb", "扫描件.png", png_decompression_bomb(), PNG),
        ("jpeg-header-only", "结业证书.jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01", JPEG),
        ("jpeg-truncated", "结业证书.jpg", jpeg[: len(jpeg) * 3 // 5], JPEG),
        ("pdf-header-only", "培训通知.pdf", b"%PDF-1.7\n", PDF),
        ("pdf-header-and-garbage", "培训通知.pdf", b"%PDF-1.4\n" + _noise(4096, 3), PDF),
        ("pdf-truncated", "培训通知.pdf", make_samples.pdf()[:200], PDF),
        ("pdf-no-pages", "培训通知.pdf", pdf_without_pages(), PDF),
        ("pdf-page-tree-loop", "培训通知.pdf", pdf_with_a_page_tree_loop(), PDF),
        ("pdf-password", "培训通知.pdf", pdf_with_a_password(), PDF),
        ("pdf-claiming-a-billion-objects", "培训通知.pdf", pdf_claiming_a_billion_objects(), PDF),
        ("docx-without-document", "学时证明.docx", docx_without_document(), DOCX),
        ("docx-broken-xml", "学时证明.docx", docx_with_broken_xml(), DOCX),
        ("docx-entity-expansion", "学时证明.docx", docx_with_entity_expansion(), DOCX),
        ("docx-zip-bomb", "学时证明.docx", docx_zip_bomb(), DOCX),
        ("docx-truncated", "学时证明.docx", make_samples.docx()[:400], DOCX),
        ("doc-ole-random", "学时证明.doc", doc_of_random_bytes(), DOC),
        ("doc-without-word-stream", "学时证明.doc", make_samples.doc(stream="Workbook"), DOC),
        ("png-named-pdf", "结业证书.pdf", png, PDF),
        ("exe-named-jpg", "照片.jpg", make_samples.exe(), JPEG),
        ("html-named-jpg", "照片.jpg", html(), JPEG),
    ]


# --- spreadsheets ------------------------------------------------------------------------------


def _xlsx(rows, *, patch=None):
    """An .xlsx made by openpyxl, with the times it writes (the workbook's dates, each part's in the
    zip) fixed, so that it is the same every time; `patch(sheet_xml) -> sheet_xml` then edits the
    worksheet's XML."""
    workbook = Workbook()
    workbook.properties.created = FIXED_DATETIME
    for row in rows:
        workbook.active.append(row)
    out = io.BytesIO()
    workbook.save(out)  # stamps the workbook modified now: set back below
    source = zipfile.ZipFile(io.BytesIO(out.getvalue()))
    fixed = io.BytesIO()
    with zipfile.ZipFile(fixed, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>" + FIXED_DATETIME.isoformat().encode() + b"Z", data)
            elif info.filename == "xl/worksheets/sheet1.xml" and patch is not None:
                data = patch(data)
            archive.writestr(zipfile.ZipInfo(info.filename, make_samples.FIXED_TIME), data, zipfile.ZIP_DEFLATED)
    return fixed.getvalue()


def _row(**changes):
    """A row of the import template for STRANGER, with some cells changed."""
    values = {"证件号码": STRANGER, "姓名": "张三", "年度": "2023", "培训名称": "2023年度公需科目培训", "科目": "公需科目",
              "学时": "30", "证书编号": "PX2023001"}
    values.update(changes)
    return [values[column] for column in IMPORT_HEADER]


def _csv(*rows, encoding="utf-8", header=IMPORT_HEADER):
    return "\r\n".join(",".join(row) for row in [header, *rows]).encode(encoding) + b"\r\n"


def malformed_imports():
    """(label, filename, content, content_type) for 培训记录导入 and the 参训人员名单. The rows are
    the training import's (the roster reads its three columns of them); each file is refused as a
    whole, or has something wrong on every row."""
    good = _xlsx([IMPORT_HEADER, _row(), _row(证件号码=STRANGER.replace("1949", "1950"))])
    zero_hours = [_row(学时="0")]
    return [
        ("xlsx-truncated", "培训记录.xlsx", good[: len(good) * 2 // 3], XLSX),
        ("xlsx-is-a-docx", "培训记录.xlsx", make_samples.docx(), XLSX),
        ("xlsx-is-an-old-xls", "培训记录.xlsx", make_samples.doc(stream="Workbook"), XLSX),
        ("xlsx-empty", "培训记录.xlsx", b"", XLSX),
        ("xlsx-year-1e309", "培训记录.xlsx",
         _xlsx([IMPORT_HEADER, [STRANGER, "张三", 2023, "2023年度公需科目培训", "公需科目", 30, ""]],
               patch=lambda xml: xml.replace(b"<v>2023</v>", b"<v>1e309</v>")), XLSX),
        ("xlsx-huge-dimension", "培训记录.xlsx",
         _xlsx([IMPORT_HEADER, *zero_hours], patch=lambda xml: xml.replace(b'<dimension ref="A1:G2"', b'<dimension ref="A1:XFD1048576"')), XLSX),
        ("csv-empty", "培训记录.csv", b"", CSV),
        ("csv-header-only", "培训记录.csv", _csv(), CSV),
        ("csv-wrong-header", "培训记录.csv", _csv(*zero_hours, header=["a", "b", "c", "d", "e", "f", "g"]), CSV),
        ("csv-field-over-limit", "培训记录.csv", _csv(_row(姓名="Z" * 200_000)), CSV),
        ("csv-nul-bytes", "培训记录.csv", _csv(_row(姓名="张\x00三")), CSV),
        ("csv-control-characters", "培训记录.csv", _csv(_row(姓名="张\x07三"), _row(姓名="李\x1b[31m四")), CSV),
        ("csv-gbk", "培训记录.csv", _csv(_row(学时="三十"), encoding="gbk"), CSV),
        ("csv-bom", "培训记录.csv", _csv(_row(学时="三十"), encoding="utf-8-sig"), CSV),
        ("csv-utf16", "培训记录.csv", _csv(*zero_hours, encoding="utf-16"), CSV),
        ("csv-year-inf", "培训记录.csv", _csv(_row(年度="inf")), CSV),
        ("csv-year-1e309", "培训记录.csv", _csv(_row(年度="1e309")), CSV),
        ("csv-year-nan", "培训记录.csv", _csv(_row(年度="nan")), CSV),
        ("csv-year-huge", "培训记录.csv", _csv(_row(年度="9" * 5000)), CSV),
        ("csv-hours-nan", "培训记录.csv", _csv(_row(学时="NaN")), CSV),
        ("csv-hours-negative-zero", "培训记录.csv", _csv(_row(学时="-0")), CSV),
        ("csv-hours-huge", "培训记录.csv", _csv(_row(学时="1e309"), _row(学时="9" * 400)), CSV),
        ("binary-named-csv", "培训记录.csv", _image("PNG"), CSV),
        ("xlsx-named-csv", "培训记录.csv", good, CSV),
    ]
