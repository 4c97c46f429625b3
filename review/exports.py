"""Excel export of a filtered queue, with the columns the page shows (ID numbers masked as on screen)."""
import tempfile

from django.http import FileResponse
from django.utils import timezone
from openpyxl import Workbook

from accounts.masking import mask_id_number

COLUMNS = ["序号", "受理编号", "姓名", "身份证号", "工作单位", "申报年度", "最高学历", "公需科目学时", "专业科目学时", "合计学时", "审核状态", "当前审核单位", "受理时间"]
MAX_ROWS = 100_000


def queue_xlsx(queryset, title):
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title[:31])
    sheet.append(COLUMNS)
    rows = queryset.select_related(None).select_related("organisation", "current_org")[:MAX_ROWS]
    for n, d in enumerate(rows.iterator(chunk_size=2000), start=1):
        sheet.append([
            n, d.business_no, d.name, mask_id_number(d.id_number), d.organisation.name,
            f"{d.start_year}–{d.end_year}" if d.end_year != d.start_year else str(d.start_year), d.education,
            float(d.total_public), float(d.total_professional), float(d.total_hours), d.get_state_display(),
            d.current_org.name if d.current_org else "", timezone.localtime(d.submitted_at).strftime("%Y-%m-%d %H:%M") if d.submitted_at else "",
        ])
    handle = tempfile.TemporaryFile()
    workbook.save(handle)
    handle.seek(0)
    filename = f"{title}-{timezone.localdate():%Y%m%d}.xlsx"
    return FileResponse(
        handle, as_attachment=True, filename=filename,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
