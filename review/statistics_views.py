"""查询统计's page and its Excel export: the tables are built once here, for the page and the workbook."""
from dataclasses import dataclass
from decimal import Decimal

from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook

from accounts.access import role_required
from accounts.models import Role
from core.inputs import parse_id
from core.spreadsheets import cell_text, xlsx_response
from workflow.models import State

from . import charts, statistics

DASH = "—"


@dataclass
class Table:
    key: str
    title: str
    columns: list
    rows: list  # (link or None, [cell, …]); the first cell names the row
    total: list | None = None  # the scope's cells, or None

    def labelled(self):
        """Each row's cells with their column's name (the data-label of the list tables)."""
        return [(link, list(zip(self.columns, cells))) for link, cells in self.rows]

    def labelled_total(self):
        return list(zip(self.columns, self.total)) if self.total else None


def _rate(figures):
    return DASH if figures.rate is None else f"{figures.rate:.1f}%"


def _hours(value):
    return value.quantize(Decimal("0.1"))


def _days(value):
    return DASH if value is None else f"{value.normalize():f}"


def _tables(stats, link):
    levels = [(state, label.removeprefix("待")) for state, label in stats.levels]
    named = [(link(row.node), row.node.label, row.figures) for row in stats.rows]
    total = ("合计", stats.scope)

    def table(key, title, columns, cells):
        return Table(key, title, columns, [(url, [name, *cells(f)]) for url, name, f in named], [total[0], *cells(total[1])])

    return [
        table(
            "met", "学时达标情况", ["单位/地区", "在册人数", "申报人数", "达标人数", "达标率", "已认定公需科目学时", "已认定专业科目学时"],
            lambda f: [f.staff, f.declared, f.met, _rate(f), _hours(f.public), _hours(f.professional)],
        ),
        table(
            "states", "申报审核情况", ["单位/地区", *(State(s).label for s in statistics.STATES)],
            lambda f: [f.states[s] for s in statistics.STATES],
        ),
        table(
            "levels", "审核用时与督办",
            ["单位/地区", *(f"{label}用时" for _, label in levels), *(f"{label}督办" for _, label in levels)],
            lambda f: [*(_days(f.median_days(s)) for s, _ in levels), *(f.overdue[s] for s, _ in levels)],
        ),
        Table(
            "years", "历年学时达标情况", ["年度", "申报人数", "达标人数", "达标率", "已认定公需科目学时", "已认定专业科目学时"],
            [(None, [str(y), f.declared, f.met, _rate(f), _hours(f.public), _hours(f.professional)]) for y, f in stats.by_year],
        ),
    ]


def _xlsx(tables, stats, now):
    workbook = Workbook(write_only=True)
    for t in tables:
        sheet = workbook.create_sheet(t.title[:31])
        sheet.append([cell_text(f"{stats.node.label} {stats.year}年度 {t.title}（截至{now:%Y-%m-%d %H:%M}）")])
        sheet.append(t.columns)
        for _, cells in t.rows + ([(None, t.total)] if t.total else []):
            sheet.append([cell_text(c) if isinstance(c, str) else float(c) if not isinstance(c, int) else c for c in cells])
    return xlsx_response(workbook, f"继续教育学时统计-{stats.year}")


@role_required(Role.DEPT_ADMIN, Role.BUREAU_CLERK)
def statistics_page(request):
    """查询统计 (继续教育学时统计): the jurisdiction's figures, level by level."""
    stats = statistics.statistics(user=request.user, org_id=parse_id(request.GET.get("org")), year=parse_id(request.GET.get("year")))
    if stats is None:
        raise Http404("不在您的统计范围内。")
    base = reverse("review:statistics")

    def link(node):
        if node.own or node.org is None:
            return None
        return f"{base}?year={stats.year}&org={node.key}"

    tables = _tables(stats, link)
    now = timezone.localtime()
    if request.GET.get("export") == "xlsx":
        return _xlsx(tables, stats, now)
    crumbs = [(node.label, link(node) if node.org else f"{base}?year={stats.year}") for node in stats.crumbs]
    rated = [(row.node.label, row.figures.rate) for row in stats.rows]
    return render(request, "review/statistics.html", {
        "stats": stats, "tables": tables, "crumbs": crumbs, "now": now,
        "summary": list(zip(tables[0].columns[1:], tables[0].total[1:])),  # the scope's line of 学时达标情况
        "years": statistics.years()[::-1],
        "rate_chart": charts.rate_by_child(rated, f"{stats.year}年度{stats.node.label}各下级达标率"),
        "years_chart": charts.over_years(
            [(y, f.rate, f.public + f.professional) for y, f in stats.by_year], "历年达标率与已认定学时"
        ),
        "export_query": f"?year={stats.year}&org={stats.node.key or ''}&export=xlsx",
    })
