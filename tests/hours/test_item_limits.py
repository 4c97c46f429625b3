"""What an item may claim (issue 16, “wrong data accepted”): no more days than a year has, in one
item or together in a year; no item that earns nothing; an aid assignment only in its own years.
Every refusal is a Chinese message beside the field, and nothing is stored."""
import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from hours import services
from hours.models import Item, RuleSet
from tests.helpers import text_of
from tests.hours.fixtures_views import *  # noqa: F401,F403

pytestmark = pytest.mark.usefixtures("media")


def year_of(user, year=2023, *, rule_set="hunan-2024"):
    d = services.declaration_create(
        user=user, applicant=user, data={**PROFILE, "name": user.name}, start_year=2020, end_year=2023,
        rule_set=RuleSet.objects.get(code=rule_set),
    )
    return d, services.year_record_add(declaration=d, user=user, year=year)


def post_item(client, d, record, activity, **facts):
    return client.post(reverse("hours:item_add", args=[d.pk, record.pk]), {"activity": activity, **facts}, follow=True)


def test_one_training_cannot_claim_more_days_than_its_year(client, p):
    d, record = year_of(p.song)
    client.force_login(p.song)
    response = post_item(client, d, record, "training", subject="professional", days="366", half_days="366", title="研修")
    assert refused_item(response, record)
    assert response.context["facts_form"].errors["days"] == ["整天数与半天数合计732天，超过一年的天数（2023年共365天）"]
    assert not Item.objects.exists()


def test_a_years_day_based_items_together_fit_in_the_year(client, p):
    d, record = year_of(p.song)
    services.item_add(year_record=record, user=p.song, activity="training",
                      facts={"subject": "professional", "days": 300, "half_days": 0, "title": "长期进修"})
    client.force_login(p.song)
    response = post_item(client, d, record, "conference", subject="public", days="60", half_days="6", title="学术年会")
    assert refused_item(response, record)
    assert response.context["facts_form"].errors["days"] == [
        "2023年度按天折算的学习项目已计300天，加上本项目66天，超过全年365天。"]
    assert Item.objects.count() == 1
    assert not refused_item(post_item(client, d, record, "conference", subject="public", days="60", half_days="5", title="学术年会"), record)
    assert Item.objects.count() == 2


@pytest.mark.parametrize(("activity", "facts", "fields"), [
    ("training", {"subject": "public", "days": "0", "half_days": "0", "title": "培训"}, ("days", "half_days")),
    ("utility_patent", {"rank": "4", "number": "ZL202320001234.5"}, ("rank",)),
    ("aid_assignment", {"months": "8", "passed": "false"}, ("months", "passed")),
    ("digital_exam", {"modules": "0"}, ("modules",)),
])
def test_an_item_that_earns_no_hours_is_refused_beside_its_fields(client, p, activity, facts, fields):
    d, record = year_of(p.song)
    client.force_login(p.song)
    response = post_item(client, d, record, activity, **facts)
    assert refused_item(response, record)
    errors = response.context["facts_form"].errors
    for field in fields:
        assert errors[field] == ["按折算细则，该项目折算为0学时，无需申报；请检查填写的内容。"]
    assert not Item.objects.exists()


def test_an_absence_credits_no_hours_and_is_still_accepted(p):
    _, record = year_of(p.song, rule_set="henan-2024")
    item = services.item_add(year_record=record, user=p.song, activity="absence", facts={"reason": "maternity", "months_away": 3})
    assert item.total_hours == 0


def test_an_aid_assignment_over_a_year_fills_only_its_own_years(p):
    d, record_2023 = year_of(p.song)
    record_2021 = services.year_record_add(declaration=d, user=p.song, year=2021)
    facts = {"months": 12, "passed": True, "start_date": "2020-01-01", "end_date": "2021-12-31", "title": "援疆"}
    item = services.item_add(year_record=record_2021, user=p.song, activity="aid_assignment", facts=facts)
    assert (item.public_hours, item.professional_hours, item.counted_year) == (30, 60, 2021)
    with pytest.raises(ValidationError) as caught:
        services.item_add(year_record=record_2023, user=p.song, activity="aid_assignment", facts=facts)
    assert caught.value.message_dict == {"year": ["外派期间为2020-01-01至2021-12-31，计入年度2023年不在外派期间内"]}
    assert Item.objects.count() == 1


def test_aid_assignment_months_must_agree_with_the_dates(client, p):
    d, record = year_of(p.song, 2022)
    client.force_login(p.song)
    response = post_item(client, d, record, "aid_assignment", months="8", passed="true",
                         start_date="2022-03-01", end_date="2022-08-31")
    assert refused_item(response, record)
    assert response.context["facts_form"].errors["months"] == [
        "填写的工作月数为8个月，但外派期间（2022-03-01至2022-08-31）在2022年内只有6个整月"]
    assert not Item.objects.exists()


@pytest.mark.parametrize(("query", "expected"), [
    ({"activity": "training", "subject": "public", "days": "0", "half_days": "0"}, "按折算细则，该项目折算为0学时，无需申报"),
    ({"activity": "training", "subject": "public", "days": "300", "half_days": "66"}, "超过一年的天数（2023年共365天）"),
    ({"activity": "aid_assignment", "months": "12", "passed": "true", "start_date": "2020-01-01", "end_date": "2021-12-31"},
     "计入年度2023年不在外派期间内"),
])
def test_the_live_preview_says_what_saving_would_refuse(client, p, query, expected):
    d, record = year_of(p.song)
    client.force_login(p.song)
    response = client.get(reverse("hours:item_preview", args=[d.pk, record.pk]), query, HTTP_HX_REQUEST="true")
    assert expected in text_of(response)


def test_the_live_preview_of_a_reviewer_determined_item(client, p):
    d, record = year_of(p.song, rule_set="henan-2024")
    client.force_login(p.song)
    response = client.get(reverse("hours:item_preview", args=[d.pk, record.pk]), {"activity": "other", "title": "技术指导"},
                          HTTP_HX_REQUEST="true")
    assert "学时由审核单位核定，核定前计0学时。" in text_of(response)
