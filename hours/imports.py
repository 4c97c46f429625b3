"""Importing training records (事业单位工作人员培训平台, 继续教育基地) from an Excel or CSV file:
every row is checked, bad rows are reported with their line numbers, good rows are kept."""
import csv
import io
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from openpyxl import load_workbook

from accounts.validators import normalize_id_number, validate_id_number

from .models import TrainingRecord

COLUMNS = {"证件号码": "id_number", "姓名": "name", "年度": "year", "培训名称": "title", "科目": "subject", "学时": "hours", "证书编号": "certificate_no"}
REQUIRED = ("id_number", "name", "year", "title", "subject", "hours")
SUBJECTS = {"公需科目": "public", "公需": "public", "专业科目": "professional", "专业": "professional"}
MAX_HOURS = Decimal("200")
MAX_ROWS = 50000


@dataclass
class ImportReport:
    created: int = 0
    errors: list = field(default_factory=list)  # (line number, message)

    @property
    def failed(self):
        return len(self.errors)


def _rows(upload, columns=COLUMNS, required=REQUIRED):
    """(line number, {column: text}) pairs from an .xlsx or .csv (UTF-8 or GBK) file."""
    name = (upload.name or "").lower()
    data = upload.read()
    if name.endswith(".xlsx"):
        try:
            sheet = load_workbook(io.BytesIO(data), read_only=True, data_only=True).active
        except Exception:
            raise ValidationError("无法读取该Excel文件，请使用模板另存为.xlsx后重新上传。")
        rows = ([("" if v is None else str(v)).strip() for v in row] for row in sheet.iter_rows(values_only=True))
    elif name.endswith(".csv"):
        for encoding in ("utf-8-sig", "gbk"):
            try:
                text = data.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise ValidationError("无法识别CSV文件的编码，请另存为UTF-8编码。")
        rows = ([v.strip() for v in row] for row in csv.reader(io.StringIO(text)))
    else:
        raise ValidationError("只能导入.xlsx或.csv文件。")
    header = next(rows, None)
    if not header:
        raise ValidationError("文件为空。")
    keys = [columns.get(h) for h in header]
    missing = [label for label, key in columns.items() if key in required and key not in keys]
    if missing:
        raise ValidationError(f"表头缺少以下列：{'、'.join(missing)}（第1行应为：{'、'.join(columns)}）。")
    for line, values in enumerate(rows, start=2):
        if line > MAX_ROWS + 1:
            raise ValidationError(f"一次最多导入{MAX_ROWS}行，请拆分文件。")
        if not any(values):
            continue
        yield line, {key: (values[i] if i < len(values) else "") for i, key in enumerate(keys) if key}


def row_count(upload):
    """Roughly how many rows follow the header, cheaply (to choose between the request and a
    background job); 0 for what _rows will refuse anyway. The file is left at its start."""
    name = (upload.name or "").lower()
    try:
        if name.endswith(".csv"):
            lines = sum(chunk.count(b"\n") for chunk in upload.chunks())
        elif name.endswith(".xlsx"):
            lines = load_workbook(upload, read_only=True).active.max_row or 0
        else:
            lines = 0
    except Exception:  # noqa: BLE001 - unreadable: the import in the request says why
        lines = 0
    finally:
        upload.seek(0)
    return max(lines - 1, 0)


def _parse(row):
    problems = []
    id_number = normalize_id_number(row.get("id_number"))
    try:
        validate_id_number(id_number)
    except ValidationError as exc:
        problems.append(exc.messages[0])
    name = row.get("name", "").strip()
    if not name:
        problems.append("姓名不能为空")
    try:
        year = int(float(row.get("year", "")))
        if not 2000 <= year <= 2100:
            raise ValueError
    except ValueError:
        problems.append("年度应为四位年份")
        year = None
    title = row.get("title", "").strip()
    if not title:
        problems.append("培训名称不能为空")
    subject = SUBJECTS.get(row.get("subject", "").strip())
    if subject is None:
        problems.append("科目应为“公需科目”或“专业科目”")
    try:
        hours = Decimal(row.get("hours", "")).quantize(Decimal("0.1"))
        if not Decimal("0") < hours <= MAX_HOURS:
            raise InvalidOperation
    except InvalidOperation:
        problems.append(f"学时应为大于0且不超过{MAX_HOURS}的数字")
        hours = None
    return problems, dict(id_number=id_number, name=name, year=year, title=title[:200], subject=subject, hours=hours,
                          certificate_no=row.get("certificate_no", "")[:60])


def training_records_import(*, upload, source, source_org=None, user):
    report = ImportReport()
    seen = {}
    good = []
    for line, row in _rows(upload):
        problems, values = _parse(row)
        key = (values["id_number"], values["year"], values["title"])
        if not problems and key in seen:
            problems.append(f"与第{seen[key]}行重复")
        if problems:
            report.errors.append((line, "；".join(problems)))
            continue
        seen[key] = line
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
    with transaction.atomic():
        TrainingRecord.objects.bulk_create(rows, batch_size=1000)
    report.created = len(rows)
    report.errors.sort()
    return report


ROSTER_COLUMNS = {"证件号码": "id_number", "姓名": "name", "学时": "hours"}


def roster_import(*, filing, upload, user):
    """参训人员名单 of an approved, held filing: each attendee's hours become a training record
    they can tick into their declaration. Unknown people, hours above the filed hours and
    duplicates are reported by line; good rows are kept."""
    from accounts.models import User

    rows = list(_rows(upload, ROSTER_COLUMNS, tuple(ROSTER_COLUMNS.values())))
    report = ImportReport()
    registered = dict(
        User.objects.filter(id_number__in={normalize_id_number(r.get("id_number")) for _, r in rows})
        .values_list("id_number", "name")
    )
    taken = set(filing.records.values_list("id_number", flat=True))
    seen, good = {}, []
    for line, row in rows:
        problems = []
        id_number = normalize_id_number(row.get("id_number"))
        try:
            validate_id_number(id_number)
        except ValidationError as exc:
            problems.append(exc.messages[0])
        else:
            if id_number not in registered:
                problems.append("平台中没有该证件号码的人员")
            elif registered[id_number] != row.get("name", "").strip():
                problems.append(f"姓名与平台登记的不一致（登记为{registered[id_number]}）")
        try:
            hours = Decimal(row.get("hours", "")).quantize(Decimal("0.1"))
            if not Decimal("0") < hours <= filing.hours:
                raise InvalidOperation
        except InvalidOperation:
            problems.append(f"学时应大于0且不超过备案学时{filing.hours}")
            hours = None
        if not problems and id_number in seen:
            problems.append(f"与第{seen[id_number]}行重复")
        if not problems and id_number in taken:
            problems.append("该人员已在名单中")
        if problems:
            report.errors.append((line, "；".join(problems)))
            continue
        seen[id_number] = line
        good.append(TrainingRecord(
            source="unit_filing", source_org=filing.organisation, filing=filing, id_number=id_number,
            name=registered[id_number], year=filing.year, title=filing.name[:200], subject=filing.course_type,
            hours=hours, imported_by=user,
        ))
    with transaction.atomic():
        TrainingRecord.objects.bulk_create(good, batch_size=1000)
    report.created = len(good)
    return report
