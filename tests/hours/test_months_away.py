"""Months away from post (不在岗月数) and the yearly requirement: a rule set without proration
(Hunan) never offers it, and no stored value can break the declaration's pages."""
import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from hours import selectors, services
from hours.models import Item, RuleSet, YearRecord
from hours import transitions
from tests.helpers import text_of
from tests.hours.fixtures_views import *  # noqa: F401,F403

pytestmark = pytest.mark.usefixtures("media")


def test_hunan_year_form_does_not_offer_months_away_and_the_pages_keep_working(client, p):
    d = draft(p.song)
    client.force_login(p.song)
    response = client.post(reverse("hours:year_add", args=[d.pk]), {"year": "2023", "months_away": "3"})
    assert response.status_code == 302
    assert YearRecord.objects.get(declaration=d).months_away == 0
    page = client.get(reverse("hours:declaration_edit", args=[d.pk]))
    assert page.status_code == 200
    assert "不在岗月数" not in text_of(page)
    assert client.get(reverse("hours:declaration_detail", args=[d.pk])).status_code == 200


def test_a_stored_months_away_the_rule_set_cannot_apply_is_a_problem_on_the_pages_not_a_500(client, p):
    d = draft(p.song)
    record, item = year_with_training(d, p.song)
    YearRecord.objects.filter(pk=record.pk).update(months_away=3)  # as rows stored before the fix are
    client.force_login(p.song)
    edit = client.get(reverse("hours:declaration_edit", args=[d.pk]))
    assert edit.status_code == 200
    assert "没有按在岗时间折算学时要求的规定" in text_of(edit)
    detail = client.get(reverse("hours:declaration_detail", args=[d.pk]))
    assert detail.status_code == 200 and "没有按在岗时间折算学时要求的规定" in text_of(detail)
    # Such a declaration is not complete, so it cannot be submitted now; one submitted before the fix
    # reaches its reviewer with the problem shown.
    YearRecord.objects.filter(pk=record.pk).update(months_away=0)
    d = transitions.declaration_submit(declaration=complete(d), user=p.song, pledge=True)
    YearRecord.objects.filter(pk=record.pk).update(months_away=3)
    client.force_login(p.chen)
    case = client.get(reverse("review:case", args=[d.pk]))
    assert case.status_code == 200
    assert "没有按在岗时间折算学时要求的规定" in text_of(case)


def henan_draft(user):
    return services.declaration_create(
        user=user, applicant=user, data={**PROFILE, "name": user.name}, start_year=2023, end_year=2023,
        rule_set=RuleSet.objects.get(code="henan-2024"),
    )


def test_henan_months_away_come_from_the_absences_declared_in_the_year(client, p):
    d = henan_draft(p.song)
    record = services.year_record_add(declaration=d, user=p.song, year=2023)
    services.item_add(year_record=record, user=p.song, activity="training", facts={"hours": 20, "title": "地质调查研修"})
    assert fresh_record(record).months_away == 0
    absence = services.item_add(year_record=record, user=p.song, activity="absence",
                                facts={"reason": "maternity", "months_away": 6})
    assert fresh_record(record).months_away == 6
    client.force_login(p.song)
    page = text_of(client.get(reverse("hours:declaration_edit", args=[d.pk])))
    assert "2023年度（不在岗6个月，按在岗时间折算）" in page
    assert "20 / 45" in page  # 90 hours prorated to the six months at post
    services.item_delete(item=absence, user=p.song)
    assert fresh_record(record).months_away == 0


def test_henan_sick_leave_of_six_months_or_less_is_refused_beside_the_months(client, p):
    d = henan_draft(p.song)
    record = services.year_record_add(declaration=d, user=p.song, year=2023)
    client.force_login(p.song)
    response = client.post(reverse("hours:item_add", args=[d.pk, record.pk]),
                           {"activity": "absence", "reason": "sick_leave", "months_away": "6", "year": "2023"}, follow=True)
    assert refused_item(response, record)
    assert response.context["facts_form"].errors["months_away"] == [
        "病假须年度内超过6个月方可按在岗时间折算学时要求，填写的为6个月"]
    assert not Item.objects.filter(year_record=record).exists()
    assert fresh_record(record).months_away == 0


def test_henan_eight_months_abroad_leave_a_third_of_the_requirement(p):
    d = henan_draft(p.song)
    record = services.year_record_add(declaration=d, user=p.song, year=2023)
    services.item_add(year_record=record, user=p.song, activity="absence", facts={"reason": "abroad", "months_away": 8})
    (year,) = selectors.declaration_workspace(d)["years"]
    required = year["check"].required
    assert (required.public, required.professional, required.total) == (10, 20, 30)
    # the absence asks for its evidence: 单位证明 (and 医院证明 for sick leave)
    assert year["items"][0]["missing"] == ["缺少：单位证明材料"]


def fresh_record(record):
    return YearRecord.objects.get(pk=record.pk)


def test_one_absence_of_each_kind_a_year(p):
    d = henan_draft(p.song)
    record = services.year_record_add(declaration=d, user=p.song, year=2023)
    services.item_add(year_record=record, user=p.song, activity="absence", facts={"reason": "sick_leave", "months_away": 7})
    with pytest.raises(ValidationError) as caught:
        services.item_add(year_record=record, user=p.song, activity="absence", facts={"reason": "sick_leave", "months_away": 7})
    assert caught.value.message_dict == {"reason": [
        "2023年度已申报“年度内在境外工作超过6个月、年度内因病假超过6个月、生育或经业务主管部门批准的其他情况”（病假），"
        "每年度只能申报一次；如需修改请先删除原项目。"]}
    services.item_add(year_record=record, user=p.song, activity="absence", facts={"reason": "maternity", "months_away": 3})
    assert fresh_record(record).months_away == 10
