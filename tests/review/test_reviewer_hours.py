"""Henan type 16 (其他类别的继续教育形式): “由省辖市、省直管县（市）人力资源社会保障行政部门或省业务
主管部门……确认学时”. The applicant types no hours and the item counts 0 until the reviewer holding
the case — at a 人社部门 or a provincial 主管部门 — sets them on the case page; the audit step
records them, and the final approval needs them."""
from decimal import Decimal

import pytest
from django.urls import reverse

from hours import services
from hours.models import Evidence, Item, RuleSet
from review import services as review_services
from hours import transitions
from workflow.models import Action, State
from workflow.runner import WorkflowError
from hours.models import ReviewStep
from tests.helpers import hidden_fields, text_of
from tests.hours.fixtures_views import *  # noqa: F401,F403
from tests.review.case_pages import check_lines, refused

pytestmark = pytest.mark.usefixtures("media")

OTHER = {"title": "援企稳岗技术指导"}


def henan_year(p, year=2023):
    """A draft of 宋庆涛's for `year` under the Henan rule set, and its year."""
    d = services.declaration_create(
        user=p.song, applicant=p.song, data={**PROFILE, "name": p.song.name}, start_year=year, end_year=year,
        rule_set=RuleSet.objects.get(code="henan-2024"),
    )
    return d, services.year_record_add(declaration=d, user=p.song, year=year)


def henan_case(p, *, to_department=False):
    """宋庆涛's Henan declaration with one 其他类别 item and a training, sent by his unit either to
    the bureau (湖南省人力资源和社会保障厅) or to the provincial department (湖南省自然资源厅)."""
    d, record = henan_year(p)
    services.item_add(year_record=record, user=p.song, activity="training", facts={"hours": 40, "title": "地质调查研修"})
    other = services.item_add(year_record=record, user=p.song, activity="other", facts=OTHER)
    d = transitions.declaration_submit(declaration=complete(d), user=p.song, pledge=True)
    d = transitions.declaration_approve(declaration=d, user=p.chen, next_org=p.zrzy if to_department else p.hn)
    return d, other


def case_url(d):
    return reverse("review:case", args=[d.pk])


def field(item):
    return f"determined_{item.pk}"


def test_the_applicant_types_no_hours_and_the_item_counts_0(client, p):
    d, record = henan_year(p)
    client.force_login(p.song)
    form = client.get(reverse("hours:declaration_edit", args=[d.pk]), {"year": record.pk, "activity": "other"}).context["facts_form"]
    assert list(form.fields) == ["year", "title"]
    response = client.post(reverse("hours:item_add", args=[d.pk, record.pk]),
                           {"activity": "other", "hours": "90", **OTHER}, follow=True)
    item = Item.objects.get(year_record=record)
    assert (item.public_hours, item.professional_hours, item.determined_at) == (0, 0, None)
    assert "“hours”" not in str(item.facts) and "hours" not in item.facts
    assert "已添加“其他类别的继续教育形式”，学时由审核单位核定，核定前计0学时。" in messages_of(response)
    assert "待审核单位核定学时" in text_of(client.get(reverse("hours:declaration_edit", args=[d.pk])))


def test_the_bureau_sets_the_hours_on_the_case_page_and_the_step_records_them(client, p):
    d, other = henan_case(p)
    client.force_login(p.hn_clerk)
    page = client.get(case_url(d))
    assert page.context["form"].fields[field(other)].label == "核定学时：2023年度“援企稳岗技术指导”"
    assert [line for line in check_lines(page) if "核定" in line] == ["✘ 2023年度“其他类别的继续教育形式”学时由审核单位核定：尚未核定，核定前计0学时"]

    response = refused(client, d, {"decision": "approve", "expected_state": State.BUREAU_REVIEW})
    assert response.context["form"].errors[field(other)] == ["请核定该项目的学时（不计学时的填0）。"]
    assert fresh(d).state == State.BUREAU_REVIEW

    response = client.post(case_url(d), {"decision": "approve", "expected_state": State.BUREAU_REVIEW, field(other): "12.5"})
    assert response.status_code == 302
    item = Item.objects.get(pk=other.pk)
    assert (item.professional_hours, item.determined_at is not None) == (Decimal("12.5"), True)
    row = fresh(d)
    assert (row.state, row.total_professional) == (State.APPROVED, Decimal("52.5"))
    assert row.year_records.get().professional_hours == Decimal("52.5")
    step = ReviewStep.objects.get(declaration=d, action=Action.APPROVE, from_state=State.BUREAU_REVIEW)
    assert step.details == {"determined_hours": [{"item": other.pk, "year": 2023, "title": "援企稳岗技术指导", "hours": "12.5"}]}
    assert "核定学时：2023年度“援企稳岗技术指导”12.5学时" in text_of(client.get(case_url(d)))


def test_a_provincial_department_may_set_them_and_the_bureau_keeps_or_changes_them(client, p):
    d, other = henan_case(p, to_department=True)
    client.force_login(p.zrzy_admin)
    response = client.post(case_url(d), {"decision": "approve", "next_type": "bureau", "expected_state": State.SUPERIOR_REVIEW,
                                         field(other): "10"})
    assert response.status_code == 302
    assert Item.objects.get(pk=other.pk).professional_hours == 10
    step = ReviewStep.objects.get(declaration=d, from_state=State.SUPERIOR_REVIEW)
    assert step.details["determined_hours"] == [{"item": other.pk, "year": 2023, "title": "援企稳岗技术指导", "hours": "10"}]
    client.force_login(p.hn_clerk)
    page = client.get(case_url(d))
    assert page.context["form"].initial[field(other)] == Decimal("10")
    assert [line for line in check_lines(page) if "核定" in line] == ["✔ 2023年度“其他类别的继续教育形式”学时由审核单位核定：已核定10学时"]
    assert client.post(case_url(d), {"decision": "approve", "expected_state": State.BUREAU_REVIEW, field(other): "10"}).status_code == 302
    final = ReviewStep.objects.get(declaration=d, from_state=State.BUREAU_REVIEW)
    assert "determined_hours" not in final.details  # kept as the department set them: nothing new to record
    assert fresh(d).total_professional == 50


def test_the_applicants_own_unit_sets_nothing(client, p):
    d, record = henan_year(p)
    other = services.item_add(year_record=record, user=p.song, activity="other", facts=OTHER)
    d = transitions.declaration_submit(declaration=complete(d), user=p.song, pledge=True)
    client.force_login(p.chen)
    form = client.get(case_url(d)).context["form"]
    assert field(other) not in form.fields
    response = client.post(case_url(d), {"decision": "approve", "next_type": "superior", "next_org": p.dzy.pk,
                                         "expected_state": State.UNIT_REVIEW, field(other): "90"})
    assert response.status_code == 302
    assert Item.objects.get(pk=other.pk).professional_hours == 0  # a forged field changes nothing


def test_a_superior_unit_sets_nothing(client, p):
    d, record = henan_year(p, 2022)
    other = services.item_add(year_record=record, user=p.song, activity="other", facts=OTHER)
    d = transitions.declaration_submit(declaration=complete(d), user=p.song, pledge=True)
    d = transitions.declaration_approve(declaration=d, user=p.chen, next_org=p.dzy)  # 湖南省地质院: a unit, not a department
    client.force_login(p.dzy_admin)
    assert field(other) not in client.get(case_url(d)).context["form"].fields


def test_batch_approval_does_not_pass_undetermined_hours(p):
    d, other = henan_case(p)
    (result,) = review_services.declaration_batch_decide(user=p.hn_clerk, ids=[d.pk], decision="approve")
    assert not result.ok
    # The checks refuse it first (the hours are undetermined); the transition would too, as below.
    assert result.message == "校验未通过，请逐件办理：2023年度“其他类别的继续教育形式”学时由审核单位核定"
    assert fresh(d).state == State.BUREAU_REVIEW
    with pytest.raises(WorkflowError, match="请先核定以下项目的学时：2023年度“援企稳岗技术指导”（请在办理页面逐件核定）"):
        transitions.declaration_approve(declaration=d, user=p.hn_clerk, opinion=review_services.BATCH_OPINION)


def test_the_determined_hours_are_bounded(client, p):
    d, other = henan_case(p)
    client.force_login(p.hn_clerk)
    for value, message in (("-1", "确保该值大于或等于0。"), ("1000.5", "确保该值小于或等于1000。"), ("1.25", "确认小数不超过 1 位.")):
        response = refused(client, d, {"decision": "approve", "expected_state": State.BUREAU_REVIEW, field(other): value})
        assert response.context["form"].errors[field(other)] == [message]
    assert Item.objects.get(pk=other.pk).professional_hours == 0


def test_the_applicant_sees_the_determined_hours_in_the_progress(client, p):
    d, other = henan_case(p)
    d = transitions.declaration_approve(
        declaration=d, user=p.hn_clerk,
        determined_hours={other.pk: Decimal("8.0")},
    )
    client.force_login(p.song)
    page = text_of(client.get(reverse("hours:declaration_detail", args=[d.pk])))
    assert "核定学时：2023年度“援企稳岗技术指导”8学时" in page
    assert "其他类别的继续教育形式：援企稳岗技术指导（8学时）" in page


def test_hours_typed_for_a_version_since_resubmitted_are_not_carried_to_the_new_one(client, p):
    """The clerk types 12.5 hours on the case as it first arrived; it is turned down and comes back
    resubmitted before her click. Refused as stale, the page shows the new version with her
    opinion kept but not the hours: she determines them again for what is now declared."""
    d, other = henan_case(p)
    client.force_login(p.hn_clerk)
    seen = {k: v for k, v in hidden_fields(client.get(case_url(d))).items() if k.startswith("expected_")}
    back = transitions.declaration_reject(declaration=fresh(d), user=p.hn_clerk, reason="请说明援企稳岗的时长")
    back = transitions.declaration_submit(declaration=back, user=p.song, pledge=True)
    transitions.declaration_approve(declaration=back, user=p.chen, next_org=p.hn)
    response = client.post(case_url(d), {"decision": "approve", "opinion": "按派出文件核定", field(other): "12.5", **seen}, follow=True)
    assert messages_of(response) == ["该申报已被他人处理，以下为最新状态。"]
    form = response.context["form"]
    assert (form["decision"].value(), form["opinion"].value(), form[field(other)].value()) == ("approve", "按派出文件核定", None)
    assert form.errors[field(other)] == ["请核定该项目的学时（不计学时的填0）。"]  # asked again, beside the field
    assert Item.objects.get(pk=other.pk).determined_at is None and fresh(d).state == State.BUREAU_REVIEW


def test_the_checks_name_an_applicants_item_by_its_activity_even_when_it_has_a_title(client, p):
    """Its files gone after submission (removed from storage by hand, say): the 佐证材料 line names
    the activity the materials belong to, not the title the applicant typed."""
    d, _ = henan_case(p)
    training = Item.objects.get(year_record__declaration=d, activity="training")
    assert training.title == "地质调查研修"
    Evidence.objects.filter(item=training).delete()
    client.force_login(p.hn_clerk)
    lines = [line for line in check_lines(client.get(case_url(d))) if "佐证材料" in line]
    assert lines[0] == "✘ 2023年度“参加培训、研修活动”佐证材料：缺少：培训通知；缺少：结业证书；缺少：单位证明材料"
