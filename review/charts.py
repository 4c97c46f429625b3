"""查询统计's charts: SVG drawn on the server by pygal, inlined in the page. No script, no external
address and no inline style (the site's Content-Security-Policy allows only its own stylesheets, and
an inline <svg> is part of the page): pygal's <style> element, comments, namespaces and style
attributes are taken out, and portal.css (section C) draws the chart's classes."""
import re

import pygal
from pygal.style import Style
from django.utils.html import escape
from django.utils.safestring import mark_safe
from lxml import etree

# pygal sizes the axes' label room from these sizes as if for Latin letters; portal.css draws the
# labels at 12px, so telling it 18px leaves room for Chinese characters (about 1em wide each).
STYLE = Style(label_font_size=18, major_label_font_size=18, no_data_font_size=18)
LABEL_CHARS = 12
CONFIG = dict(
    style=STYLE,
    js=[], css=[], tooltips=False, disable_xml_declaration=True, explicit_size=False, show_legend=False,
    print_values=False, width=600, height=240, margin=12, max_scale=6, x_label_rotation=0,
    show_minor_y_labels=True, no_data_text="暂无数据",
)


def _inline(chart, title_id, title):
    """The chart as inline SVG markup: an image named by its <title>."""
    tree = chart.render_tree()
    for element in list(tree.iter()):
        if element.tag is etree.Comment or (isinstance(element.tag, str) and element.tag.rsplit("}", 1)[-1] in {"style", "script", "title"}):
            element.getparent().remove(element)
        elif isinstance(element.tag, str):
            element.attrib.pop("style", None)
    svg = etree.tostring(tree, encoding="unicode")
    svg = re.sub(r'\s+xmlns(:\w+)?="[^"]*"', "", svg)
    svg = re.sub(r"\bid=\"chart-[^\"]*\"", "", svg, count=1)
    heading = f'<title id="{title_id}">{escape(title)}</title>'
    svg = re.sub(r"^<svg\b([^>]*)>", lambda m: f'<svg{m.group(1)} role="img" aria-labelledby="{title_id}">{heading}', svg, count=1)
    return mark_safe(svg)


def rate_by_child(rows, title):
    """Bars: 达标率 of each child of the level (units without staff have none)."""
    chart = pygal.HorizontalBar(**CONFIG, range=(0, 100), y_labels=[0, 25, 50, 75, 100], value_formatter=lambda v: f"{v:.0f}%")
    chart.height = max(160, 40 + 32 * len(rows))
    # pygal does not shorten a horizontal bar's labels; the table beside the chart has the full names.
    chart.x_labels = [label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "…" for label, _ in rows]
    chart.add("达标率", [None if rate is None else float(rate) for _, rate in rows])
    return _inline(chart, "chart-rate-title", title)


def _round_up(value):
    """The smallest of 4, 8, 20, 40, 80, 100, 200 … at least `value`: its quarters are round numbers."""
    tops = [4, 8] + [m * 10**k for k in range(1, 12) for m in (2, 4, 8, 10)]
    return next(top for top in tops if top >= value)


def over_years(points, title):
    """A line over the years: 达标率 (left axis) and 已认定学时 (right axis). The legend is the page's
    (pygal's at the bottom reserves half the height)."""
    top = _round_up(max((float(hours) for _, _, hours in points), default=0))
    # Both axes from 0 in quarters, so that their grid lines meet and the hours never seem to start at zero
    # where they do not.
    chart = pygal.Line(**CONFIG, range=(0, 100), y_labels=[0, 25, 50, 75, 100], secondary_range=(0, top))
    chart.x_labels = [str(year) for year, _, _ in points]
    chart.add("达标率（%）", [None if rate is None else float(rate) for _, rate, _ in points])
    chart.add("已认定学时", [float(hours) for _, _, hours in points], secondary=True)
    return _inline(chart, "chart-years-title", title)
