"""The life of a declaration across the four roles, in Chromium, as the people would click through
it: the applicant fills 2019–2023 with several learning forms and their scans and submits; the unit
sends it to the supervising department, the department to the bureau; the bureau clerk finds it in
待办列表 with filters and approves it in one batch with two others; the applicant downloads the
学时认定单 and its public verification page says it is genuine. Also a rejection and resubmission
(the withdrawal, done by keyboard alone, is in test_accessibility.py). Every page is checked with
axe-core (see conftest.py)."""
import re
from datetime import date

import pytest
from playwright.sync_api import expect

from workflow.models import State
from tests.e2e.pages import (
    CHEN,
    LI,
    ZHAO,
    add_item,
    add_year,
    assert_audited,
    declaration_of,
    decide,
    demo_people,
    flash,
    new_declaration,
    open_case,
    open_menu,
    scan,
    submit,
    upload_for_item,
    upload_general,
)
from tests.hours.fixtures_views import at_state, complete_draft

pytestmark = pytest.mark.e2e

# Each year a 公需科目 and a 专业科目 learning form: (activity, row text, facts, materials the rule set asks for).
YEARS = {
    2019: [("training", "2019年公需科目培训班", {"科目类别": "公需科目", "整天数": 4, "半天数": 0, "培训名称": "2019年公需科目培训班"}, ["培训通知", "结业证书"]),
           ("digital_exam", "数字技术应用能力水平考试", {"合格模块数": 3}, ["合格证书"])],
    2020: [("online_course", "2020年公需科目网络课程", {"科目类别": "公需科目", "课程学时": 30, "课程名称": "2020年公需科目网络课程"}, ["课程时长", "结业证书"]),
           ("research_project", "湘中地区找矿模型研究", {"级别": "省（部）级及以上", "本人角色": "主持人", "课题（项目）名称": "湘中地区找矿模型研究"}, ["结题（项）证明材料"])],
    2021: [("training", "2021年公需科目培训班", {"科目类别": "公需科目", "整天数": 4, "半天数": 0, "培训名称": "2021年公需科目培训班"}, ["培训通知", "结业证书"]),
           ("qualification_exam", "专业技术人员职业资格考试", {"当年度通过科目数": 2}, ["考试成绩单"])],
    2022: [("online_course", "2022年公需科目网络课程", {"科目类别": "公需科目", "课程学时": 30, "课程名称": "2022年公需科目网络课程"}, ["课程时长", "结业证书"]),
           ("degree_course", "学历（学位）教育", {"当年度通过课程数": 2}, ["学习课程成绩单"])],
    2023: [("training", "2023年公需科目培训班", {"科目类别": "公需科目", "整天数": 4, "半天数": 0, "培训名称": "2023年公需科目培训班"}, ["培训通知", "结业证书"]),
           ("training", "2023年地质勘查专业培训", {"科目类别": "专业科目", "整天数": 8, "半天数": 0, "培训名称": "2023年地质勘查专业培训"}, ["培训通知", "结业证书"])],
}


def fill_years(journey, page, folder, years):
    for year, items in years.items():
        add_year(journey, page, year)
        for n, (activity, row, facts, materials) in enumerate(items):
            add_item(journey, page, year, activity, facts, shot="item-added" if (year, n) == (2019, 0) else None)
            for material in materials:
                upload_for_item(journey, page, year, row, material, scan(folder, f"{year}-{n}-{material}"))


def test_declaration_life_across_four_roles(journey, demo_data, tmp_path, transitions):
    p = demo_people(demo_data)
    # Two more declarations of the institute already wait at the bureau, for the batch.
    others = [at_state(p, State.BUREAU_REVIEW, applicant=person) for person in (p.li, p.song)]

    # 1. The applicant declares 2019–2023 and submits.
    applicant = journey.sign_in(ZHAO, shot="applicant-home")
    open_menu(journey, applicant, "学时核认申报", shot="declaration-list")
    new_declaration(journey, applicant, start_year=2019, end_year=2023, shot="declaration-workspace")
    fill_years(journey, applicant, tmp_path, YEARS)
    upload_general(journey, applicant, "学历信息", scan(tmp_path, "学历证书"))
    upload_general(journey, applicant, "学时上传", scan(tmp_path, "学时证明"))
    journey.look(applicant, "declaration-complete")
    submit(journey, applicant, shot="submitted")
    declaration = declaration_of(ZHAO)
    assert declaration.state == State.UNIT_REVIEW
    assert declaration.total_hours == 92 + 90 + 92 + 90 + 96  # each year's 公需 + 专业, as the rule set converts them

    # 2. The unit sends it to the supervising department (湖南省自然资源厅), skipping 湖南省地质院.
    unit = journey.sign_in(CHEN)
    open_case(journey, unit, "学时核认申报单位审核", "赵金强", shot="unit-case")
    decide(journey, unit, superior="湖南省自然资源厅", opinion="材料齐全，同意。", unit_level=True, shot="unit-approved")
    expect(flash(unit)).to_contain_text("已审核通过")

    # 3. The department sends it to the bureau.
    department = journey.sign_in("zrzy_admin")
    open_case(journey, department, "学时核认上级单位审核", "赵金强", shot="department-case")
    decide(journey, department, bureau=True, opinion="同意报人社部门审核。")
    expect(flash(department)).to_contain_text("已审核通过")

    # 4. The bureau clerk filters 待办列表 down to the institute's declarations of today and approves all three at once.
    clerk = journey.sign_in("hn_clerk", shot="clerk-home")
    open_menu(journey, clerk, "待办列表")
    clerk.get_by_label("申请人/单位").fill("湖南省地质研究所")
    clerk.get_by_label("受理时间（开始日期）").fill(date.today().isoformat())
    clerk.get_by_label("受理渠道").select_option(label="个人网上申报")
    journey.navigate(clerk, lambda: clerk.get_by_role("button", name="查询").click(), shot="todo-filtered")
    rows = clerk.locator("tbody tr")
    expect(rows).to_have_count(3)
    journey.navigate(clerk, lambda: rows.filter(has_text="赵金强").get_by_role("link", name="办理").click(), shot="bureau-case")
    open_menu(journey, clerk, "待办列表")
    journey.navigate(clerk, lambda: clerk.get_by_role("button", name="查询").click())
    for name in ("赵金强", "李雪梅", "宋庆涛"):
        clerk.get_by_role("checkbox", name=f"选择{name}").check()
    journey.navigate(clerk, lambda: clerk.get_by_role("button", name="批量审核").click(), shot="batch-result")
    expect(clerk.locator("main")).to_contain_text("成功 3 件")
    for d in [declaration, *others]:
        d.refresh_from_db()
        assert d.state == State.APPROVED

    # 5. The applicant downloads the 学时认定单 and opens its public verification page. The page opens
    # on the years with approved hours (2019–2023, no 查询 needed); after 下载 the issued list shows
    # the new certificate without a reload.
    applicant = journey.sign_in(ZHAO)
    with journey.counting("学时证书打印：下载认定单并在列表中看到它") as tally:
        open_menu(journey, applicant, "学时证书打印", shot="certificate-span")
        expect(applicant.get_by_label("起始年度")).to_have_value("2019")
        expect(applicant.get_by_label("终止年度")).to_have_value("2023")
        expect(applicant.locator("tfoot")).to_contain_text("5/5个年度达到要求")
        expect(applicant.locator("#issued")).to_contain_text("暂无数据")
        with applicant.expect_download() as download:
            journey.click(applicant.get_by_role("button", name="下载学时认定单"))
        pdf = tmp_path / download.value.suggested_filename
        download.value.save_as(pdf)
        number = pdf.stem.removeprefix("学时认定单_")
        expect(applicant.get_by_role("status").filter(has_text="已出具的学时认定单列表已更新")).to_contain_text(number)
        expect(applicant.locator("#issued tbody tr")).to_have_count(1)
        expect(applicant.locator("#issued")).to_contain_text(number)
    # Before: two years chosen, 查询, 下载 and a reload (4 actions, 3 page loads after the menu's link).
    assert (tally.clicks, tally.loads) == (1, 1), tally
    assert pdf.read_bytes().startswith(b"%PDF")
    journey.look(applicant, "certificate-issued", state="downloaded")
    verify_href = applicant.locator("#issued").get_by_role("link", name="查验").get_attribute("href")

    public = journey.context()  # the QR code is opened by someone not signed in
    journey.navigate(public, lambda: public.goto(verify_href), shot="verify-page")
    expect(public.locator(".verdict")).to_contain_text("真实有效")
    public.get_by_label("认定单 PDF 文件").set_input_files(pdf)
    journey.navigate(public, lambda: public.get_by_role("button", name="查验文件").click(), shot="verify-upload")
    expect(public.locator("main .verdict").first).to_contain_text("与出具时保存的文件完全一致")  # the file's verdict first
    expect(public.locator("main")).to_contain_text("电子签章有效")
    expect(public.locator(".seal-facts")).to_contain_text(re.compile(r"出具机关\s*湖南省人力资源和社会保障厅\s*签章时间"))

    assert_audited(transitions, [declaration, *others])
    journey.finish()



def test_rejection_and_resubmission(journey, demo_data, tmp_path, transitions):
    p = demo_people(demo_data)
    declaration = complete_draft(p.li)  # 2023: one training with its two scans, and the two general materials
    applicant = journey.sign_in(LI)
    open_menu(journey, applicant, "学时核认申报")
    row = applicant.locator("tbody tr", has_text=declaration.business_no)
    journey.navigate(applicant, lambda: row.get_by_role("link", name="提交").click())
    submit(journey, applicant)

    # 审核不通过 needs a reason: the page says so, and the field is marked and described for screen readers.
    unit = journey.sign_in(CHEN)
    open_case(journey, unit, "学时核认申报单位审核", "李雪梅")
    decide(journey, unit, approve=False, shot="reject-needs-reason")
    expect(unit.get_by_role("alert")).to_contain_text("请按提示修改")
    opinion = unit.get_by_label("审核意见")
    expect(opinion).to_have_attribute("aria-invalid", "true")
    described = opinion.get_attribute("aria-describedby").split()
    expect(unit.locator(f"#{described[-1]}")).to_have_text("审核不通过时必须填写原因。")
    decide(journey, unit, approve=False, opinion="结业证书不清晰，请重新上传", shot="rejected")
    expect(flash(unit)).to_contain_text("审核不通过，已退回申请人")

    # The applicant reads the reason, adds a clearer scan and submits again.
    applicant = journey.sign_in(LI)
    open_menu(journey, applicant, "学时核认申报", shot="rejected-in-list")
    row = applicant.locator("tbody tr", has_text=declaration.business_no)
    expect(row).to_contain_text("审核不通过")
    expect(row).to_contain_text("结业证书不清晰，请重新上传")
    journey.navigate(applicant, lambda: row.get_by_role("link", name="修改").click(), shot="rejected-workspace")
    expect(applicant.locator(".notice.danger")).to_contain_text("结业证书不清晰")
    upload_for_item(journey, applicant, 2023, "培训班、研修班、进修班", "结业证书", scan(tmp_path, "结业证书-清晰"))
    submit(journey, applicant, shot="resubmitted")

    unit = journey.sign_in(CHEN)
    open_case(journey, unit, "学时核认申报单位审核", "李雪梅")
    decide(journey, unit, superior="湖南省地质院", opinion="已补充材料，同意。", unit_level=True)
    expect(flash(unit)).to_contain_text("已审核通过")
    declaration.refresh_from_db()
    assert declaration.state == State.SUPERIOR_REVIEW
    assert list(declaration.steps.values_list("action", flat=True)) == ["submit", "reject", "submit", "approve"]
    assert_audited(transitions, [declaration])
    journey.finish()
