"""Records pushed by training platforms and bases (api/, issue 20) where the applicant meets them:
确认选择 offers them with their sender and dates (a withdrawn one to no one, and it cannot be
claimed), 学时档案 counts them as waiting; ticked in, an item from a source the rule set recognises
needs no evidence and the reviewer sees why (its basis), one from a source it does not recognise
asks for the training's materials and cannot be submitted without them. The case page's 来源
names the sender, its record number, the certificate and the course dates."""
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from api import services as api_services
from api.schemas import RecordIn
from certificates.records import applicant_record
from hours import services, transitions
from hours.models import Item, ItemSource, TrainingRecord
from hours.policies import policy_for
from hours.rules.types import RECORD_SOURCES
from review import checks as review_checks
from tests.helpers import text_of
from tests.hours.fixtures_views import *  # noqa: F401,F403
from tests.hours.fixtures_views import attach_general_files, attach_item_files, complete, draft, fresh, messages_of

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]

BASE = "湖南大学继续教育学院（省级专业技术人员继续教育基地）"


def push(p, base, *, source="training_base", record_id="HNU-2023-0001", title="地质灾害防治专业能力提升班",
         hours="24", start=date(2023, 5, 8), end=date(2023, 5, 10), person=None):
    """One record sent for 宋庆涛 (unless told) through the API's service, as the key's source."""
    key, _ = api_services.key_create(
        user=p.hn_clerk, organisation=base, name=f"测试密钥{source}{record_id}", subjects=["public", "professional"], source=source,
        bureau=base.bureau,
    )
    person = person or p.song
    [outcome] = api_services.records_push(key=key, records=[RecordIn(
        record_id=record_id, id_number=person.id_number, name=person.name, title=title, subject="professional",
        hours=hours, start_date=start, end_date=end, certificate_no="HNU-ZS-0042",
    )])
    assert outcome.status == "accepted", outcome
    return TrainingRecord.objects.get(external_id=record_id)


@pytest.fixture
def base(demo):
    return demo.org(BASE)


def claim(client, d, year_record, records):
    url = reverse("hours:training_claim", args=[d.pk, year_record.pk])
    return client.post(url, {"records": [r.pk for r in records]}, follow=True)


def test_item_sources_sent_from_outside_are_the_rule_sets_record_sources():
    assert {s.value for s in ItemSource if s != ItemSource.APPLICANT} == set(RECORD_SOURCES)


def test_a_pushed_record_is_offered_with_its_sender_and_dates_and_a_withdrawn_one_is_not(client, p, base):
    record = push(p, base)
    gone = push(p, base, record_id="HNU-2023-0002", title="已撤回的培训班")
    key = api_services.key_create(user=p.hn_clerk, organisation=base, name="撤回", subjects=["professional"], source="training_base", bureau=base.bureau)[0]
    api_services.record_withdraw(key=key, record_id="HNU-2023-0002")
    d = draft(p.song, start_year=2023, end_year=2023)
    year_record = services.year_record_add(declaration=d, user=p.song, year=2023)
    client.force_login(p.song)
    page = text_of(client.get(reverse("hours:declaration_edit", args=[d.pk])))
    assert "地质灾害防治专业能力提升班" in page
    assert "湖南大学继续教育学院" in page and "平台记录编号 HNU-2023-0001" in page and "证书编号 HNU-ZS-0042" in page
    assert "2023-05-08至2023-05-10" in page
    assert "已撤回的培训班" not in page

    response = claim(client, d, year_record, [gone])
    assert messages_of(response) == ["以下培训记录已被培训机构撤回，不能选择：已撤回的培训班"]
    assert not Item.objects.filter(year_record=year_record).exists()

    response = claim(client, d, year_record, [record])
    assert messages_of(response) == ["已确认选择1条培训记录。"]
    item = Item.objects.get(year_record=year_record)
    assert (item.source, item.professional_hours, item.training_record.pk) == (ItemSource.TRAINING_BASE, 24, record.pk)
    # hunan-2024 recognises a base's hours: no materials asked
    assert "继续教育基地记录，按规定直接认定，无需上传" in text_of(response)


def test_record_counts_waiting_pushed_records_by_sender_and_not_withdrawn_ones(p, base):
    push(p, base)
    push(p, base, record_id="HNU-2023-0002", title="已撤回的培训班", hours="8", start=date(2023, 6, 1), end=date(2023, 6, 1))
    key = api_services.key_create(user=p.hn_clerk, organisation=base, name="撤回", subjects=["professional"], source="training_base", bureau=base.bureau)[0]
    api_services.record_withdraw(key=key, record_id="HNU-2023-0002")
    row = next(r for r in applicant_record(applicant=p.song, today=date(2024, 3, 1)).rows if r.year == 2023)
    assert (row.training_count, row.training_hours, row.training_from) == (1, 24, (BASE,))


def test_record_page_names_where_the_waiting_hours_come_from(client, p, base):
    push(p, base)
    client.force_login(p.song)
    page = text_of(client.get(reverse("certificates:record")))
    assert f"1条，24学时 来自{BASE}" in page


def test_an_item_from_a_source_not_recognised_asks_for_the_trainings_materials(client, p, base):
    """hunan-2024 recognises the platform, the bases and unit filings, not other platforms."""
    d = draft(p.song, start_year=2023, end_year=2023)
    assert policy_for(d.rule_set).code == "hunan-2024"
    record = push(p, base, source="other_platform", record_id="OTHER-1")
    year_record = services.year_record_add(declaration=d, user=p.song, year=2023)
    attach_general_files(d, p.song)
    client.force_login(p.song)
    page = text_of(claim(client, d, year_record, [record]))
    assert "折算细则未将其他培训平台的学时列为直接认定，请上传培训材料供审核。" in page
    assert "需提供以下材料之一" in page and "选取文件" in page
    assert "申报内容已完整，可以提交。" not in page
    item = Item.objects.get(year_record=year_record)

    response = client.post(reverse("hours:declaration_submit", args=[d.pk]), {"pledge": "on"}, follow=True)
    assert fresh(d).state == "draft"
    assert any("“地质灾害防治专业能力提升班”需提供以下材料之一" in m for m in [*messages_of(response), text_of(response)])

    attach_item_files(d, p.song, item, "training_notice", "course_schedule", "sign_in_sheet")
    page = text_of(client.get(reverse("hours:declaration_edit", args=[d.pk])))
    assert "申报内容已完整，可以提交。" in page
    response = client.post(reverse("hours:declaration_submit", args=[d.pk]), {"pledge": "on"}, follow=True)
    assert fresh(d).state != "draft", messages_of(response)


def checks_of(d):
    from hours import selectors as hours_selectors

    return review_checks.automatic_checks(d, hours_selectors.declaration_workspace(d))


def test_automatic_checks_say_why_sent_hours_stand_or_ask_for_files(p, base):
    d = draft(p.song, start_year=2023, end_year=2023)
    year_record = services.year_record_add(declaration=d, user=p.song, year=2023)
    recognised = push(p, base)
    other = push(p, base, source="other_platform", record_id="OTHER-1", title="某网络学院专业课程")
    services.training_records_claim(year_record=year_record, user=p.song, record_ids=[recognised.pk, other.pk])
    checks = {c.label: c for c in checks_of(d)}
    ok = checks[f"2023年度“地质灾害防治专业能力提升班”学时来自继续教育基地（{BASE}），按规定直接认定"]
    assert ok.ok and ok.detail.startswith("通知三（一）：专业技术人员参加国家级、省级专业技术人员继续教育基地")
    missing = checks["2023年度“某网络学院专业课程”佐证材料"]
    assert not missing.ok and missing.blocking and "需提供以下材料之一" in missing.detail
    assert not any("学时折算" in label for label in checks)  # hours as sent: not computed again from days

    item = Item.objects.get(training_record=other)
    attach_item_files(d, p.song, item, "training_notice", "course_schedule", "sign_in_sheet")
    assert "2023年度“某网络学院专业课程”佐证材料" not in {c.label for c in checks_of(d)}


def case_page(client, p, base, n, person=None):
    """A declaration of `person` (宋庆涛) with `n` records from the base ticked in, at its unit."""
    person = person or p.song
    d = draft(person, start_year=2023, end_year=2023)
    year_record = services.year_record_add(declaration=d, user=person, year=2023)
    records = [push(p, base, record_id=f"HNU-{person.pk}-{i}", title=f"专业能力提升班第{i}期", person=person) for i in range(n)]
    services.training_records_claim(year_record=year_record, user=person, record_ids=[r.pk for r in records])
    d = transitions.declaration_submit(declaration=complete(d), user=person, pledge=True)
    client.force_login(p.chen)
    return d


def test_case_page_names_the_sender_record_number_certificate_and_dates(client, p, base):
    d = case_page(client, p, base, 1)
    page = text_of(client.get(reverse("review:case", args=[d.pk])))
    assert f"继续教育基地 {BASE} 平台记录编号 HNU-{p.song.pk}-0 证书编号 HNU-ZS-0042 2023-05-08至2023-05-10 按规定直接认定" in page
    assert "来自已核准的平台或备案记录" in page


def test_case_page_reads_the_senders_with_the_items(client, p, base):
    """One record or three: the same queries (the sender comes with the item's record)."""
    counts = []
    for n, person in ((1, p.song), (3, p.zhao)):
        d = case_page(client, p, base, n, person)
        client.get(reverse("review:case", args=[d.pk]))  # the first look fills the cache (the windows)
        with CaptureQueriesContext(connection) as captured:
            response = client.get(reverse("review:case", args=[d.pk]))
        assert BASE in text_of(response)
        counts.append(len(captured.captured_queries))
    assert counts[0] == counts[1]


def test_a_rule_set_without_records_recognises_the_sources_it_knew_and_reviews_other_platforms(p, base):
    from hours.models import RuleSet

    d = draft(p.song, start_year=2023, end_year=2023)
    data = {k: v for k, v in d.rule_set.data.items() if k != "records"}
    RuleSet.objects.filter(pk=d.rule_set_id).update(data=data, updated_at=timezone.now())
    d = fresh(d)
    year_record = services.year_record_add(declaration=d, user=p.song, year=2023)
    other = push(p, base, source="other_platform", record_id="OTHER-1")
    platform = push(p, base, source="platform", record_id="PLAT-1", title="事业单位人员培训")
    services.training_records_claim(year_record=year_record, user=p.song, record_ids=[other.pk, platform.pk])
    labels = [c.label for c in checks_of(d)]
    assert f"2023年度“事业单位人员培训”学时来自事业单位工作人员培训平台（{BASE}），按规定直接认定" in labels
    assert f"2023年度“地质灾害防治专业能力提升班”学时来自其他培训平台（{BASE}），按规定直接认定" not in labels


def test_hours_imported_from_the_platform_without_a_sender_name_the_platform_alone(client, p):
    """The bureau clerk's 培训记录导入 of the platform's records names no organisation (only a base's
    import does): the check says where the hours come from without an empty （）."""
    from tests.hours.test_imports import csv_upload, post_import

    client.force_login(p.hn_clerk)
    response = post_import(client, csv_upload([f"{p.song.id_number},宋庆涛,2023,事业单位人员网络培训,专业科目,24,PX2023009"]))
    assert response.context["report"].created == 1
    record = TrainingRecord.objects.get(title="事业单位人员网络培训")
    assert (record.source, record.source_org) == (ItemSource.PLATFORM, None)
    d = draft(p.song, start_year=2023, end_year=2023)
    year_record = services.year_record_add(declaration=d, user=p.song, year=2023)
    services.training_records_claim(year_record=year_record, user=p.song, record_ids=[record.pk])
    labels = [c.label for c in checks_of(d)]
    assert "2023年度“事业单位人员网络培训”学时来自事业单位工作人员培训平台，按规定直接认定" in labels
