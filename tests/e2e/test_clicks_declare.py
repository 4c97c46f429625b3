"""Clicks and page loads for the applicant's heaviest task, counted as a person does it in Chromium:
declare one year with two learning forms and every file they need, then submit. The budget is the
issue's (half of what it took before: 48 clicks, 13 page loads); the figures are printed at the end
of the run and written to var/e2e-screenshots/actions.txt."""
import re

import pytest
from playwright.sync_api import expect

from tests.e2e.pages import ZHAO, field, flash, scan, year_article
from workflow.models import State
from tests.e2e.pages import declaration_of

pytestmark = pytest.mark.e2e

ITEMS = [
    ("training", {"科目类别": "公需科目", "整天数": 4, "半天数": 0, "培训名称": "2023年公需科目培训班"}, ["培训通知", "结业证书"]),
    ("training", {"科目类别": "专业科目", "整天数": 8, "半天数": 0, "培训名称": "2023年地质勘查专业培训"}, ["培训通知", "结业证书"]),
]


def test_declare_one_year_with_two_items(journey, tmp_path):
    page = journey.sign_in(ZHAO)
    with journey.counting("申报一个年度（两个学习项目及其材料）") as tally:
        menu = page.get_by_role("navigation", name="主菜单")
        journey.navigate(page, lambda: journey.click(menu.get_by_role("link", name="学时核认申报", exact=True)))
        journey.navigate(page, lambda: journey.click(page.get_by_role("link", name="新增学时核认申报")))
        journey.choose(page.get_by_label("拟申报职称"), value="中级")
        journey.choose(page.get_by_label("申报大类"), value="工程技术")
        journey.fill(page.get_by_label("子专业名称"), "地质勘查")
        journey.choose(page.get_by_label("申报起始年度"), value="2023")
        journey.choose(page.get_by_label("申报终止年度"), value="2023")
        journey.navigate(page, lambda: journey.click(page.get_by_role("button", name="下一步")))

        journey.choose(field(page, "年度"), value="2023")
        journey.navigate(page, lambda: journey.click(page.get_by_role("button", name="新增", exact=True)))
        for activity, facts, _ in ITEMS:
            article = year_article(page, 2023)
            journey.choose(article.get_by_label("添加学习项目："), value=activity)
            form = article.locator(".item-form form")
            expect(form).to_be_visible()
            for label, value in facts.items():
                box = field(form, label)
                if box.evaluate("e => e.tagName") == "SELECT":
                    journey.choose(box, label=value)
                else:
                    journey.fill(box, value)
            journey.navigate(page, lambda: journey.click(form.get_by_role("button", name="保存学习项目")))
            expect(flash(page)).to_contain_text("已添加")
        for _, facts, materials in ITEMS:
            for material in materials:
                row = year_article(page, 2023).locator("tr", has_text=facts["培训名称"])
                journey.choose(row.get_by_label("材料名称"), label=material)
                journey.attach(row.get_by_label("选取文件"), scan(tmp_path, f"{facts['培训名称']}-{material}"))
                journey.navigate(page, lambda: journey.click(row.get_by_role("button", name="上传")))
        for category in ("学历信息", "学时上传"):
            section = page.locator("#materials")
            journey.choose(section.get_by_label("材料类别"), label=category)
            journey.attach(section.get_by_label("选取文件"), scan(tmp_path, category))
            journey.navigate(page, lambda: journey.click(section.get_by_role("button", name="上传")))
        section = page.locator("#submit")
        expect(section).to_contain_text("申报内容已完整")
        journey.tick(section.get_by_label(re.compile("承诺以上信息真实有效")))
        journey.navigate(page, lambda: journey.click(section.get_by_role("button", name="提交")))
        expect(flash(page)).to_contain_text("已提交，等待审核")
    assert declaration_of(ZHAO).state == State.UNIT_REVIEW
    print(tally)
    journey.finish()
