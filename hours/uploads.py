"""Checking an uploaded evidence file by its content, not its name (only jpg, jpeg, png, doc, docx
and pdf, at most 20 MB, as the provincial platform says), and refusing zip bombs disguised as .docx."""
import hashlib
import zipfile
from dataclasses import dataclass

import filetype
from django.core.exceptions import ValidationError

MAX_BYTES = 20 * 1024 * 1024
ALLOWED_HINT = "只能上传jpg、jpeg、png、doc、docx、pdf文件，且不超过20M。"
# Kind sniffed from the content → extension we store and the names the upload may carry.
ALLOWED = {
    "jpg": ({".jpg", ".jpeg"}, "image/jpeg"),
    "png": ({".png"}, "image/png"),
    "pdf": ({".pdf"}, "application/pdf"),
    "doc": ({".doc"}, "application/msword"),
    "docx": ({".docx"}, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
}
DOCX_MAX_ENTRIES = 2000
DOCX_MAX_UNPACKED = 200 * 1024 * 1024
# What zipfile raises on a damaged archive (a bad central directory, a corrupt extra field, a short read).
UNREADABLE_ZIP = (zipfile.BadZipFile, ValueError, EOFError)


@dataclass(frozen=True)
class CheckedFile:
    extension: str
    content_type: str
    size: int
    sha256: str
    original_name: str


def _clean_name(name):
    """The file's own name without any folder part a browser or an attacker put in front."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    base = "".join(ch for ch in base if ch.isprintable())
    return base[:200] or "未命名文件"


def check_upload(upload):
    name = _clean_name(upload.name)
    if upload.size == 0:
        raise ValidationError(f"文件“{name}”是空文件，请重新选择。", code="empty")
    if upload.size > MAX_BYTES:
        raise ValidationError(f"文件“{name}”超过20M，请压缩后再上传。", code="too_big")
    upload.seek(0)
    head = upload.read(8192)
    kind = filetype.guess(head)
    detected = kind.extension if kind else None
    if detected == "zip":
        detected = "docx" if _is_docx(upload) else "zip"
    if detected not in ALLOWED:
        raise ValidationError(f"文件“{name}”的内容不是允许的格式。{ALLOWED_HINT}", code="bad_type")
    suffixes, content_type = ALLOWED[detected]
    suffix = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if suffix not in suffixes:
        raise ValidationError(
            f"文件“{name}”的扩展名与内容不符（内容为{detected}格式），请确认后重新上传。", code="name_mismatch"
        )
    if detected == "docx":
        _refuse_bomb(upload, name)
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return CheckedFile("." + ("jpg" if detected == "jpg" else detected), content_type, upload.size, digest.hexdigest(), name)


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


def _refuse_bomb(upload, name):
    # filetype recognises a .docx from its first local headers alone; the central directory read
    # here may still be missing or broken (a truncated upload), which is the user's error, not ours.
    upload.seek(0)
    try:
        with zipfile.ZipFile(upload) as archive:
            entries = archive.infolist()
            unpacked = sum(info.file_size for info in entries)
    except UNREADABLE_ZIP:
        raise ValidationError(f"文件“{name}”已损坏，无法打开，请重新保存后再上传。", code="corrupt")
    finally:
        upload.seek(0)
    if len(entries) > DOCX_MAX_ENTRIES or unpacked > DOCX_MAX_UNPACKED:
        raise ValidationError(f"文件“{name}”解压后过大或结构异常，已拒绝。", code="zip_bomb")
