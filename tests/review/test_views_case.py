"""办理 (review/views.case and case_zip): what a reviewer sees — details, materials, 校验规则 —, the
decision form only for whoever holds the declaration at its level, decisions through the form
(to a superior unit, to the bureau, final approval, rejection with a reason), who gets 404, and
打包下载 with every file under a readable Chinese name."""
import io
import re
import zipfile
from datetime import datetime, timedelta
from urllib.parse import quote

import pytest
from django.urls import reverse

from hours import services
from hours.models import Declaration, EvidenceCategory, Item
from hours import transitions
from workflow.models import Action, State
from hours.models import ReviewStep
from core.repeats import REPEATED
from tests.helpers import another_browser, text_of
from tests.hours.fixtures_views import *  # noqa: F401,F403
from tests.review.case_pages import check_lines, refused
from workflow import periods

pytestmark = pytest.mark.usefixtures("media")

PAPER = {"author_rank": 1, "title": "湘西铅锌矿成矿规律研究", "year": 2023}


def case_url(d):
    return reverse("review:case", args=[d.pk])



def decide(client, d, **data):
    data.setdefault("expected_state", fresh(d).state)
    return client.post(case_url(d), data)


# --- what the case page shows ---------------------------------------------------------------------


def test_case_page_shows_details_materials_and_form(client, p):
    d = complete_draft(p.song)
    d = transitions.declaration_submit(declaration=complete(d), user=p.song, pledge=True)
    client.force_login(p.chen)
    response = client.get(case_url(d))
    assert response.status_code == 200
    page = text_of(response)
    for text in ("申报事项名称：学时核认申报", "业务编码 P0400009000", f"业务编号 {d.business_no}", "宋庆涛", "湖南省地质研究所",
                 "学历信息【1】", "学时上传【1】", "学历证书.pdf", "校验规则", "审核信息", "提交 · 宋庆涛"):
        assert text in page, text
    assert p.song.id_number not in page  # masked
    form = response.context["form"]
    assert form is not None and {"decision", "next_type", "next_org", "opinion", "nature", "on_staff", "principle"} <= set(form.fields)
    assert [label for _, label in form.fields["next_type"].choices] == ["上级审核单位", "经办机构"]
    assert {label for _, label in form.fields["next_org"].choices} == {"请选择上级审核单位", "湖南省地质院", "湖南省自然资源厅"}
    assert 'href="' + reverse("review:case_zip", args=[d.pk]) + '"' in response.content.decode()


def test_yearly_minimum_not_met(client, p):
    d = at_state(p, State.UNIT_REVIEW)  # one training of 16 public hours in 2023
    client.force_login(p.chen)
    lines = check_lines(client.get(case_url(d)))
    assert "✘ 2023年度学时达标（公需30+专业60）：公需16/30，专业0/60，合计16/90" in [line.replace(".0", "") for line in lines]
    assert "✔ 2023年度“培训班、研修班、进修班”学时折算" in lines
    assert "✘ 2023年度学时达标" in text_of(client.get(case_url(d)))


def test_yearly_minimum_met(client, p):
    d = draft(p.song)
    record = services.year_record_add(declaration=d, user=p.song, year=2023)
    for facts in ({"subject": "public", "days": 4, "half_days": 0}, {"subject": "professional", "days": 8, "half_days": 0}):
        attach_item_files(d, p.song, add_item(d, p.song, record, facts=facts))
    attach_general_files(d, p.song)
    d = transitions.declaration_submit(declaration=complete(d), user=p.song, pledge=True)
    client.force_login(p.chen)
    lines = check_lines(client.get(case_url(d)))
    assert "✔ 2023年度学时达标（公需30+专业60）" in lines
    assert not [line for line in lines if line.startswith("✘")], lines


def test_duplicate_evidence_across_applicants(client, p):
    same = png_bytes()
    d = draft(p.song)
    _, item = year_with_training(d, p.song)
    services.evidence_add(declaration=d, user=p.song, category=EvidenceCategory.ITEM, item=item, material="completion_certificate",
                          upload=png("结业证书.png", same))
    d = transitions.declaration_submit(declaration=complete(d), user=p.song, pledge=True)
    client.force_login(p.chen)
    assert "✔ 佐证材料未与他人或其他年度重复" in check_lines(client.get(case_url(d)))

    other = draft(p.zhao)
    services.evidence_add(declaration=other, user=p.zhao, category=EvidenceCategory.HOURS, upload=png("我的证书.png", same))
    lines = check_lines(client.get(case_url(d)))
    assert f"✘ 佐证材料重复使用：“结业证书.png”与赵金强（{other.business_no}）的材料相同" in lines
    assert "✘ 佐证材料重复使用" in text_of(client.get(case_url(d)))


def test_the_same_file_for_two_years(client, p):
    same = pdf_bytes()
    d = draft(p.song, start_year=2022, end_year=2023)
    for year in (2022, 2023):
        _, item = year_with_training(d, p.song, year=year, facts={**TRAINING, "year": year})
        services.evidence_add(declaration=d, user=p.song, category=EvidenceCategory.ITEM, item=item, material="completion_certificate",
                              upload=pdf("结业证书.pdf", same))
    d = transitions.declaration_submit(declaration=complete(d), user=p.song, pledge=True)
    client.force_login(p.chen)
    assert "✘ 佐证材料重复使用：“结业证书.pdf”在本申报中同时用于2022、2023年度" in check_lines(client.get(case_url(d)))


def test_two_first_authors_of_the_same_paper(client, p):
    d = draft(p.song)
    record = services.year_record_add(declaration=d, user=p.song, year=2023)
    add_item(d, p.song, record, activity="paper", facts=PAPER)
    d = transitions.declaration_submit(declaration=complete(d), user=p.song, pledge=True)
    client.force_login(p.chen)
    assert "✔ 成果未与他人冲突" in check_lines(client.get(case_url(d)))

    other = draft(p.zhao)
    other_record = services.year_record_add(declaration=other, user=p.zhao, year=2023)
    second = add_item(other, p.zhao, other_record, activity="paper", facts={**PAPER, "author_rank": 2})  # no conflict
    assert "✔ 成果未与他人冲突" in check_lines(client.get(case_url(d)))
    services.item_delete(item=second, user=p.zhao)  # one item per paper: he corrects his rank
    add_item(other, p.zhao, other_record, activity="paper", facts=PAPER)
    lines = check_lines(client.get(case_url(d)))
    assert f"✘ 成果署名冲突：“{PAPER['title']}”：赵金强（{other.business_no}）也申报为第1位" in lines
    assert "✘ 成果署名冲突" in text_of(client.get(case_url(d)))


def test_the_applicants_own_paper_in_two_years_of_a_declaration(client, p):
    d = draft(p.song, start_year=2022, end_year=2023)
    for year in (2022, 2023):
        record = services.year_record_add(declaration=d, user=p.song, year=year)
        add_item(d, p.song, record, activity="paper", facts={**PAPER, "year": year})
    d = transitions.declaration_submit(declaration=complete(d), user=p.song, pledge=True)
    client.force_login(p.chen)
    lines = check_lines(client.get(case_url(d)))
    assert f"✘ 成果重复申报：“{PAPER['title']}”同时计入2022、2023年度" in lines
    assert "✔ 成果未与他人冲突" in lines  # nobody else claims it


def test_the_applicants_own_paper_in_another_declaration(client, p):
    in_2022 = {**PAPER, "year": 2022}
    earlier = draft(p.song, start_year=2022, end_year=2022)
    add_item(earlier, p.song, services.year_record_add(declaration=earlier, user=p.song, year=2022), activity="paper", facts=in_2022)
    again = draft(p.song, start_year=2021, end_year=2022)  # the same year declared again: no repeat
    add_item(again, p.song, services.year_record_add(declaration=again, user=p.song, year=2022), activity="paper", facts=in_2022)
    d = draft(p.song, start_year=2023, end_year=2023)
    add_item(d, p.song, services.year_record_add(declaration=d, user=p.song, year=2023), activity="paper", facts=PAPER)
    d = transitions.declaration_submit(declaration=complete(d), user=p.song, pledge=True)
    again = transitions.declaration_submit(declaration=complete(again), user=p.song, pledge=True)
    client.force_login(p.chen)
    lines = check_lines(client.get(case_url(d)))
    assert (f"✘ 成果重复申报：“{PAPER['title']}”已在申报{earlier.business_no}的2022年度申报；"
            f"“{PAPER['title']}”已在申报{again.business_no}的2022年度申报") in lines
    # the same year in another declaration is that year declared again, not a repeat
    lines = check_lines(client.get(case_url(again)))
    assert f"✘ 成果重复申报：“{PAPER['title']}”已在申报{d.business_no}的2023年度申报" in lines


def test_a_paper_counted_twice_in_a_year_before_the_fix_is_reported(client, p):
    d = draft(p.song)
    record = services.year_record_add(declaration=d, user=p.song, year=2023)
    add_item(d, p.song, record, activity="paper", facts=PAPER)
    Item.objects.create(year_record=record, applicant=p.song, activity="paper", facts={**PAPER, "year": 2023},
                        title=PAPER["title"], professional_hours=30, counted_year=2023)  # as a double click stored it
    d = transitions.declaration_submit(declaration=complete(d), user=p.song, pledge=True)
    client.force_login(p.chen)
    assert f"✘ 成果重复申报：“{PAPER['title']}”在2023年度申报了2次" in check_lines(client.get(case_url(d)))


# --- decisions through the form -------------------------------------------------------------------


def test_unit_approves_to_the_superior_unit(client, p):
    d = at_state(p, State.UNIT_REVIEW)
    client.force_login(p.chen)
    response = decide(client, d, decision="approve", next_type="superior", next_org=p.dzy.pk, opinion="情况属实",
                      nature="institution", on_staff="是", principle="按折算细则核定")
    assert response.status_code == 302 and response["Location"] == reverse("review:unit_queue")
    row = fresh(d)
    assert (row.state, row.current_org) == (State.SUPERIOR_REVIEW, p.dzy)
    step = ReviewStep.objects.get(declaration=d, action=Action.APPROVE)
    assert (step.actor, step.organisation, step.next_org, step.opinion) == (p.chen, p.dzyjs, p.dzy, "情况属实")
    assert step.details == {"nature": "institution", "on_staff": "是", "principle": "按折算细则核定"}
    page = client.get(reverse("review:unit_queue"))
    assert f"申报 {d.business_no}（宋庆涛）已审核通过，已送湖南省地质院审核。" in messages_of(page)


def test_unit_approves_straight_to_the_bureau(client, p):
    d = at_state(p, State.UNIT_REVIEW)
    client.force_login(p.chen)
    assert decide(client, d, decision="approve", next_type="bureau").status_code == 302
    row = fresh(d)
    assert (row.state, row.current_org) == (State.BUREAU_REVIEW, p.hn)


def test_superior_approves_to_the_bureau_and_the_bureau_approves(client, p):
    d = at_state(p, State.SUPERIOR_REVIEW)
    client.force_login(p.dzy_admin)
    response = client.get(case_url(d))
    form = response.context["form"]
    assert "nature" not in form.fields  # the unit's own fields are filled at the unit level only
    assert [label for _, label in form.fields["next_org"].choices] == ["请选择上级审核单位", "湖南省自然资源厅"]
    response = decide(client, d, decision="approve", next_type="bureau", opinion="同意")
    assert response["Location"] == reverse("review:superior_queue")
    assert (fresh(d).state, fresh(d).current_org) == (State.BUREAU_REVIEW, p.hn)

    client.force_login(p.hn_clerk)
    form = client.get(case_url(d)).context["form"]
    assert "next_type" not in form.fields and "next_org" not in form.fields  # the bureau's approval is final
    response = decide(client, d, decision="approve", opinion="予以认定")
    assert response["Location"] == reverse("review:bureau_todo")
    row = fresh(d)
    assert (row.state, row.current_org) == (State.APPROVED, None) and row.decided_at is not None
    assert list(row.steps.values_list("action", "to_state")) == [
        (Action.SUBMIT, State.UNIT_REVIEW), (Action.APPROVE, State.SUPERIOR_REVIEW),
        (Action.APPROVE, State.BUREAU_REVIEW), (Action.APPROVE, State.APPROVED),
    ]


def test_first_level_department_sees_only_the_bureau(client, p):
    d = at_state(p, State.SUPERIOR_REVIEW)
    d = transitions.declaration_approve(declaration=d, user=p.dzy_admin, next_org=p.zrzy)
    client.force_login(p.zrzy_admin)
    response = client.get(case_url(d))
    form = response.context["form"]
    assert form.fields["next_type"].choices == [("bureau", "经办机构")]
    assert form.initial["next_type"] == "bureau"
    assert "本单位为一级单位，直接选择经办机构（人社部门）。" in text_of(response)
    assert 'value="superior"' not in response.content.decode()
    # a forged choice of a superior is refused
    refused(client, d, {"decision": "approve", "next_type": "superior", "next_org": p.dzy.pk, "expected_state": d.state})
    assert fresh(d).state == State.SUPERIOR_REVIEW
    response = decide(client, d, decision="approve", next_type="bureau")
    assert (fresh(d).state, fresh(d).current_org) == (State.BUREAU_REVIEW, p.hn)


def test_reject_requires_a_reason(client, p):
    d = at_state(p, State.UNIT_REVIEW)
    client.force_login(p.chen)
    for opinion in ("", "   "):
        response = refused(client, d, {"decision": "reject", "opinion": opinion, "expected_state": d.state})
        assert response.context["form"].errors["opinion"] == ["审核不通过时必须填写原因。"]
        assert "审核意见：审核不通过时必须填写原因。" in text_of(response)  # the summary names the field
        assert fresh(d).state == State.UNIT_REVIEW
        # shown once: a reload of the case page is the page as it was
        assert not client.get(case_url(d)).context["form"].is_bound
    assert steps(d) == 1
    response = decide(client, d, decision="reject", opinion="缺少培训签到表")
    assert response.status_code == 302
    row = fresh(d)
    assert (row.state, row.rejection_reason, row.current_org) == (State.REJECTED, "缺少培训签到表", None)
    # the applicant sees the reason and may edit and resubmit
    client.force_login(p.song)
    listing = client.get(reverse("hours:declaration_list"))
    assert "缺少培训签到表" in row_of(listing, d.business_no)


def test_approve_without_a_next_level(client, p):
    d = at_state(p, State.UNIT_REVIEW)
    client.force_login(p.chen)
    state = {"expected_state": d.state}
    response = refused(client, d, {"decision": "approve", **state})
    assert response.context["form"].errors["next_type"] == ["请选择审核上级单位类型。"]
    response = refused(client, d, {"decision": "approve", "next_type": "superior", **state})
    assert response.context["form"].errors["next_org"] == ["请选择上级审核单位。"]
    assert '<details class="next-level" open>' in response.content.decode()  # the choice is shown with its error
    refused(client, d, {"decision": "approve", "next_type": "superior", "next_org": p.hnsd_admin.pk + 100000, **state})
    response = refused(client, d, {"decision": "", **state})
    assert response.context["form"].errors["decision"] == ["请点击“审核通过”或“审核不通过”。"]
    assert fresh(d).state == State.UNIT_REVIEW and steps(d) == 1


def test_a_second_click_is_told_it_was_handled(client, p):
    d = at_state(p, State.UNIT_REVIEW)
    client.force_login(p.chen)
    data = {"decision": "approve", "next_type": "bureau", "expected_state": State.UNIT_REVIEW}
    assert client.post(case_url(d), data).status_code == 302
    response = client.post(case_url(d), data, follow=True)
    assert response.status_code == 200 and response.redirect_chain[-1][0] == reverse("review:unit_queue")
    assert REPEATED in messages_of(response)
    # The page left open in another browser: the workflow says someone acted first.
    response = another_browser(p.chen).post(case_url(d), data, follow=True)
    assert response.redirect_chain[-1][0] == reverse("review:unit_queue")
    assert "该申报已被他人处理，请刷新后查看最新状态。" in messages_of(response)
    assert steps(d, action=Action.APPROVE) == 1
    assert (fresh(d).state, fresh(d).current_org) == (State.BUREAU_REVIEW, p.hn)
    # a colleague's decision while the page was open reads the same
    other = at_state(p, State.SUPERIOR_REVIEW)
    client.force_login(p.dzy_admin)
    open_page = client.get(case_url(other))
    transitions.declaration_reject(declaration=other, user=p.dzy_admin, reason="材料不全")
    response = client.post(case_url(other), {"decision": "approve", "next_type": "bureau", "expected_state": open_page.context["form"].initial["expected_state"]}, follow=True)
    assert "该申报已被他人处理，请刷新后查看最新状态。" in messages_of(response)
    assert fresh(other).state == State.REJECTED


# --- who may open and decide ----------------------------------------------------------------------


def test_dept_admin_cannot_decide_a_unit_review_item(client, p):
    d = at_state(p, State.UNIT_REVIEW)
    for user in (p.zrzy_admin, p.dzy_admin):
        client.force_login(user)
        response = client.get(case_url(d))
        assert response.status_code == 200 and response.context["form"] is None
        assert "该申报当前不在您的审核环节（待单位审核，湖南省地质研究所）。" in text_of(response)
        assert 'name="decision"' not in response.content.decode()
        response = client.post(case_url(d), {"decision": "approve", "next_type": "bureau", "expected_state": State.UNIT_REVIEW})
        assert response.status_code == 403
    assert fresh(d).state == State.UNIT_REVIEW and steps(d) == 1


def test_a_unit_admin_of_another_unit_gets_404(client, p):
    d = at_state(p, State.UNIT_REVIEW)
    for user in (p.dzcl_admin, p.hnsd_admin, p.csyy_admin):
        client.force_login(user)
        assert client.get(case_url(d)).status_code == 404
        assert client.post(case_url(d), {"decision": "approve", "next_type": "bureau"}).status_code == 404
        assert client.get(reverse("review:case_zip", args=[d.pk])).status_code == 404
    assert fresh(d).state == State.UNIT_REVIEW


def test_the_unit_admin_sees_submitted_declarations_not_drafts(client, p):
    unsent = draft(p.song)
    sent = submitted(p.zhao)
    client.force_login(p.chen)
    assert client.get(case_url(unsent)).status_code == 404
    assert client.get(reverse("review:case_zip", args=[unsent.pk])).status_code == 404
    assert client.get(case_url(sent)).status_code == 200
    # withdrawn back to a draft it stays visible (it was submitted), but there is nothing to decide
    transitions.declaration_withdraw(declaration=sent, user=p.zhao)
    response = client.get(case_url(sent))
    assert response.status_code == 200 and response.context["form"] is None


def test_city_clerk_gets_404_on_a_province_case(client, p):
    province = at_state(p, State.BUREAU_REVIEW)
    city = transitions.declaration_approve(declaration=submitted(p.wu), user=p.csyy_admin, next_org=p.cs)
    client.force_login(p.cs_clerk)
    assert client.get(case_url(province)).status_code == 404
    assert client.post(case_url(province), {"decision": "approve", "expected_state": State.BUREAU_REVIEW}).status_code == 404
    assert client.get(reverse("review:case_zip", args=[province.pk])).status_code == 404
    assert client.get(case_url(city)).context["form"] is not None
    # the province's clerk may look at the city's case, but it is the city's to decide
    client.force_login(p.hn_clerk)
    response = client.get(case_url(city))
    assert response.status_code == 200 and response.context["form"] is None
    assert client.post(case_url(city), {"decision": "approve", "expected_state": State.BUREAU_REVIEW}).status_code == 403
    assert fresh(city).state == State.BUREAU_REVIEW and fresh(province).state == State.BUREAU_REVIEW


def test_applicants_cannot_open_review_pages(client, p):
    d = at_state(p, State.UNIT_REVIEW)
    for user in (p.song, p.zhao):
        client.force_login(user)
        assert client.get(case_url(d)).status_code == 403
        assert client.get(reverse("review:case_zip", args=[d.pk])).status_code == 403


def test_anonymous_visitors_go_to_the_login_page(client, p):
    d = at_state(p, State.UNIT_REVIEW)
    login_url = reverse("accounts:login")
    for url in (case_url(d), reverse("review:case_zip", args=[d.pk]), reverse("review:unit_queue"),
                reverse("review:superior_queue"), reverse("review:bureau_todo")):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(login_url + "?next="), url
    for url in (case_url(d), reverse("review:bureau_batch")):
        response = client.post(url, {"decision": "approve", "ids": [d.pk]})
        assert response.status_code == 302 and response["Location"].startswith(login_url + "?next="), url
    assert fresh(d).state == State.UNIT_REVIEW


# --- 打包下载 ---------------------------------------------------------------------------------------


def test_case_zip_has_every_file_under_readable_names(client, p):
    d = draft(p.song)
    _, item = year_with_training(d, p.song)
    uploads = {
        "2023年度/培训班、研修班、进修班/培训通知-通知.pdf": (dict(category=EvidenceCategory.ITEM, item=item, material="training_notice"), pdf("通知.pdf")),
        "2023年度/培训班、研修班、进修班/结业证书-证书.png": (dict(category=EvidenceCategory.ITEM, item=item, material="completion_certificate"), png("证书.png")),
        # One scan serving two materials is named by both.
        "2023年度/培训班、研修班、进修班/培训课程表、培训签到表-课程表与签到表.png": (
            dict(category=EvidenceCategory.ITEM, item=item, materials=["course_schedule", "sign_in_sheet"]), png("课程表与签到表.png"),
        ),
        "学历信息/硕士学位证书.pdf": (dict(category=EvidenceCategory.EDUCATION), pdf("硕士学位证书.pdf")),
        "学时上传/学时证明.png": (dict(category=EvidenceCategory.HOURS), png("学时证明.png")),
        "学时上传/学时证明(2).png": (dict(category=EvidenceCategory.HOURS), png("学时证明.png")),  # same name, other content
    }
    expected = {}
    for name, (kwargs, upload) in uploads.items():
        data = upload.read()
        upload.seek(0)
        services.evidence_add(declaration=d, user=p.song, upload=upload, **kwargs)
        expected[name] = data
    d = transitions.declaration_submit(declaration=complete(d), user=p.song, pledge=True)
    for reviewer in (p.chen, p.dzy_admin, p.hn_clerk):
        client.force_login(reviewer)
        response = client.get(reverse("review:case_zip", args=[d.pk]))
        assert response.status_code == 200
        assert response["Content-Type"] == "application/zip"
        assert response["Content-Disposition"] == f"attachment; filename*=utf-8''{quote(f'{d.business_no}-宋庆涛-材料.zip')}"
        archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
        assert archive.testzip() is None
        assert {info.filename: archive.read(info) for info in archive.infolist()} == expected
        assert all(info.flag_bits & 0x800 for info in archive.infolist())  # names stored as UTF-8


# --- query count ----------------------------------------------------------------------------------


def test_case_page_query_count_does_not_grow(client, p):
    """The case page (with its checks against everyone else's files and papers) runs the same
    queries whether 2 or 30 other declarations share a file hash and a paper title with it."""
    shared = png_bytes()

    def declaration_of(user, n=0):
        # Every one holds 2023, each for a span of its own (one open declaration per person and span).
        d = draft(user, start_year=2023 - Declaration.objects.filter(applicant=user).count(), end_year=2023)
        record = services.year_record_add(declaration=d, user=user, year=2023)
        item = add_item(d, user, record, activity="paper", facts=PAPER)
        add_item(d, user, record)
        services.evidence_add(declaration=d, user=user, category=EvidenceCategory.ITEM, item=item, material="journal_cover",
                              upload=png("期刊封面.png", shared))
        services.evidence_add(declaration=d, user=user, category=EvidenceCategory.EDUCATION, upload=pdf("学历.pdf"))
        return d

    d = transitions.declaration_submit(declaration=complete(declaration_of(p.song)), user=p.song, pledge=True)
    others = [p.zhao, p.li, p.wang]

    def make(n):
        for i in range(n):
            transitions.declaration_submit(declaration=complete(declaration_of(others[i % 3])), user=others[i % 3], pledge=True)

    make(2)
    response = assert_same_queries(client, p.chen, case_url(d), lambda: make(28))
    lines = check_lines(response)
    assert any(line.startswith("✘ 佐证材料重复使用") for line in lines)
    assert any(line.startswith("✘ 成果署名冲突") for line in lines)


def heading(response):
    return re.search(r"<h1>(.*?)</h1>", response.content.decode(), re.S)[1]


def test_the_case_page_says_督办_once_the_case_has_waited_past_its_supervision_time(client, p):
    d = at_state(p, State.BUREAU_REVIEW)
    url = reverse("review:case", args=[d.pk])
    client.force_login(p.hn_clerk)
    with frozen_now(datetime(2026, 3, 10, 10, 0)):  # a Tuesday
        cutoff = periods.overdue_before(p.hn)
        Declaration.objects.filter(pk=d.pk).update(waiting_since=cutoff)
        assert "督办" not in heading(client.get(url))  # exactly the time allowed
        Declaration.objects.filter(pk=d.pk).update(waiting_since=cutoff - timedelta(microseconds=1))
        assert '<span class="status status-rejected">督办</span>' in heading(client.get(url))
    decided = at_state(p, State.APPROVED, applicant=p.zhao)
    assert "督办" not in heading(client.get(reverse("review:case", args=[decided.pk])))
