"""Importing training records (事业单位工作人员培训平台, 继续教育基地) from an Excel or CSV file:
every row is checked, bad rows are reported with their line numbers, good rows are kept.

A file that cannot be read as a whole (not a workbook, cut short, a zip bomb, a CSV cell beyond
csv's field limit, no header) is refused with the reason; every cell is normalised by the portal's
input policy (core/inputs.py), so full-width digits in an ID number match, and a cell with
control characters is its row's error. Reading is bounded: at most MAX_IMPORT_BYTES, MAX_ROWS rows
and MAX_COLUMNS columns, and an .xlsx at most XLSX_MAX_UNPACKED bytes unpacked."""
import csv
import io
import math
import re
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal

import filetype
from django.core.exceptions import ValidationError
from django.db import transaction
from openpyxl import load_workbook

from accounts.validators import normalize_id_number, validate_id_number
from core.constraints import refused_on_conflict
from core.inputs import normalise_text, safe_text

from .models import TrainingRecord
from .uploads import DOCX_MAX_ENTRIES, OLE_SIGNATURE, UNREADABLE_ZIP

COLUMNS = {"证件号码": "id_number", "姓名": "name", "年度": "year", "培训名称": "title", "科目": "subject", "学时": "hours", "证书编号": "certificate_no"}
LABELS = {key: label for label, key in COLUMNS.items()}
REQUIRED = ("id_number", "name", "year", "title", "subject", "hours")
# The 科目 column's words, full or short, to the subject code.
SUBJECT_BY_LABEL = {"公需科目": "public", "公需": "public", "专业科目": "professional", "专业": "professional"}
MAX_HOURS = Decimal("200")
MAX_ROWS = 50000
MAX_IMPORT_BYTES = 20 * 1024 * 1024
# The templates have 7 columns; a sheet may declare 16,384, and read-only openpyxl pads every row to that.
MAX_COLUMNS = 50
# 50,000 rows of the template are about 15 MB of sheet XML.
XLSX_MAX_UNPACKED = 64 * 1024 * 1024
# What the database holds (TrainingRecord): a longer cell is its row's error, not a cut.
MAX_LENGTHS = {"name": 50, "title": 200, "certificate_no": 60}
CANNOT_READ_XLSX = "无法读取该Excel文件，请使用模板另存为.xlsx后重新上传。"
YEAR = re.compile(r"(\d{4})(?:\.0*)?")  # 2023, or 2023.0 from a spreadsheet number
HOURS = re.compile(r"\d{1,6}(?:\.\d{1,17})?")
# Kinds whose signature no CSV text starts with: such a file was renamed, or chosen by mistake.
BINARY_KINDS = {"zip", "xlsx", "docx", "pptx", "doc", "xls", "ppt", "pdf", "png", "jpg", "gif", "bmp", "exe", "rar", "7z", "gz"}


@dataclass
class ImportReport:
    created: int = 0
    errors: list = field(default_factory=list)  # (line number, message)

    @property
    def failed(self):
        return len(self.errors)


def _cell_text(value):
    """A cell as text: spreadsheet numbers without the float's ".0" (2023, not 2023.0)."""
    if value is None:
        return ""
    if isinstance(value, float) and math.isfinite(value) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


def _read(upload):
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


def _sheet(data):
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
    if len(entries) > DOCX_MAX_ENTRIES or sum(info.file_size for info in entries) > XLSX_MAX_UNPACKED:
        raise ValidationError("该Excel文件解压后过大或结构异常，已拒绝。")
    if "xl/workbook.xml" not in names:
        raise ValidationError(("这是Word文档，" if "word/document.xml" in names else "文件中没有Excel工作簿，") + CANNOT_READ_XLSX)
    try:
        return load_workbook(io.BytesIO(data), read_only=True, data_only=True).active
    except Exception:  # noqa: BLE001 - openpyxl raises many kinds; any of them means the workbook cannot be read
        raise ValidationError(CANNOT_READ_XLSX)


def _sheet_rows(sheet):
    """The sheet's rows as lists of text, bounded in rows and columns."""
    line = 0
    try:
        rows = sheet.iter_rows(max_row=MAX_ROWS + 2, max_col=MAX_COLUMNS, values_only=True)
        for values in rows:
            line += 1
            yield [_cell_text(v) for v in values]
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


def _table(upload, columns, required):
    """The header's keys, an iterator of the raw rows after it (lists of text), and the sheet of an
    .xlsx (None for a CSV); refuses a file that cannot be read or has no header with the required columns."""
    name = (upload.name or "").lower()
    sheet = None
    if name.endswith(".xlsx"):
        sheet = _sheet(_read(upload))
        rows = _sheet_rows(sheet)
    elif name.endswith(".csv"):
        rows = _csv_rows(_read(upload))
    else:
        raise ValidationError("只能导入.xlsx或.csv文件。")
    header = next(rows, None)
    if not header or not any(cell.strip() for cell in header):
        raise ValidationError("文件为空，或第1行不是表头。")
    keys = [columns.get(safe_text(h)) for h in header]
    missing = [label for label, key in columns.items() if key in required and key not in keys]
    if missing:
        raise ValidationError(f"表头缺少以下列：{'、'.join(missing)}（第1行应为：{'、'.join(columns)}）。")
    return keys, rows, sheet


def _rows(upload, columns=COLUMNS, required=REQUIRED):
    """(line number, {column: text}, [problems]) for each non-blank row below the header. Each text
    is normalised; a cell that cannot be (control characters, garbled text) is a problem of its row."""
    keys, rows, _ = _table(upload, columns, required)
    labels = {key: label for label, key in columns.items()}
    found = False
    for line, values in enumerate(rows, start=2):
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


def roster_row_count(upload):
    """About how many rows follow the header (to choose between the request and a background job),
    refusing at once a file that cannot be read or lacks the header. The file is left at its start."""
    try:
        _, rows, sheet = _table(upload, ROSTER_COLUMNS, ROSTER_REQUIRED)
        if sheet is None:
            return max(sum(chunk.count(b"\n") for chunk in upload.chunks()) - 1, 0)
        # The size a workbook declares spares reading 50,000 rows twice; some writers declare
        # none, and a declared size beyond what may be imported is not believed.
        declared = sheet.max_row
        return declared - 1 if declared and declared <= MAX_ROWS + 1 else sum(1 for _ in rows)
    finally:
        upload.seek(0)


def _year(text):
    match = YEAR.fullmatch(text)
    year = int(match[1]) if match else None
    return year if year and 2000 <= year <= 2100 else None


def _hours(text, maximum):
    """Hours as typed (digits and at most one point: no inf, nan, -0 or 1e309), above 0 and at most `maximum`."""
    if not HOURS.fullmatch(text):
        return None
    hours = Decimal(text).quantize(Decimal("0.1"))
    return hours if Decimal("0") < hours <= maximum else None


def _lengths(values):
    return [f"{LABELS[key]}不能超过{limit}个字" for key, limit in MAX_LENGTHS.items() if len(values.get(key, "")) > limit]


def _id_number(row, problems):
    id_number = normalize_id_number(row.get("id_number"))
    try:
        validate_id_number(id_number)
    except ValidationError as exc:
        problems.append(exc.messages[0])
    return id_number


def _parse(row, problems):
    problems = list(problems)
    id_number = _id_number(row, problems)
    name = row.get("name", "")
    if not name:
        problems.append("姓名不能为空")
    year = _year(row.get("year", ""))
    if year is None:
        problems.append("年度应为四位年份")
    title = row.get("title", "")
    if not title:
        problems.append("培训名称不能为空")
    subject = SUBJECT_BY_LABEL.get(row.get("subject", ""))
    if subject is None:
        problems.append("科目应为“公需科目”或“专业科目”")
    hours = _hours(row.get("hours", ""), MAX_HOURS)
    if hours is None:
        problems.append(f"学时应为大于0且不超过{MAX_HOURS}的数字")
    problems += _lengths(row)
    return problems, dict(id_number=id_number, name=name, year=year, title=title, subject=subject, hours=hours,
                          certificate_no=row.get("certificate_no", ""))


def _kept(report, seen, key, line, problems):
    """Whether a row is imported: not if it has problems, or repeats a row kept before (`seen`:
    key → line); the refused row is reported with its line."""
    if not problems and key in seen:
        problems.append(f"与第{seen[key]}行重复")
    if problems:
        report.errors.append((line, "；".join(problems)))
        return False
    seen[key] = line
    return True


RACED = "部分记录刚刚已由另一次导入写入，本次未导入任何记录，请重新导入（已导入的行会标为“已导入过”）。"


def _store(rows):
    # Another import of the same records may commit between our check and this insert.
    with refused_on_conflict(lambda: ValidationError(RACED)), transaction.atomic():
        TrainingRecord.objects.bulk_create(rows, batch_size=1000)


def training_records_import(*, upload, source, source_org=None, user):
    report = ImportReport()
    seen = {}
    good = []
    for line, row, cell_problems in _rows(upload):
        problems, values = _parse(row, cell_problems)
        if _kept(report, seen, (values["id_number"], values["year"], values["title"]), line, problems):
            good.append((line, values))
    existing = set()
    if good:
        existing = set(
            TrainingRecord.objects.filter(source=source, id_number__in={v["id_number"] for _, v in good})
            .values_list("id_number", "year", "title")
        )
    rows = []
    for line, values in good:
        if (values["id_number"], values["year"], values["title"]) in existing:
            report.errors.append((line, "该记录已导入过"))
            continue
        rows.append(TrainingRecord(source=source, source_org=source_org, imported_by=user, **values))
    _store(rows)
    report.created = len(rows)
    report.errors.sort()
    return report


ROSTER_COLUMNS = {"证件号码": "id_number", "姓名": "name", "学时": "hours"}
ROSTER_REQUIRED = tuple(ROSTER_COLUMNS.values())


def roster_import(*, filing, upload, user):
    """参训人员名单 of an approved, held filing: each attendee's hours become a training record
    they can tick into their declaration. Unknown people, hours above the filed hours and
    duplicates are reported by line; good rows are kept."""
    from accounts.models import User

    rows = list(_rows(upload, ROSTER_COLUMNS, ROSTER_REQUIRED))
    report = ImportReport()
    numbers = {normalize_id_number(r.get("id_number")) for _, r, _ in rows}
    registered = dict(User.objects.filter(id_number__in=numbers).values_list("id_number", "name"))
    title = filing.name[:200]
    taken = set(filing.records.values_list("id_number", flat=True))
    # A record is one per person, year and title (trainingrecord_unique_per_person): another filing
    # of the same name and year has already given these people its hours.
    elsewhere = set(
        TrainingRecord.objects.filter(source="unit_filing", year=filing.year, title=title, id_number__in=numbers)
        .exclude(filing=filing).values_list("id_number", flat=True)
    )
    seen, good = {}, []
    for line, row, problems in rows:
        id_number = _id_number(row, problems)
        if not problems:
            if id_number not in registered:
                problems.append("平台中没有该证件号码的人员")
            elif registered[id_number] != row.get("name", ""):
                problems.append(f"姓名与平台登记的不一致（登记为{registered[id_number]}）")
        hours = _hours(row.get("hours", ""), filing.hours)
        if hours is None:
            problems.append(f"学时应大于0且不超过备案学时{filing.hours}")
        # A repeat of a kept row passes these as that row did: _kept still reports it as a repeat.
        if not problems and id_number in taken:
            problems.append("该人员已在名单中")
        if not problems and id_number in elsewhere:
            problems.append(f"该人员已有{filing.year}年度同名培训“{title}”的学时记录（另一备案的名单）")
        if not _kept(report, seen, id_number, line, problems):
            continue
        good.append(TrainingRecord(
            source="unit_filing", source_org=filing.organisation, filing=filing, id_number=id_number,
            name=registered[id_number], year=filing.year, title=title, subject=filing.course_type,
            hours=hours, imported_by=user,
        ))
    _store(good)
    report.created = len(good)
    return report
