"""Checking an uploaded evidence file by its content, not its name (only jpg, jpeg, png, doc, docx
and pdf, at most 20 MB, as the provincial platform says): the kind is recognised from the first
bytes, then the file is opened by a real parser for that kind, so that a file reviewers could not
open (cut short, a header and nothing else, a PDF without pages or behind a password, a zip bomb
dressed as .docx, a decompression bomb) is refused with the reason, never stored.

Every parse is bounded, so no file can hold a request for long: the file itself is at most
20 MB; images at most IMAGE_MAX_PIXELS pixels, checked from the header before any pixel is
decoded, and JPEGs at most JPEG_MAX_SCANS scans (thousands of progressive scans are the known way
to make a small JPEG decode for minutes); a .docx at most DOCX_MAX_ENTRIES parts and
DOCX_MAX_UNPACKED bytes unpacked (zipfile never inflates a part beyond its declared size), its
document.xml at most DOCX_MAX_DOCUMENT_XML bytes and parsed without any DTD (so no entity can
expand); a PDF by pypdf, whose stream decoding is capped, only if its trailer is in its last
PDF_TAIL_BYTES (else pypdf would search all of it backwards, line by line), and walked to its first
page only (PDF_MAX_TREE_NODES); a .doc by olefile, which refuses sector chains that loop. The
slowest files we could make of 20 MB take seconds, not minutes (2.6 million object headers that
pypdf must index without a cross-reference table: about 6 s on one core of the 2-core machine; a
48-megapixel progressive JPEG: about 1 s); gunicorn's worker timeout stays the last resort."""
import hashlib
import struct
import zipfile
from dataclasses import dataclass
from xml.parsers import expat

import filetype
import olefile
from django.core.exceptions import ValidationError
from PIL import ImageFile, JpegImagePlugin, PngImagePlugin

from core.imports import OLE_SIGNATURE, UNREADABLE_ZIP

MAX_BYTES = 20 * 1024 * 1024
ALLOWED_HINT = "只能上传jpg、jpeg、png、doc、docx、pdf文件，且不超过20M。"
# Kind recognised from the content → extension we store and the names the upload may carry.
ALLOWED = {
    "jpg": ({".jpg", ".jpeg"}, "image/jpeg"),
    "png": ({".png"}, "image/png"),
    "pdf": ({".pdf"}, "application/pdf"),
    "doc": ({".doc"}, "application/msword"),
    "docx": ({".docx"}, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
}
# A4 scanned at 600 dpi is 35 million pixels, a 50-megapixel phone photo 50 million.
IMAGE_MAX_PIXELS = 50_000_000
# Real progressive JPEGs have about ten scans (the count also takes in an embedded thumbnail's);
# each scan may cost a pass over every block of the image.
JPEG_MAX_SCANS = 64
# The last bytes of a PDF that must hold its trailer.
PDF_TAIL_BYTES = 64 * 1024
# Page-tree nodes visited looking for the first page (a real tree reaches it in a handful).
PDF_MAX_TREE_NODES = 1000
DOCX_MAX_ENTRIES = 2000
DOCX_MAX_UNPACKED = 200 * 1024 * 1024
# The text of a several-hundred-page report is a few MB of XML.
DOCX_MAX_DOCUMENT_XML = 64 * 1024 * 1024
WORD_FIB_MAGIC = 0xA5EC
WORD_FIB_ENCRYPTED = 0x0100  # fEncrypted in the FIB's flags word


@dataclass(frozen=True)
class CheckedFile:
    extension: str
    content_type: str
    size: int
    sha256: str
    original_name: str


NAME_MAX = 200  # Evidence.original_name


def _clean_name(name):
    """The file's own name without any folder part a browser or an attacker put in front, at most
    NAME_MAX characters: a longer one is shortened before its extension, which the kind is checked
    against (Windows allows names of 255)."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    base = "".join(ch for ch in base if ch.isprintable())
    if len(base) > NAME_MAX:
        stem, dot, extension = base.rpartition(".")
        base = stem[: NAME_MAX - 1 - len(extension)] + dot + extension if stem and len(extension) <= 10 else base[:NAME_MAX]
    return base or "未命名文件"


def _corrupt(name, what):
    return ValidationError(f"文件“{name}”已损坏或不完整，无法作为{what}打开，请重新保存或导出后再上传。", code="corrupt")


def _bomb(name):
    return ValidationError(f"文件“{name}”解压后过大或结构异常，已拒绝。", code="zip_bomb")


def _password(name):
    return ValidationError(f"文件“{name}”设置了打开密码，审核人员无法打开，请取消密码后重新上传。", code="encrypted")


def check_upload(upload):
    name = _clean_name(upload.name)
    if upload.size == 0:
        raise ValidationError(f"文件“{name}”是空文件，请重新选择。", code="empty")
    if upload.size > MAX_BYTES:
        raise ValidationError(f"文件“{name}”超过20M，请压缩后再上传。", code="too_big")
    upload.seek(0)
    head = upload.read(8192)
    detected = _detect(upload, head, name)
    if detected not in ALLOWED:
        raise ValidationError(f"文件“{name}”的内容不是允许的格式。{ALLOWED_HINT}", code="bad_type")
    suffixes, content_type = ALLOWED[detected]
    suffix = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if suffix not in suffixes:
        raise ValidationError(
            f"文件“{name}”的扩展名与内容不符（内容为{detected}格式），请确认后重新上传。", code="name_mismatch"
        )
    upload.seek(0)
    PARSERS[detected](upload, name)
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return CheckedFile("." + detected, content_type, upload.size, digest.hexdigest(), name)


def _detect(upload, head, name):
    """The kind the content says: filetype's reading of the first bytes, except that a zip is a
    .docx only if its parts say so, and a compound file a .doc only if olefile finds a Word
    document inside (filetype's guess at a fixed offset misses Word files laid out otherwise)."""
    if head.startswith(OLE_SIGNATURE):
        return _ole_kind(upload, name)
    kind = filetype.guess(head)
    detected = kind.extension if kind else None
    if detected == "zip":
        # filetype names a .docx only when [Content_Types].xml comes first; the parts decide.
        detected = "docx" if _is_docx(upload) else "zip"
    return detected


def _is_docx(upload):
    upload.seek(0)
    try:
        with zipfile.ZipFile(upload) as archive:
            names = set(archive.namelist()[:DOCX_MAX_ENTRIES + 1])
            return "[Content_Types].xml" in names and any(n.startswith("word/") for n in names)
    except UNREADABLE_ZIP:
        return False
    finally:
        upload.seek(0)


# --- one parser per kind: each returns nothing or raises ValidationError ---------------------------


def _check_image(opener):
    def check(upload, name):
        # WeasyPrint, once imported to render a certificate, turns on Pillow's tolerance of truncated
        # images for the whole process: a cut-off photo would then decode padded with grey. Every
        # image this portal decodes is either checked here or made by it, so strict decoding is right.
        ImageFile.LOAD_TRUNCATED_IMAGES = False
        try:
            # The plugin's constructor reads the header only: the size is known before any pixel is.
            image = opener(upload)
            width, height = image.size
            if width * height > IMAGE_MAX_PIXELS:
                raise ValidationError(
                    f"文件“{name}”的图片尺寸过大（{width}×{height}像素），请缩小到{IMAGE_MAX_PIXELS // 10_000}万像素以内后再上传。", code="too_many_pixels"
                )
            image.verify()
            upload.seek(0)
            image = opener(upload)  # verify() leaves the image unusable: decode a fresh one
            if opener is JpegImagePlugin.JpegImageFile:
                # Decoded at an eighth of the size: every byte of the data is still read and checked.
                image.draft("RGB", (max(1, width // 8), max(1, height // 8)))
            image.load()
        except ValidationError:
            raise
        except Exception:  # noqa: BLE001 - any failure of the decoder means reviewers could not view it either
            raise _corrupt(name, "图片")
    return check


def _check_jpeg(upload, name):
    scans, previous = 0, b""
    for chunk in upload.chunks():
        scans += (previous[-1:] + chunk).count(b"\xff\xda")  # SOS markers; entropy data never holds FF DA
        previous = chunk
    if scans > JPEG_MAX_SCANS:
        raise ValidationError(f"文件“{name}”的图片结构异常（扫描段过多），已拒绝。", code="corrupt")
    upload.seek(0)
    _check_image(JpegImagePlugin.JpegImageFile)(upload, name)


def _check_pdf(upload, name):
    from pypdf import PdfReader

    # A complete PDF ends with "startxref … %%EOF" (viewers accept a little trailing junk). Without
    # them the file was cut short, and pypdf would walk back through all of it line by line.
    upload.seek(max(0, upload.size - PDF_TAIL_BYTES))
    tail = upload.read()
    upload.seek(0)
    if b"%%EOF" not in tail or b"startxref" not in tail:
        raise _corrupt(name, "PDF")
    try:
        reader = PdfReader(upload, strict=False)
        encrypted = reader.is_encrypted
    except Exception:  # noqa: BLE001 - pypdf's errors are many; any of them means the file does not open
        raise _corrupt(name, "PDF")
    if encrypted:
        # A PDF with an owner password only (no printing, no copying) opens without asking, so it
        # is accepted; one that asks for a password on opening is refused.
        try:
            opened = bool(reader.decrypt(""))
        except Exception:  # noqa: BLE001 - an encryption pypdf cannot undo: a viewer without the key cannot either
            opened = False
        if not opened:
            raise _password(name)
    try:
        has_page = _has_a_page(reader)
    except Exception:  # noqa: BLE001
        raise _corrupt(name, "PDF")
    if not has_page:
        raise ValidationError(f"文件“{name}”中没有任何页面，请重新导出PDF后再上传。", code="no_pages")


def _has_a_page(reader):
    """Whether the page tree leads to at least one page: depth first to the first leaf, never
    through a node twice, giving up after PDF_MAX_TREE_NODES nodes (pypdf's own page list would
    read every page of the document first)."""
    stack, seen = [reader.root_object["/Pages"]], set()
    while stack and len(seen) < PDF_MAX_TREE_NODES:
        node = stack.pop()
        key = getattr(node, "idnum", None)
        if key is not None:
            if key in seen:
                continue
            seen.add(key)
        node = node.get_object()
        if node.get("/Type") == "/Page":
            return True
        stack.extend(reversed(node.get("/Kids") or []))
    return False


def _refuse_dtd(*args):
    raise ValueError("DTD")


def _check_xml(part, name):
    """Well-formed XML, read in chunks; a document type declaration (the only way to declare
    entities) is refused outright, so nothing can expand."""
    parser = expat.ParserCreate()
    parser.StartDoctypeDeclHandler = _refuse_dtd
    parser.EntityDeclHandler = _refuse_dtd
    try:
        while chunk := part.read(1024 * 1024):
            parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except (expat.ExpatError, ValueError):
        raise _corrupt(name, "Word文档")


def _check_docx(upload, name):
    try:
        with zipfile.ZipFile(upload) as archive:
            entries = archive.infolist()
            if len(entries) > DOCX_MAX_ENTRIES or sum(info.file_size for info in entries) > DOCX_MAX_UNPACKED:
                raise _bomb(name)
            try:
                document = archive.getinfo("word/document.xml")
            except KeyError:
                raise ValidationError(f"文件“{name}”不是完整的Word文档（缺少正文部分），请用Word另存为.docx后再上传。", code="corrupt")
            if document.file_size > DOCX_MAX_DOCUMENT_XML:
                raise _bomb(name)
            with archive.open(document) as part:
                _check_xml(part, name)
    except UNREADABLE_ZIP:
        raise _corrupt(name, "Word文档")


def _ole_kind(upload, name):
    """"doc" for a Word 97-2003 document that opens (FIB present, not password-protected); None for
    other compound files (an .xls, an .msi); refused when the compound file itself is broken."""
    upload.seek(0)
    try:
        with olefile.OleFileIO(upload) as ole:
            if ole.exists("EncryptedPackage"):  # a password-protected .docx/.xlsx is a compound file
                raise _password(name)
            if not ole.exists("WordDocument"):
                return None
            with ole.openstream("WordDocument") as stream:
                fib = stream.read(12)
    except ValidationError:
        raise
    except Exception:  # noqa: BLE001 - olefile raises OSError and others for broken sector chains
        raise _corrupt(name, "Word文档")
    finally:
        upload.seek(0)
    if len(fib) < 12 or struct.unpack_from("<H", fib, 0)[0] != WORD_FIB_MAGIC:
        raise _corrupt(name, "Word文档")
    if struct.unpack_from("<H", fib, 10)[0] & WORD_FIB_ENCRYPTED:
        raise _password(name)
    return "doc"


PARSERS = {
    "jpg": _check_jpeg,
    "png": _check_image(PngImagePlugin.PngImageFile),
    "pdf": _check_pdf,
    "doc": lambda upload, name: None,  # parsed while recognised (_ole_kind)
    "docx": _check_docx,
}
