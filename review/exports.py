"""Excel export of a filtered queue, with the columns the page shows (ID numbers masked as on
screen), and the zip of a declaration's materials (打包下载)."""
import zipfile

from django.db.models import Count, Sum
from django.utils import timezone
from openpyxl import Workbook

from core.inputs import safe_text
from core.masking import mask_id_number
from core.spreadsheets import MAX_ROWS, cell_text, xlsx_response
from hours import selectors as hours_selectors
from hours.models import EvidenceCategory

COLUMNS = ["序号", "受理编号", "姓名", "身份证号", "工作单位", "申报年度", "最高学历", "公需科目学时", "专业科目学时", "合计学时", "审核状态", "当前审核单位", "受理时间"]


def queue_xlsx(queryset, title):
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title[:31])
    sheet.append(COLUMNS)
    rows = queryset.select_related(None).select_related("organisation", "current_org")[:MAX_ROWS]
    for n, d in enumerate(rows.iterator(chunk_size=2000), start=1):
        sheet.append([cell_text(value) for value in [
            n, d.business_no, d.name, mask_id_number(d.id_number), d.organisation.name,
            f"{d.start_year}–{d.end_year}" if d.end_year != d.start_year else str(d.start_year), d.education,
            float(d.total_public), float(d.total_professional), float(d.total_hours), d.get_state_display(),
            d.current_org.name if d.current_org else "", timezone.localtime(d.submitted_at).strftime("%Y-%m-%d %H:%M") if d.submitted_at else "",
        ]])
    return xlsx_response(workbook, title)


# A case bigger than this is zipped by a background job (core/jobs.py) rather than in the request.
ZIP_IN_REQUEST_MAX_FILES = 50
ZIP_IN_REQUEST_MAX_BYTES = 20 * 1024 * 1024


def case_zip_filename(declaration):
    return safe_text(f"{declaration.business_no}-{declaration.name}-材料.zip")


def case_zip_is_large(declaration):
    size = declaration.evidence.aggregate(files=Count("id"), bytes=Sum("size"))
    return size["files"] > ZIP_IN_REQUEST_MAX_FILES or (size["bytes"] or 0) > ZIP_IN_REQUEST_MAX_BYTES


def case_zip_write(declaration, handle, *, on_file=None):
    """Every material of the declaration into `handle` as a zip, under readable Chinese names
    (年度/活动/材料-原文件名); `on_file` is called after each file. Returns the number of files."""
    policy = hours_selectors.declaration_workspace(declaration)["policy"]
    used = set()
    count = 0
    with zipfile.ZipFile(handle, "w", zipfile.ZIP_DEFLATED) as archive:
        for evidence in declaration.evidence.select_related("item__year_record"):
            if evidence.item_id:
                activity = policy.activities.get(evidence.item.activity)
                folder = f"{evidence.item.year_record.year}年度/{activity.label if activity else evidence.item.activity}"
                # One scan may serve several materials: its name says each of them.
                codes = evidence.materials or ([evidence.material] if evidence.material else [])
                prefix = "、".join(policy.materials.get(code, code) for code in codes) + "-" if codes else ""
            else:
                folder, prefix = EvidenceCategory(evidence.category).label, ""
            # Stored names may hold what an unzip program or a file system chokes on.
            name = safe_text(f"{folder}/{prefix}{evidence.original_name}")
            stem, dot, ext = name.rpartition(".")
            n = 1
            while name in used:
                n += 1
                name = f"{stem}({n}){dot}{ext}"
            used.add(name)
            # Copied in chunks: a 20 MB scan is never held in memory whole.
            with evidence.file.open("rb") as source, archive.open(name, "w") as target:
                while chunk := source.read(1024 * 1024):
                    target.write(chunk)
            count += 1
            if on_file:
                on_file()
    return count
