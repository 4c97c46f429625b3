"""Excel downloads of lists: text made safe for a spreadsheet, and the workbook sent as a file
named after the list and the day."""
import tempfile

from django.http import FileResponse
from django.utils import timezone

from .inputs import safe_text

MAX_ROWS = 100_000
# Text starting with one of these is taken for a formula by Excel, WPS and LibreOffice (formula
# injection: a declaration named =HYPERLINK(…) would run when a reviewer opens the export). A
# leading tab or line break, the other way in, is already a space that safe_text strips.
FORMULA_START = ("=", "+", "-", "@")


def cell_text(value):
    """What people typed, as text a spreadsheet takes: through safe_text, since stored text may hold
    control characters (pasted before the input policy), which openpyxl refuses for the whole file;
    then a leading apostrophe keeps a would-be formula a string."""
    if not isinstance(value, str):
        return value
    value = safe_text(value)
    return "'" + value if value.startswith(FORMULA_START) else value


def xlsx_response(workbook, title):
    """The workbook as a download named “<title>-<today>.xlsx”."""
    handle = tempfile.TemporaryFile()
    workbook.save(handle)
    handle.seek(0)
    return FileResponse(
        handle, as_attachment=True, filename=f"{title}-{timezone.localdate():%Y%m%d}.xlsx",
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
