"""One item per work (a paper's title, a patent's number) per applicant and year, and once a year
for what is declared once a year: the database refuses the second (a unique constraint on the
item's normalised identity), the service says so beside the field, in sequence or when the first
is committed while the second waits. 确认选择 takes only valid ids and gives one item per record."""
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from hours import services
from hours.models import Item, ItemSource, TrainingRecord
from tests.helpers import another_browser
from tests.hours.fixtures_views import *  # noqa: F401,F403

pytestmark = pytest.mark.usefixtures("media")

PAPER = {"activity": "paper", "author_rank": "1", "title": "湘西铅锌矿成矿规律研究"}


def item_url(d, record):
    return reverse("hours:item_add", args=[d.pk, record.pk])


def test_the_same_paper_twice_is_refused_beside_its_title(client, p):
    d = draft(p.song)
    record = services.year_record_add(declaration=d, user=p.song, year=2023)
    client.force_login(p.song)
    assert client.post(item_url(d, record), PAPER).status_code == 302
    # The double click is held back by the repeated-POST guard (core/repeats.py); from another
    # browser, or with other words in the form, the paper's identity refuses it.
    assert client.post(item_url(d, record), PAPER).status_code == 302
    response = another_browser(p.song).post(item_url(d, record), PAPER, follow=True)
    assert refused_item(response, record)
    assert response.context["facts_form"].errors["title"] == [
        "“湘西铅锌矿成矿规律研究”已在2023年度申报，同一论文题目只能申报一次。"]
    assert Item.objects.filter(year_record=record).count() == 1
    assert fresh(d).total_professional == 30


@pytest.mark.parametrize("again", ["Ｗｏｒｋ  ON 湘西铅锌矿 ", "work on 湘西铅锌矿", "WORK ON\u3000湘西铅锌矿"])
def test_titles_that_read_the_same_are_one_paper(p, again):
    d = draft(p.song)
    record = services.year_record_add(declaration=d, user=p.song, year=2023)
    services.item_add(year_record=record, user=p.song, activity="paper", facts={"author_rank": 1, "title": "Work on 湘西铅锌矿"})
    with pytest.raises(ValidationError) as caught:
        services.item_add(year_record=record, user=p.song, activity="paper", facts={"author_rank": 2, "title": again})
    assert "只能申报一次" in caught.value.message_dict["title"][0]
    assert Item.objects.count() == 1


def test_a_paper_needs_its_title(client, p):
    d = draft(p.song)
    record = services.year_record_add(declaration=d, user=p.song, year=2023)
    client.force_login(p.song)
    response = client.post(item_url(d, record), {**PAPER, "title": "  "}, follow=True)
    assert refused_item(response, record)
    assert response.context["facts_form"].errors["title"] == ["这个字段是必填项。"]
    with pytest.raises(ValidationError) as caught:
        services.item_add(year_record=record, user=p.song, activity="paper", facts={"author_rank": 1})
    assert "缺少必填项“论文题目”（title）" in caught.value.message_dict["title"][0]
    assert not Item.objects.exists()


def test_a_patent_is_one_by_its_number(p):
    d = draft(p.song)
    record = services.year_record_add(declaration=d, user=p.song, year=2023)
    facts = {"rank": 1, "number": "ZL202310001234.5", "title": "一种找矿方法"}
    services.item_add(year_record=record, user=p.song, activity="invention_patent", facts=facts)
    with pytest.raises(ValidationError) as caught:
        services.item_add(year_record=record, user=p.song, activity="invention_patent", facts={**facts, "title": "另一名称"})
    assert caught.value.message_dict["number"] == ["“ZL202310001234.5”已在2023年度申报，同一专利号只能申报一次。"]


def test_what_is_declared_once_a_year_is_declared_once(p):
    d = draft(p.song, start_year=2022, end_year=2023)
    records = [services.year_record_add(declaration=d, user=p.song, year=y) for y in (2022, 2023)]
    services.item_add(year_record=records[1], user=p.song, activity="digital_exam", facts={"modules": 2})
    with pytest.raises(ValidationError) as caught:
        services.item_add(year_record=records[1], user=p.song, activity="digital_exam", facts={"modules": 1})
    assert caught.value.messages == ["2023年度已申报“数字技术应用能力水平考试”，每年度只能申报一次；如需修改请先删除原项目。"]
    services.item_add(year_record=records[0], user=p.song, activity="digital_exam", facts={"modules": 1})  # another year
    assert Item.objects.count() == 2


def test_the_database_refuses_a_second_item_with_the_same_identity(p):
    d = draft(p.song)
    record = services.year_record_add(declaration=d, user=p.song, year=2023)
    first = services.item_add(year_record=record, user=p.song, activity="paper", facts={"author_rank": 1, "title": "A论文"})
    assert (first.applicant_id, first.identity_key) == (p.song.pk, "a论文")
    with pytest.raises(IntegrityError), transaction.atomic():
        Item.objects.create(year_record=record, applicant=p.song, activity="paper", identity_key="a论文", counted_year=2023)


def test_a_second_item_that_slips_past_the_check_is_refused_with_the_same_message(p):
    """As when two requests check before either has written: the constraint decides, the service
    answers with its message (not a 500) and nothing is half-saved."""
    d = draft(p.song)
    record = services.year_record_add(declaration=d, user=p.song, year=2023)
    services.item_add(year_record=record, user=p.song, activity="paper", facts={"author_rank": 1, "title": "A论文"})
    with mock.patch.object(services, "_identity_taken", return_value=None):
        with pytest.raises(ValidationError) as caught:
            services.item_add(year_record=record, user=p.song, activity="paper", facts={"author_rank": 1, "title": "Ａ论文"})
    assert caught.value.message_dict["title"] == ["“Ａ论文”已在2023年度申报，同一论文题目只能申报一次。"]
    assert Item.objects.count() == 1 and fresh(d).total_professional == 30


# --- 确认选择 --------------------------------------------------------------------------------------


def platform_record(p, **kwargs):
    return TrainingRecord.objects.create(**{
        "source": ItemSource.PLATFORM, "id_number": p.song.id_number, "name": p.song.name, "year": 2023,
        "title": "2023年度公需科目培训", "subject": "public", "hours": 30, **kwargs,
    })


@pytest.mark.parametrize("bad", ["²", "99999999999999999999999", "-1", "1e3", "0"])
def test_claim_with_an_impossible_record_number_is_a_message_not_a_500(client, p, bad):
    d = draft(p.song)
    record = services.year_record_add(declaration=d, user=p.song, year=2023)
    platform_record(p)
    client.force_login(p.song)
    response = client.post(reverse("hours:training_claim", args=[d.pk, record.pk]), {"records": [bad]}, follow=True)
    assert response.status_code == 200
    assert "所选培训记录无效，请刷新页面后重新勾选。" in messages_of(response)
    assert not Item.objects.exists()


def test_claiming_the_same_record_twice_gives_one_item(client, p):
    d = draft(p.song)
    record = services.year_record_add(declaration=d, user=p.song, year=2023)
    training = platform_record(p)
    client.force_login(p.song)
    url = reverse("hours:training_claim", args=[d.pk, record.pk])
    response = client.post(url, {"records": [str(training.pk), str(training.pk)]}, follow=True)
    assert "已确认选择1条培训记录。" in messages_of(response)
    response = client.post(url, {"records": [str(training.pk)]}, follow=True)  # the second tab
    assert "以下培训记录已被申报，不能重复选择：2023年度公需科目培训" in messages_of(response)
    assert Item.objects.count() == 1 and fresh(d).total_public == 30


def test_a_record_of_no_hours_is_not_claimed(p):
    d = draft(p.song)
    record = services.year_record_add(declaration=d, user=p.song, year=2023)
    training = platform_record(p, hours=0)
    with pytest.raises(ValidationError) as caught:
        services.training_records_claim(year_record=record, user=p.song, record_ids=[training.pk])
    assert caught.value.messages == ["以下培训记录为0学时，无需申报：2023年度公需科目培训"]
    assert not Item.objects.exists()
