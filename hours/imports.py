"""Importing training records (事业单位工作人员培训平台, 继续教育基地) from an Excel or CSV file:
every row is checked, bad rows are reported with their line numbers, good rows are kept. Reading
the file (its refusals and bounds) is core/imports.py's."""
import re
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q

from accounts.validators import normalize_id_number, validate_id_number
from core.constraints import refused_on_conflict
from core import imports as reading

from .models import TrainingRecord

COLUMNS = {"证件号码": "id_number", "姓名": "name", "年度": "year", "培训名称": "title", "科目": "subject", "学时": "hours", "证书编号": "certificate_no"}
LABELS = {key: label for label, key in COLUMNS.items()}
REQUIRED = ("id_number", "name", "year", "title", "subject", "hours")
# The 科目 column's words, full or short, to the subject code.
SUBJECT_BY_LABEL = {"公需科目": "public", "公需": "public", "专业科目": "professional", "专业": "professional"}
MAX_HOURS = Decimal("200")
# What the database holds (TrainingRecord): a longer cell is its row's error, not a cut.
MAX_LENGTHS = {"name": 50, "title": 200, "certificate_no": 60}
YEAR = re.compile(r"(\d{4})(?:\.0*)?")  # 2023, or 2023.0 from a spreadsheet number
HOURS = re.compile(r"\d{1,6}(?:\.\d{1,17})?")


@dataclass
class ImportReport:
    created: int = 0
    errors: list = field(default_factory=list)  # (line number, message)

    @property
    def failed(self):
        return len(self.errors)


def roster_row_count(upload):
    """About how many rows follow the header (to choose between the request and a background job),
    refusing at once a file that cannot be read or lacks the header. The file is left at its start."""
    try:
        _, lines, sheet = reading.table(upload, ROSTER_COLUMNS, ROSTER_REQUIRED)
        if sheet is None:
            return max(sum(chunk.count(b"\n") for chunk in upload.chunks()) - 1, 0)
        # The size a workbook declares spares reading 50,000 rows twice; some writers declare
        # none, and a declared size beyond what may be imported is not believed.
        declared = sheet.max_row
        return declared - 1 if declared and declared <= reading.MAX_ROWS + 1 else sum(1 for _ in lines)
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
    for line, row, cell_problems in reading.rows(upload, COLUMNS, REQUIRED):
        problems, values = _parse(row, cell_problems)
        if _kept(report, seen, (values["id_number"], values["year"], values["title"]), line, problems):
            good.append((line, values))
    existing = set()
    if good:
        # The same training pushed through the API by this base (any 来源类别) is already here too.
        same_channel = Q(source=source) | Q(source_org=source_org) if source_org else Q(source=source)
        existing = set(
            TrainingRecord.objects.filter(same_channel, id_number__in={v["id_number"] for _, v in good})
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

    rows = list(reading.rows(upload, ROSTER_COLUMNS, ROSTER_REQUIRED))
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
