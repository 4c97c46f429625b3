"""Clicks and page loads for the applicant's heaviest task, counted as a person does it in Chromium:
declare one year with two learning forms and every file they need, then submit. The budget is the
issue's (half of what it took before: 42 actions and 13 page loads as counted here, 48 clicks by
hand): at most 24 user actions and 6 page loads. What made the difference, each still working
without JavaScript: the year's block made with the span (no 新增年度明细), last year and 半天数 0
as defaults, items saved in place with the same learning form left open for the next, uploads in
place that start when the file is chosen with the next missing material ticked, one file input per
declaration-level material. The figures are printed at the end of the run and written to
var/e2e-screenshots/actions.txt; the workspace is photographed complete at 1366 and 390 pixels
wide, where the page must not scroll sideways."""
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.e2e.pages import ZHAO, declaration_of, field, flash, general_row, item_block, scan, year_article
from workflow.models import State

pytestmark = pytest.mark.e2e

ACTIONS_BUDGET = 24
LOADS_BUDGET = 6
ITEMS = [
    ("training", {"科目类别": "公需科目", "整天数": 4, "培训名称": "公需科目培训班"}, ["培训通知", "结业证书"]),
    ("training", {"科目类别": "专业科目", "整天数": 8, "培训名称": "地质勘查专业培训"}, ["培训通知", "结业证书"]),
]
WIDTHS = [(1366, 900), (390, 844)]


def fits(page, width, height):
    """The page at this size: nothing wider than the window (checked, and photographed by the journey)."""
    page.set_viewport_size({"width": width, "height": height})
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"{page.url} 在 {width}px 宽时横向滚动（页面宽 {scroll}px）"


def test_declare_one_year_with_two_items(journey, tmp_path):
    year = timezone.localdate().year - 1  # what step 6 offers first
    page = journey.sign_in(ZHAO)
    with journey.counting("申报一个年度（两个学习项目及其材料）") as tally:
        menu = page.get_by_role("navigation", name="主菜单")
        journey.navigate(page, lambda: journey.click(menu.get_by_role("link", name="学时核认申报", exact=True)))
        journey.navigate(page, lambda: journey.click(page.get_by_role("link", name="新增学时核认申报")))
        expect(page.get_by_label("申报起始年度")).to_have_value(str(year))
        expect(page.get_by_label("申报终止年度")).to_have_value(str(year))
        journey.choose(page.get_by_label("拟申报职称"), value="中级")
        journey.choose(page.get_by_label("申报大类"), value="工程技术")
        journey.fill(page.get_by_label("子专业名称"), "地质勘查")
        journey.navigate(page, lambda: journey.click(page.get_by_role("button", name="下一步")))

        article = year_article(page, year)
        expect(article).to_be_visible()  # made with the span
        journey.choose(article.get_by_label("添加学习项目："), value="training")
        for n, (activity, facts, _) in enumerate(ITEMS):
            form = article.locator(".item-form form")
            expect(form).to_be_visible()  # the same learning form stays open after a save
            expect(field(form, "半天数")).to_have_value("0")
            for label, value in facts.items():
                box = field(form, label)
                if box.evaluate("e => e.tagName") == "SELECT":
                    journey.choose(box, label=value)
                else:
                    journey.fill(box, value)
            journey.click(form.get_by_role("button", name="保存学习项目"))
            expect(article.locator("li.item")).to_have_count(n + 1)
            expect(flash(page)).to_contain_text("已添加")
        journey.look(page, state="items-added")
        for _, facts, materials in ITEMS:
            item = item_block(page, year, facts["培训名称"])
            for n, material in enumerate(materials):
                # The next missing material is offered ticked; anything else would be a tick more.
                for box in item.get_by_role("checkbox").all():
                    wanted = box.get_attribute("value") == item.get_by_label(material, exact=True).get_attribute("value")
                    if box.is_checked() != wanted:
                        journey.click(box)
                journey.attach(item.get_by_label("选取文件"), scan(tmp_path, f"{facts['培训名称']}-{material}"))
                expect(item.locator("li.file")).to_have_count(n + 1)
                expect(item.locator("li.file").nth(n)).to_contain_text(material)
        for category in ("学历信息", "学时上传"):
            row = general_row(page, category)
            journey.attach(row.get_by_label(re.compile("选取文件")), scan(tmp_path, category))
            expect(row.locator("li.file")).to_have_count(1)
        section = page.locator("#submit")
        expect(section).to_contain_text("申报内容已完整")
        for width, height in WIDTHS:
            fits(page, width, height)
            journey.look(page, f"workspace-complete-{width}", state=f"complete-{width}")
        page.set_viewport_size({"width": 1280, "height": 900})
        journey.tick(section.get_by_label(re.compile("承诺以上信息真实有效")))
        journey.navigate(page, lambda: journey.click(section.get_by_role("button", name="提交")))
        expect(flash(page)).to_contain_text("已提交，等待审核")
    declaration = declaration_of(ZHAO)
    assert declaration.state == State.UNIT_REVIEW
    assert (declaration.start_year, declaration.end_year, declaration.total_public, declaration.total_professional) == (year, year, 32, 64)
    print(tally)
    assert tally.clicks <= ACTIONS_BUDGET, f"{tally.task}: {tally.clicks} 次操作，预算 {ACTIONS_BUDGET}"
    assert tally.loads <= LOADS_BUDGET, f"{tally.task}: {tally.loads} 次页面加载，预算 {LOADS_BUDGET}"

    # The pages of the task at both widths: step 6 and the detail page with its materials.
    journey.navigate(page, lambda: page.goto(f"/hours/{declaration.pk}/"))
    expect(page.locator("#materials")).to_contain_text("公需科目培训班")
    for width, height in WIDTHS:
        fits(page, width, height)
        journey.look(page, f"detail-{width}")
        journey.navigate(page, lambda: page.goto("/hours/new/"))
        fits(page, width, height)
        journey.look(page, f"step6-{width}")
        journey.navigate(page, lambda: page.goto(f"/hours/{declaration.pk}/"))
    journey.finish()


def test_the_workspace_works_without_javascript(journey, tmp_path):
    """The same pages with scripts off: every action a plain form and a page load, back at the item
    it was about, and a refused form never left on an address that would send it again on reload."""
    from tests.helpers import DEMO_PASSWORD

    year = timezone.localdate().year - 1
    page = journey.context(java_script_enabled=False)
    page.goto("/accounts/login/")
    page.get_by_label("证件号码或用户名").fill(ZHAO)
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    journey.navigate(page, lambda: page.get_by_role("button", name="登录").click())
    journey.navigate(page, lambda: page.goto("/hours/new/"))
    page.get_by_label("拟申报职称").select_option("中级")
    page.get_by_label("申报大类").select_option("工程技术")
    page.get_by_label("子专业名称").fill("地质勘查")
    journey.navigate(page, lambda: page.get_by_role("button", name="下一步").click())
    article = year_article(page, year)
    article.get_by_label("添加学习项目：").select_option("training")
    journey.navigate(page, lambda: article.get_by_role("button", name="选择").click())
    form = year_article(page, year).locator(".item-form form")
    field(form, "科目类别").select_option(label="公需科目")
    field(form, "整天数").fill("-1")
    journey.navigate(page, lambda: form.get_by_role("button", name="保存学习项目").click())
    # Refused: the form is back with what was typed, on the workspace's own address.
    assert "/items/add/" not in page.url and page.url.endswith(f"#item-form-{year_article(page, year).get_attribute('id')[5:]}")
    form = year_article(page, year).locator(".item-form form")
    expect(form.locator(".error")).to_contain_text("确保该值大于或等于0")
    field(form, "整天数").fill("4")
    field(form, "培训名称").fill("公需科目培训班")
    journey.navigate(page, lambda: form.get_by_role("button", name="保存学习项目").click())
    expect(flash(page)).to_contain_text("已添加")
    item = item_block(page, year, "公需科目培训班")
    assert page.url.endswith("#" + item.get_attribute("id"))
    # An upload: the next missing material is ticked; the plain form posts and comes back to the item.
    expect(item.get_by_label("培训通知", exact=True)).to_be_checked()
    item.get_by_label("结业证书", exact=True).check()  # one scan for both
    item.get_by_label("选取文件").set_input_files(scan(tmp_path, "通知和证书"))
    journey.navigate(page, lambda: item.get_by_role("button", name="上传").click(), shot="without-js-uploaded")
    assert "/evidence/" not in page.url and page.url.endswith("#" + item.get_attribute("id"))
    expect(item.locator("li.file")).to_have_count(1)
    expect(item.locator("li.file .tag")).to_have_text(["培训通知", "结业证书"])
    assert not item.locator(".short").count()  # nothing missing for the item any more
    journey.navigate(page, lambda: item.get_by_role("button", name=re.compile("删除.*通知和证书")).click())
    expect(flash(page)).to_contain_text("已删除")
    expect(item.locator("li.file")).to_have_count(0)
    journey.finish()
