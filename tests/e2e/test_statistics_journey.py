"""查询统计 in Chromium: the provincial clerk opens 继续教育学时统计, drills down from the province to a
city (长沙), a department (长沙市卫生健康委员会) and a unit (长沙市第一医院), goes back up by the
breadcrumb and downloads the Excel export. Every page is checked with axe-core, and the browser
reports no Content-Security-Policy refusal (the charts are inline SVG without script or style)."""
import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from tests.e2e.pages import open_menu

pytestmark = pytest.mark.e2e


def drill(journey, page, name, shot):
    table = page.get_by_role("table", name="学时达标情况")
    journey.navigate(page, table.get_by_role("link", name=name, exact=True).click, shot=shot)
    expect(page.get_by_role("navigation", name="统计层级").locator("[aria-current=page]")).to_have_text(name)


def test_statistics_drill_down_and_export(journey, tmp_path):
    refusals = []
    page = journey.sign_in("hn_clerk")
    page.on("console", lambda message: "Content Security Policy" in message.text and refusals.append(message.text))
    open_menu(journey, page, "继续教育学时统计", shot="province")
    expect(page.get_by_role("img", name="历年达标率与已认定学时")).to_be_visible()
    expect(page.get_by_text("数据随每次审核实时更新（截至")).to_be_visible()

    drill(journey, page, "长沙市", "city")
    drill(journey, page, "长沙市卫生健康委员会", "department")
    drill(journey, page, "长沙市第一医院", "unit")
    expect(page.get_by_role("table", name="学时达标情况").get_by_role("rowheader", name="长沙市第一医院（本级）")).to_be_visible()

    # Back up to the city by the breadcrumb, then the export of what the page shows.
    crumbs = page.get_by_role("navigation", name="统计层级")
    journey.navigate(page, crumbs.get_by_role("link", name="长沙市", exact=True).click)
    with page.expect_download() as download:
        page.get_by_role("link", name="导出Excel").click()
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    book = load_workbook(path, read_only=True)
    assert book.sheetnames == ["学时达标情况", "申报审核情况", "审核用时与督办", "历年学时达标情况"]
    names = {row[0] for row in book["学时达标情况"].iter_rows(min_row=3, values_only=True)}
    assert names == {"长沙市卫生健康委员会", "长沙智造科技有限公司", "合计"}
    assert not refusals, refusals
    journey.finish()
