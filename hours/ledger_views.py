"""本单位人员学时情况 and 催报: the unit's (or the department's subtree's) staff with their hours for a
year or a span, its Excel export, and reminders to the ticked people or to everyone the filter finds."""
import hashlib

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST
from openpyxl import Workbook

from accounts.access import role_required
from accounts.models import Role, User
from accounts.roles import has_role
from core.forms import filters_of
from core.masking import mask_id_number
from core.spreadsheets import MAX_ROWS, cell_text, xlsx_response

from . import ledger, services
from .forms import StaffLedgerFilterForm, StaffRemindForm

TITLE = "本单位人员学时情况"
PAGE_SIZE = 20
# 催报 to more people than this at once is refused: a department's whole subtree is a job for
# narrower filters (one unit, 未申报), each still one click.
REMIND_MAX = 1000
FILTER_REFUSED = "筛选条件有误，未发送催报，请修改筛选条件后重新查询。"


def _filters(request, data):
    """(the filter form, the filter it asks for with the tab as `status`, or None when either is
    invalid: filters fail closed, so an invalid one lists, exports and reminds nobody)."""
    units = list(ledger.units(request.user)) if has_role(request.user, Role.DEPT_ADMIN) else None
    asked = _query(data, "page")
    status = asked.pop("status", [""])[-1] or "all"
    known = status in dict(ledger.STATUSES)
    form = StaffLedgerFilterForm(asked if asked or not known else None, units=units, initial={"start_year": timezone.localdate().year})
    filters = filters_of(form, {})
    if not known:
        form.add_error(None, "所选的达标情况无效，请点击上方的标签重新选择。")
        return form, None
    return form, filters if filters is None else {**filters, "status": status}


def _query(data, *drop):
    query = data.copy()
    for key in ("export", "pick", *drop):
        query.pop(key, None)
    return query


def _ledger_url(filters):
    """The ledger with the query a 催报 form carried (re-encoded: it came from the browser)."""
    query = _query(QueryDict(filters or "")).urlencode()
    return reverse("hours:staff_ledger") + (f"?{query}" if query else "")


@role_required(Role.UNIT_ADMIN, Role.DEPT_ADMIN)
def staff_ledger(request):
    form, filters = _filters(request, request.GET)
    span = ledger.span_of(filters or {}, timezone.localdate())
    status = (filters or {}).get("status") or "all"
    reference = ledger.reference_total()
    if filters is None:
        rows, counts = User.objects.none(), dict.fromkeys(dict(ledger.STATUSES), 0)
        if request.GET.get("export") == "xlsx":
            messages.error(request, "筛选条件有误，请修改后再导出。")
    else:
        rows = ledger.staff(user=request.user, filters=filters, span=span)
        if request.GET.get("export") == "xlsx":
            return _xlsx(rows, span, reference)
        counts = ledger.counts(ledger.staff(user=request.user, filters={**filters, "status": "all"}, span=span), span)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = ledger.figured(page.object_list, span, reference)
    query = _query(request.GET)
    tabs = []
    for key, label in ledger.STATUSES:
        tab = _query(query, "page", "status")
        if key != "all":
            tab["status"] = key
        tabs.append((f"{label}（{counts[key]}）", "?" + tab.urlencode(), key == status))
    picked = {row.pk for row in page.object_list} if request.GET.get("pick") == "page" else set()
    pick_page = query.copy()
    pick_page["pick"] = "page"
    return render(
        request, "hours/staff_ledger.html",
        {
            "form": form, "page": page, "span": span, "tabs": tabs, "picked": picked, "show_unit": "unit" in form.fields,
            "filters_query": _query(query, "page").urlencode(), "pick_page_query": pick_page.urlencode(),
            "several_years": span.years > 1, "reference": reference,
        },
        status=200 if filters is not None else 400,
    )


COLUMNS = ["序号", "姓名", "证件号码", "单位", "年度", "已认定公需科目学时", "已认定专业科目学时", "已认定学时合计", "审核中学时",
           "学时要求", "短缺学时", "达标年数", "未达标年数", "最近申报状态", "最近催报时间", "催报人"]


def _xlsx(rows, span, reference):
    """Exactly the rows the filter selects, with the page's columns (ID numbers masked as on screen)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(TITLE)
    sheet.append(COLUMNS)
    found = ledger.figured(rows[:MAX_ROWS].iterator(chunk_size=2000), span, reference)
    for n, row in enumerate(found, start=1):
        reminded = timezone.localtime(row.reminded_at).strftime("%Y-%m-%d %H:%M") if row.reminded_at else ""
        sheet.append([cell_text(value) for value in [
            n, row.name, mask_id_number(row.id_number), row.organisation.name if row.organisation else "", str(span),
            float(row.public), float(row.professional), float(row.total), float(row.pending), float(row.required), float(row.shortfall),
            row.years_met, row.years_short, row.latest_label, reminded, row.reminded_by or "",
        ]])
    return xlsx_response(workbook, TITLE)


def _fingerprint(ids):
    """Names exactly which people a confirmation page offered to remind."""
    return hashlib.sha256(",".join(map(str, sorted(ids))).encode()).hexdigest()


def _refused(request, back, errors):
    for error in errors:
        messages.error(request, error)
    return redirect(back)


@require_POST
@role_required(Role.UNIT_ADMIN, Role.DEPT_ADMIN)
def staff_remind(request):
    form = StaffRemindForm(request.POST)
    back = _ledger_url(form.data.get("filters", ""))
    if not form.is_valid():
        return _refused(request, back, [e for errors in form.errors.values() for e in errors])
    data = form.cleaned_data
    # The ledger's filter is checked again here: an invalid one must not widen into "everyone".
    _, filters = _filters(request, QueryDict(data["filters"]))
    if filters is None:
        return _refused(request, back, [FILTER_REFUSED])
    span = ledger.span_of(filters, timezone.localdate())
    if data["scope"] == "filtered":
        rows = ledger.staff(user=request.user, filters=filters, span=span)
        ids = list(rows.values_list("pk", flat=True)[: REMIND_MAX + 1])
        if not ids:
            return _refused(request, back, ["筛选结果中没有人员。"])
        if len(ids) > REMIND_MAX:
            return _refused(request, back, [f"一次最多向{REMIND_MAX}人催报，请按单位或达标情况缩小筛选范围。"])
        fingerprint = _fingerprint(ids)
        if not data["confirmed"] or data["fingerprint"] != fingerprint:
            if data["confirmed"]:
                messages.warning(request, f"筛选结果已变化（确认时为 {data['count']} 人，现为 {len(ids)} 人），请核对后重新确认。")
            return render(
                request, "hours/staff_remind_confirm.html",
                {"count": len(ids), "fingerprint": fingerprint, "filters": data["filters"], "span": span, "back": back},
            )
        rows = rows.filter(pk__in=ids)
    else:
        ids = data["ids"]
        rows = ledger.staff(user=request.user, filters={}, span=span).filter(pk__in=ids)
    people = ledger.figured(rows, span, ledger.reference_total())
    # Someone ticked who is not (or no longer) this administrator's staff: nobody is reminded.
    if len(people) != len(ids):
        return _refused(request, back, ["所选人员中有不在本单位管理范围内的人员，未发送催报，请刷新页面后重新勾选。"])
    sent, skipped = services.staff_remind(user=request.user, people=people, span=span, today=timezone.localdate())
    messages.success(request, f"已向 {sent} 人发送催报，{skipped} 人今日已催报。")
    return redirect(back)
