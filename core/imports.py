"""Reading an uploaded table (.xlsx or CSV) for an import: every row's cells as normalised text
with its line number, whatever the file holds.

A file that cannot be read as a whole (not a workbook, cut short, a zip bomb, a CSV cell beyond
csv's field limit, no header) is refused with the reason; every cell is normalised by the portal's
input policy (core/inputs.py), so full-width digits in an ID number match, and a cell with
control characters is its row's error. Reading is bounded: at most MAX_IMPORT_BYTES, MAX_ROWS rows
and MAX_COLUMNS columns, and an .xlsx at most XLSX_MAX_UNPACKED bytes unpacked."""
import csv
import io
import math
import zipfile
import zlib

import filetype
from django.core.exceptions import ValidationError
from openpyxl import load_workbook

from .inputs import normalise_text, safe_text

MAX_ROWS = 50000
MAX_IMPORT_BYTES = 20 * 1024 * 1024
# The templates have a few columns; a sheet may declare 16,384, and read-only openpyxl pads every row to that.
MAX_COLUMNS = 50
# 50,000 rows of a template are about 15 MB of sheet XML.
XLSX_MAX_UNPACKED = 64 * 1024 * 1024
XLSX_MAX_ENTRIES = 2000
CANNOT_READ_XLSX = "无法读取该Excel文件，请使用模板另存为.xlsx后重新上传。"
# What zipfile raises on a damaged archive or part (a bad central directory, a corrupt extra
# field, a short read, a bad CRC, broken deflate data, an unknown compression method, encryption).
UNREADABLE_ZIP = (zipfile.BadZipFile, ValueError, EOFError, zlib.error, NotImplementedError, RuntimeError, OSError)
OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # old Office files (.xls, .doc)
# Kinds whose signature no CSV text starts with: such a file was renamed, or chosen by mistake.
BINARY_KINDS = {"zip", "xlsx", "docx", "pptx", "doc", "xls", "ppt", "pdf", "png", "jpg", "gif", "bmp", "exe", "rar", "7z", "gz"}


def cell_text(value):
    """A cell as text: spreadsheet numbers without the float's ".0" (2023, not 2023.0)."""
    if value is None:
        return ""
    if isinstance(value, float) and math.isfinite(value) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


def upload_bytes(upload):
    """The file's bytes, at most MAX_IMPORT_BYTES."""
    if upload.size is not None and upload.size > MAX_IMPORT_BYTES:
        raise ValidationError(f"导入文件不能超过{MAX_IMPORT_BYTES // (1024 * 1024)}M，请拆分后再导入。")
    upload.seek(0)
    data = upload.read(MAX_IMPORT_BYTES + 1)
    upload.seek(0)
    if len(data) > MAX_IMPORT_BYTES:
        raise ValidationError(f"导入文件不能超过{MAX_IMPORT_BYTES // (1024 * 1024)}M，请拆分后再导入。")
    if not data:
        raise ValidationError("文件为空。")
    return data


def open_sheet(data):
    """The first sheet of a readable workbook, opened read-only; refuses what is not one."""
    kind = filetype.guess(data[:8192])
    if kind is None or kind.extension not in ("zip", "xlsx"):
        if data.startswith(OLE_SIGNATURE):
            raise ValidationError("这是旧版Office格式（如.xls）的文件，" + CANNOT_READ_XLSX)
        raise ValidationError(("这是Word文档，" if kind and kind.extension == "docx" else "") + CANNOT_READ_XLSX)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
            names = {info.filename for info in entries}
    except UNREADABLE_ZIP:
        raise ValidationError("文件已损坏或不完整，" + CANNOT_READ_XLSX)
    if len(entries) > XLSX_MAX_ENTRIES or sum(info.file_size for info in entries) > XLSX_MAX_UNPACKED:
        raise ValidationError("该Excel文件解压后过大或结构异常，已拒绝。")
    if "xl/workbook.xml" not in names:
        raise ValidationError(("这是Word文档，" if "word/document.xml" in names else "文件中没有Excel工作簿，") + CANNOT_READ_XLSX)
    try:
        return load_workbook(io.BytesIO(data), read_only=True, data_only=True).active
    except Exception:  # noqa: BLE001 - openpyxl raises many kinds; any of them means the workbook cannot be read
        raise ValidationError(CANNOT_READ_XLSX)


def sheet_rows(sheet):
    """The sheet's rows as lists of text, bounded in rows and columns."""
    line = 0
    try:
        rows = sheet.iter_rows(max_row=MAX_ROWS + 2, max_col=MAX_COLUMNS, values_only=True)
        for values in rows:
            line += 1
            yield [cell_text(v) for v in values]
    except Exception:  # noqa: BLE001 - the sheet is read lazily: a damaged part shows up here
        raise ValidationError(f"第{line + 1}行起的内容已损坏，{CANNOT_READ_XLSX}")


def _decode_csv(data):
    kind = filetype.guess(data[:8192])
    if kind is not None and kind.extension in BINARY_KINDS:
        raise ValidationError(f"该文件不是CSV文本文件（内容为{kind.extension}格式）。请上传.csv文件，或将Excel文件另存为.xlsx后导入。")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ValidationError("CSV文件是UTF-16编码，请在Excel中另存为“CSV UTF-8（逗号分隔）”后重新上传。")
    # GB 18030 is GBK's superset: the rare characters of some names are in it only.
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ValidationError("无法识别CSV文件的编码，请另存为UTF-8编码。")


def _csv_rows(data):
    reader = csv.reader(io.StringIO(_decode_csv(data)))
    line = 0
    while True:
        try:
            values = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            if "field larger than field limit" in str(exc):
                raise ValidationError(f"CSV文件第{line + 1}行有单元格超过{csv.field_size_limit()}个字符，无法读取，请检查后重新上传。")
            raise ValidationError(f"CSV文件第{line + 1}行格式不正确，无法读取，请用Excel另存为CSV后重新上传。")
        line += 1
        yield values[:MAX_COLUMNS]


def table(upload, columns, required, *, formats=("xlsx", "csv")):
    """The header's keys, an iterator of the raw rows after it (lists of text), and the sheet of an
    .xlsx (None for a CSV); refuses a file that cannot be read or has no header with the required columns."""
    name = (upload.name or "").lower()
    sheet = None
    if name.endswith(".xlsx") and "xlsx" in formats:
        sheet = open_sheet(upload_bytes(upload))
        rows = sheet_rows(sheet)
    elif name.endswith(".csv") and "csv" in formats:
        rows = _csv_rows(upload_bytes(upload))
    else:
        raise ValidationError("只能导入" + "或".join(f".{f}" for f in formats) + "文件。")
    header = next(rows, None)
    if not header or not any(cell.strip() for cell in header):
        raise ValidationError("文件为空，或第1行不是表头。")
    keys = [columns.get(safe_text(h)) for h in header]
    missing = [label for label, key in columns.items() if key in required and key not in keys]
    if missing:
        raise ValidationError(f"表头缺少以下列：{'、'.join(missing)}（第1行应为：{'、'.join(columns)}）。")
    return keys, rows, sheet


def rows(upload, columns, required, *, formats=("xlsx", "csv")):
    """(line number, {column: text}, [problems]) for each non-blank row below the header. Each text
    is normalised; a cell that cannot be (control characters, garbled text) is a problem of its row."""
    keys, lines, _ = table(upload, columns, required, formats=formats)
    labels = {key: label for label, key in columns.items()}
    found = False
    for line, values in enumerate(lines, start=2):
        if line > MAX_ROWS + 1:
            raise ValidationError(f"一次最多导入{MAX_ROWS}行，请拆分文件。")
        if not any(v.strip() for v in values):
            continue
        found = True
        row, problems = {}, []
        for i, key in enumerate(keys):
            if key is None:
                continue
            value = values[i] if i < len(values) else ""
            try:
                row[key] = normalise_text(value)
            except ValidationError as exc:
                problems.append(labels[key] + exc.messages[0])
                row[key] = safe_text(value)  # the row is refused; its other checks still speak
        yield line, row, problems
    if not found:
        raise ValidationError("文件中只有表头，没有可导入的数据行。")
