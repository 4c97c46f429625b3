"""Writes the small, real sample files the upload tests use (run from the repository root:
`.venv/bin/python tests/hours/files/make_samples.py`). The output is committed; big files and zip
bombs are made at test time instead. Every file is built the way the real format is laid out, so
`filetype` recognises it by content, and other programs can open it."""
import io
import struct
import zipfile
from pathlib import Path

from PIL import Image

HERE = Path(__file__).resolve().parent
FIXED_TIME = (2024, 6, 13, 9, 0, 0)


def jpeg():
    out = io.BytesIO()
    Image.new("RGB", (16, 16), (200, 30, 30)).save(out, "JPEG", quality=80)
    return out.getvalue()


def progressive_jpeg():
    """Ten scans (Pillow's progressive output), of noise, so that no two runs compress alike."""
    out = io.BytesIO()
    Image.effect_noise((64, 64), 40).convert("RGB").save(out, "JPEG", progressive=True)
    return out.getvalue()


def png():
    out = io.BytesIO()
    Image.new("RGB", (16, 16), (30, 120, 200)).save(out, "PNG")
    return out.getvalue()


def pdf_of(*objects):
    """A PDF 1.4 with a correct cross-reference table around these objects (object 1 the catalog)."""
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def pdf(text=b"Certificate"):
    """A one-page PDF showing `text`."""
    content = b"BT /F1 12 Tf 20 50 Td (" + text + b") Tj ET"
    return pdf_of(
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 100] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    )


DOCX_PARTS = [
    (
        "[Content_Types].xml",
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/word/document.xml"'
        ' ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
        "</Types>",
    ),
    (
        "_rels/.rels",
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1"'
        ' Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"'
        ' Target="word/document.xml"/>'
        "</Relationships>",
    ),
    (
        "word/document.xml",
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        "<w:body><w:p><w:r><w:t>学时证明</w:t></w:r></w:p></w:body></w:document>",
    ),
]


def docx(parts=DOCX_PARTS):
    """A WordprocessingML package of these parts (by default the three it needs, [Content_Types].xml
    first, as Word writes it)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts:
            archive.writestr(zipfile.ZipInfo(name, FIXED_TIME), text, zipfile.ZIP_DEFLATED)
    return out.getvalue()


def doc(stream="WordDocument"):
    """A Word 97-2003 file: an OLE2 compound file (version 3, 512-byte sectors) holding one
    4096-byte WordDocument stream that starts with the FIB magic 0xA5EC, nFib 0x00C1. The stream
    sits in sectors 0-7, so the FIB begins at byte 512, which is where `filetype` looks. Under
    another `stream` name it is a compound file that is not a Word document (an .xls has "Workbook")."""
    ENDOFCHAIN, FATSECT, FREESECT, NOSTREAM = 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF, 0xFFFFFFFF
    stream_bytes = bytearray(4096)
    stream_bytes[0:4] = b"\xec\xa5\xc1\x00"
    fat_sector, dir_sector = 8, 9

    header = bytearray()
    header += b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(16)
    header += struct.pack("<HHHHH", 0x003E, 0x0003, 0xFFFE, 9, 6) + bytes(6)
    header += struct.pack("<IIIIIIIII", 0, 1, dir_sector, 0, 0x1000, ENDOFCHAIN, 0, ENDOFCHAIN, 0)
    header += struct.pack("<I", fat_sector) + struct.pack("<I", FREESECT) * 108
    assert len(header) == 512

    fat = [i + 1 for i in range(7)] + [ENDOFCHAIN, FATSECT, ENDOFCHAIN]
    fat += [FREESECT] * (128 - len(fat))
    fat_bytes = struct.pack("<128I", *fat)

    def entry(name, kind, child, start, size):
        encoded = (name + "\0").encode("utf-16-le") if name else b""
        return (
            encoded.ljust(64, b"\0")
            + struct.pack("<HBB", len(encoded), kind, 1 if name else 0)
            + struct.pack("<III", NOSTREAM, NOSTREAM, child)
            + bytes(16 + 4 + 8 + 8)
            + struct.pack("<IQ", start, size)
        )

    directory = entry("Root Entry", 5, 1, ENDOFCHAIN, 0) + entry(stream, 2, NOSTREAM, 0, len(stream_bytes))
    directory += entry("", 0, NOSTREAM, 0, 0) * 2
    assert len(directory) == 512
    return bytes(header + stream_bytes + fat_bytes + directory)


def exe():
    """A DOS/Windows executable's start (MZ header and DOS stub), to be renamed evil.pdf."""
    stub = bytearray(128)
    stub[0:2] = b"MZ"
    struct.pack_into("<H", stub, 2, 0x90)
    struct.pack_into("<I", stub, 0x3C, 0x80)
    stub[0x40:0x40 + 39] = b"This program cannot be run in DOS mode."
    return bytes(stub) + b"PE\0\0" + bytes(20)


SAMPLES = {
    "photo.jpg": jpeg,
    "scan.png": png,
    "certificate.pdf": pdf,
    "report.docx": docx,
    "report.doc": doc,
    "evil.pdf": exe,
    "empty.pdf": lambda: b"",
}


if __name__ == "__main__":
    for name, make in SAMPLES.items():
        (HERE / name).write_bytes(make())
        print(name, (HERE / name).stat().st_size)
