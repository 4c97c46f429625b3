"""Pushing records: what each record's answer is, and that re-sending is safe."""
import json
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from api.schemas import MAX_BATCH
from hours import selectors, services as hours_services, transitions
from hours.models import TrainingRecord
from tests.api.conftest import SONG, WU, make_key, record
from accounts import services as account_services
from certificates.records import applicant_record
from tests.helpers import DEMO_PASSWORD, make_id_number, make_phone
from tests.hours.fixtures_views import complete, draft, media, p, year_with_training  # noqa: F401 - fixtures
from workflow.models import State

pytestmark = pytest.mark.django_db


# --- refusals, one reason at a time ----------------------------------------------------------------


@pytest.mark.parametrize("overrides, code", [
    ({"id_number": "430121198805041016"}, "id_number_invalid"),  # wrong check digit
    ({"id_number": "4301211988"}, "id_number_invalid"),
    ({"name": "宋庆"}, "name_mismatch"),
    ({"hours": "16.5"}, "hours_exceed"),  # 2 days × hunan-2024's 8 hours a day = 16 at most
    ({"start_date": "2023-06-03", "end_date": "2023-06-02"}, "dates_invalid"),
    ({"title": "公需\x07科目"}, "text_invalid"),
    ({"name": "宋庆涛\x00"}, "text_invalid"),
    ({"certificate_no": "ZS\x1b001"}, "text_invalid"),
])
def test_each_refusal_names_its_reason(platform, overrides, code):
    response = platform.push(record("R-1", **overrides), record("R-2"))
    assert response.status_code == 200
    body = response.json()
    assert (body["accepted"], body["refused"]) == (1, 1)
    refused = body["results"][0]
    assert (refused["record_id"], refused["status"], refused["reason_code"]) == ("R-1", "refused", code)
    assert refused["reason"]  # in Chinese, for the platform's operator
    assert list(TrainingRecord.objects.values_list("external_id", flat=True)) == ["R-2"]


def test_sixteen_hours_for_two_days_is_the_most_accepted(platform):
    assert platform.outcomes(record("R-1", hours="16")) == {"R-1": ("accepted", "")}
    answer = platform.push(record("R-2", hours="17")).json()["results"][0]
    assert answer["reason_code"] == "hours_exceed" and "共2天，最多16学时" in answer["reason"]


def test_a_course_ending_in_the_future_is_refused(platform, today):
    ends = today + timedelta(days=1)
    answer = platform.push(record("R-1", start_date=str(today), end_date=str(ends))).json()["results"][0]
    assert answer["reason_code"] == "dates_invalid" and "已结业" in answer["reason"]


def test_full_width_digits_are_normalised_and_accepted(platform):
    full_width = SONG[0].translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    assert platform.outcomes(record("R-1", id_number=full_width)) == {"R-1": ("accepted", "")}
    assert TrainingRecord.objects.get().id_number == SONG[0]
    # Sent again in ASCII it is the same record.
    assert platform.outcomes(record("R-1")) == {"R-1": ("unchanged", "")}


def test_a_lower_case_check_character_is_accepted(platform):
    wu_lower = (WU[0].lower(), WU[1])
    assert platform.outcomes(record("R-1", person=wu_lower)) == {"R-1": ("accepted", "")}
    assert TrainingRecord.objects.get().id_number == WU[0]


def test_a_record_id_twice_in_one_batch_keeps_the_first(platform):
    response = platform.push(record("R-1"), record("R-1", title="第二条"))
    results = response.json()["results"]
    assert [(r["status"], r["reason_code"]) for r in results] == [("accepted", ""), ("refused", "duplicate_in_batch")]
    assert TrainingRecord.objects.get().title == "2023年专业技术人员公需科目培训"


# --- scope ---------------------------------------------------------------------------------------


def test_a_subject_the_key_may_not_report_is_refused(demo):
    public_only = make_key(demo, subjects=["public"])
    response = public_only.push(record("R-1", subject="professional"), record("R-2"))
    assert [r["reason_code"] for r in response.json()["results"]] == ["subject_not_scoped", ""]
    assert "专业科目" in response.json()["results"][0]["reason"]


def test_a_person_on_file_under_another_bureau_is_outside_the_keys_jurisdiction(demo):
    changsha = make_key(demo, bureau=demo.org("长沙市人力资源和社会保障局"))
    answers = changsha.outcomes(record("R-SONG"), record("R-WU", person=WU))
    assert answers == {"R-SONG": ("refused", "outside_jurisdiction"), "R-WU": ("accepted", "")}


def test_a_province_key_reaches_the_city_bureaus_below_the_province(demo):
    """The province bureau's area holds the city bureaus' (accounts.models.bureau_area_q)."""
    province = make_key(demo, bureau=demo.org("湖南省人力资源和社会保障厅"))
    assert province.outcomes(record("R-SONG"), record("R-WU", person=WU)) == {
        "R-SONG": ("accepted", ""), "R-WU": ("accepted", ""),
    }
    zhuzhou = make_key(demo, bureau=demo.org("株洲市人力资源和社会保障局"), name="株洲密钥")
    assert zhuzhou.outcomes(record("R-WU", person=WU)) == {"R-WU": ("refused", "outside_jurisdiction")}


def test_a_person_not_yet_registered_is_accepted_their_record_finds_it_when_they_register(demo):
    """Nobody on file with the number: no name to compare, no unit to place. The record waits under
    the number; 学时档案 and 确认选择 find records by 证件号码, so it is theirs once they register.
    (A province-wide key: one limited to a bureau refuses people it cannot place, below.)"""
    province = make_key(demo)
    newcomer = (make_id_number(), "新来的人")
    assert province.outcomes(record("R-1", person=newcomer), record("R-2", person=newcomer, title="第二门")) == {
        "R-1": ("accepted", ""), "R-2": ("accepted", ""),
    }
    province.delete("R-2")
    person = account_services.person_register(
        id_number=newcomer[0], name=newcomer[1], phone=make_phone(), password=DEMO_PASSWORD,
        organisation=demo.org("长沙市第一医院"), ethnicity="汉族", education="大学本科",
    )
    year = next(row for row in applicant_record(applicant=person).rows if row.year == 2023)
    assert (year.training_count, year.training_hours) == (1, 16)  # the withdrawn one not among them


# --- idempotency ---------------------------------------------------------------------------------


def offered_to(declaration, year=2023):
    """The records 确认选择 offers the person in that year of the declaration."""
    years = selectors.declaration_workspace(declaration)["years"]
    return [r.external_id for y in years if y["record"].year == year for r in y["training_records"]]


@pytest.fixture
def song_2023(p):
    d = draft(p.song, start_year=2023, end_year=2023)
    hours_services.year_record_add(declaration=d, user=p.song, year=2023)
    return d


def test_a_resend_changes_nothing_and_is_offered_once(platform, song_2023):
    assert platform.outcomes(record("R-1")) == {"R-1": ("accepted", "")}
    updated_at = TrainingRecord.objects.get().updated_at
    for _ in range(2):
        assert platform.outcomes(record("R-1")) == {"R-1": ("unchanged", "")}
    assert TrainingRecord.objects.count() == 1 and TrainingRecord.objects.get().updated_at == updated_at
    assert offered_to(song_2023) == ["R-1"]


def test_a_changed_resend_updates_the_record(platform, song_2023):
    platform.outcomes(record("R-1"))
    assert platform.outcomes(record("R-1", hours="12", title="更正后的名称")) == {"R-1": ("updated", "")}
    assert platform.outcomes(record("R-1", hours="12", title="更正后的名称")) == {"R-1": ("unchanged", "")}
    row = TrainingRecord.objects.get()
    assert (str(row.hours), row.title) == ("12.0", "更正后的名称")
    assert offered_to(song_2023) == ["R-1"]


def test_a_withdrawn_record_is_offered_to_no_one_and_a_resend_reinstates_it(platform, song_2023):
    platform.outcomes(record("R-1"))
    for _ in range(2):  # withdrawing twice: the same end state
        response = platform.delete("R-1")
        assert response.status_code == 200 and response.json()["status"] == "withdrawn"
    assert not TrainingRecord.objects.offered().exists()
    assert offered_to(song_2023) == []
    assert platform.get("/R-1").json()["status"] == "withdrawn"

    assert platform.outcomes(record("R-1")) == {"R-1": ("updated", "")}
    assert platform.outcomes(record("R-1")) == {"R-1": ("unchanged", "")}
    assert platform.get("/R-1").json()["status"] == "waiting"
    assert offered_to(song_2023) == ["R-1"]


def test_a_withdrawn_record_cannot_be_ticked_in(platform, p, song_2023):
    platform.outcomes(record("R-1"))
    platform.delete("R-1")
    year_record = song_2023.year_records.get()
    with pytest.raises(Exception) as caught:
        hours_services.training_records_claim(year_record=year_record, user=p.song, record_ids=[TrainingRecord.objects.get().pk])
    assert "已被培训机构撤回" in str(caught.value)
    assert TrainingRecord.objects.get().item_id is None


def test_an_unknown_record_cannot_be_withdrawn(platform):
    response = platform.delete("NOPE")
    assert response.status_code == 404


def test_a_record_id_with_a_slash_can_be_read_and_withdrawn(platform):
    assert platform.outcomes(record("2023/06/R-1")) == {"2023/06/R-1": ("accepted", "")}
    assert platform.get("/2023/06/R-1").json()["record_id"] == "2023/06/R-1"
    assert platform.delete("2023/06/R-1").json()["status"] == "withdrawn"


# --- records ticked into a declaration -----------------------------------------------------------


def claimed(platform, p, declaration):
    platform.outcomes(record("R-1"))
    year_record = declaration.year_records.get()
    hours_services.training_records_claim(year_record=year_record, user=p.song, record_ids=[TrainingRecord.objects.get().pk])
    return TrainingRecord.objects.get()


def test_a_record_ticked_into_a_draft_cannot_be_changed_or_withdrawn(platform, p, song_2023):
    before = claimed(platform, p, song_2023)
    answer = platform.push(record("R-1", hours="8")).json()["results"][0]
    assert answer["reason_code"] == "record_in_use" and "2023年度" in answer["reason"] and "待提交" in answer["reason"]
    # The same values again are not a change.
    assert platform.outcomes(record("R-1")) == {"R-1": ("unchanged", "")}
    response = platform.delete("R-1")
    assert response.status_code == 409 and "不能修改或撤回" in response.json()["detail"]
    after = TrainingRecord.objects.get()
    assert (after.hours, after.withdrawn_at, after.item_id) == (before.hours, None, before.item_id)
    assert platform.get("/R-1").json()["status"] == "in_declaration"


def at_the_bureau(platform, p):
    """宋庆涛's 2023 declaration with R-1 ticked in, submitted and passed up to the bureau."""
    d = draft(p.song, start_year=2023, end_year=2023)
    year_with_training(d, p.song, year=2023)
    claimed(platform, p, d)
    d = transitions.declaration_submit(declaration=complete(d), user=p.song, pledge=True)
    d = transitions.declaration_approve(declaration=d, user=p.chen, next_org=p.dzy, opinion="同意")
    d = transitions.declaration_approve(declaration=d, user=p.dzy_admin, next_org=p.hn, opinion="同意")
    return d


def test_a_record_of_an_approved_declaration_is_refused_naming_the_state(platform, p, media):  # noqa: F811
    d = at_the_bureau(platform, p)
    d = transitions.declaration_approve(declaration=d, user=p.hn_clerk, opinion="同意")
    assert d.state == State.APPROVED

    answer = platform.push(record("R-1", title="改个名字")).json()["results"][0]
    assert answer["reason_code"] == "record_in_use" and "审核通过" in answer["reason"]
    assert platform.delete("R-1").status_code == 409
    assert platform.get("/R-1").json()["status"] == "approved"
    assert [r["record_id"] for r in platform.get(status="approved").json()["items"]] == ["R-1"]
    assert platform.get(status="in_declaration").json()["items"] == []
    assert TrainingRecord.objects.get().title == "2023年专业技术人员公需科目培训"


# --- batches ---------------------------------------------------------------------------------------


def many(count, prefix="R"):
    return [record(f"{prefix}-{i:05d}", title=f"专业技术人员继续教育在线课程第{i}讲") for i in range(count)]


def test_a_batch_of_1000_records_is_accepted_and_1001_refused(platform):
    body = json.dumps({"records": many(MAX_BATCH)})
    assert len(body.encode()) < settings.API_MAX_BODY
    response = platform.post_body(body)
    assert response.status_code == 200 and response.json()["accepted"] == MAX_BATCH
    assert TrainingRecord.objects.count() == MAX_BATCH

    response = platform.post_body(json.dumps({"records": many(MAX_BATCH + 1, prefix="S")}))
    assert response.status_code == 422
    assert TrainingRecord.objects.count() == MAX_BATCH


def test_an_oversized_body_is_refused_before_it_is_read(platform, monkeypatch):
    from django.core.handlers.wsgi import WSGIRequest

    def never(self):
        raise AssertionError("the body was read")

    monkeypatch.setattr(WSGIRequest, "body", property(never))
    response = platform.post_body("{}", CONTENT_LENGTH=str(settings.API_MAX_BODY + 1))
    assert response.status_code == 413 and "分批" in response.json()["detail"]


@pytest.mark.parametrize("body, where", [
    ("{", None),
    ("[]", None),
    ('{"records": []}', ["body", "batch", "records"]),
    ('{"records": "x"}', ["body", "batch", "records"]),
    (json.dumps({"records": [record(), {**record("R-2"), "hours": "abc"}]}), ["body", "batch", "records", 1, "hours"]),
    (json.dumps({"records": [record(), {**record("R-2"), "start_date": "2023-02-30"}]}), ["body", "batch", "records", 1, "start_date"]),
    (json.dumps({"records": [{**record(), "subject": "other"}]}), ["body", "batch", "records", 0, "subject"]),
    (json.dumps({"records": [{**record(), "record_id": "有中文"}]}), ["body", "batch", "records", 0, "record_id"]),
    (json.dumps({"records": [{**record(), "hours": 1e309}]}).replace("Infinity", "1e309"), None),
    ('{"records": [' + "[" * 5000 + "]" * 5000 + "]}", None),
])
def test_malformed_bodies_are_answered_422_naming_the_record(platform, body, where):
    response = platform.post_body(body)
    assert response.status_code == 422, response.content.decode()[:500]
    if where is not None:
        assert where in [e["loc"] for e in response.json()["detail"]], response.json()
    assert not TrainingRecord.objects.exists()


def test_the_push_runs_as_many_queries_for_200_records_as_for_10(platform):
    """The same statements whatever the batch's size, but for the inserts SQLite's limit of bound
    parameters makes Django split (PostgreSQL takes the 200 rows in one statement)."""
    platform.get()  # the key's last use is written at most once a minute: out of the way first
    statements = []
    for prefix, size in (("A", 10), ("B", 200)):
        body = json.dumps({"records": many(size, prefix)})
        with CaptureQueriesContext(connection) as captured:
            assert platform.post_body(body).json()["accepted"] == size
        statements.append([q["sql"] for q in captured.captured_queries])
    small, large = statements
    def inserts(queries):
        return sum(q.startswith('INSERT INTO "hours_trainingrecord"') for q in queries)

    assert len(small) - inserts(small) == len(large) - inserts(large), (small, large)
    assert inserts(small) == 1
    assert inserts(large) == (1 if connection.vendor == "postgresql" else -(-200 // connection.ops.bulk_batch_size(
        [f for f in TrainingRecord._meta.concrete_fields if not f.primary_key], [None] * 200)))


def test_a_course_the_base_uploaded_as_a_spreadsheet_is_not_pushed_again(demo, platform):
    """The same training sent both ways would be offered twice in 确认选择 and counted twice."""
    sent = platform.push(record("R-SHEET"))
    assert sent.json()["results"][0]["status"] == "accepted"
    row = TrainingRecord.objects.get(external_id="R-SHEET")
    TrainingRecord.objects.filter(pk=row.pk).delete()
    TrainingRecord.objects.create(
        source=row.source, source_org=row.source_org, id_number=row.id_number, name=row.name, year=row.year,
        title=row.title, subject=row.subject, hours=row.hours,
    )
    again = platform.push(record("R-SHEET")).json()["results"][0]
    assert (again["status"], again["reason_code"]) == ("refused", "imported_before")
    assert TrainingRecord.objects.filter(id_number=row.id_number, year=row.year, title=row.title).count() == 1


def test_a_key_reaches_only_the_records_of_its_subjects(demo, platform):
    """Keys of one organisation share its record ids, not their scope: a 公需-only key neither
    reads, lists, withdraws nor rewrites the 专业 record another key sent."""
    platform.outcomes(record("R-PRO", subject="professional"))
    public_only = make_key(demo, subjects=("public",), name="公需密钥")
    assert public_only.get("/R-PRO").status_code == 404
    assert public_only.get().json()["count"] == 0
    assert public_only.delete("R-PRO").status_code == 404
    assert public_only.outcomes(record("R-PRO")) == {"R-PRO": ("refused", "subject_not_scoped")}
    row = TrainingRecord.objects.get()
    assert (row.subject, row.withdrawn_at) == ("professional", None)


def test_ticking_a_record_in_shows_in_updated_since(platform, p, song_2023):
    platform.outcomes(record("R-1"))
    before = platform.get(updated_since=timezone.now().isoformat())
    assert before.json()["count"] == 0
    hours_services.training_records_claim(
        year_record=song_2023.year_records.get(), user=p.song, record_ids=[TrainingRecord.objects.get().pk]
    )
    after = platform.get(updated_since=(timezone.now() - timedelta(minutes=1)).isoformat()).json()
    assert [(r["record_id"], r["status"]) for r in after["items"]] == [("R-1", "in_declaration")]


def test_without_a_rule_set_in_force_the_push_is_answered_503(platform):
    from hours.models import RuleSet

    RuleSet.objects.update(is_active=False)
    response = platform.push(record("R-1"))
    assert response.status_code == 503 and "规则" in response.json()["detail"]
    assert not TrainingRecord.objects.exists()


def test_a_platform_key_does_not_push_what_a_clerk_imported_from_the_platform(demo):
    """事业单位工作人员培训平台 spreadsheets are imported by a clerk without an organisation."""
    row = record("R-PLAT")
    TrainingRecord.objects.create(
        source="platform", id_number=row["id_number"], name=row["name"], year=2023, title=row["title"], subject="public", hours=16,
    )
    platform = make_key(demo, source="platform", name="平台密钥")
    assert platform.outcomes(row) == {"R-PLAT": ("refused", "imported_before")}


def test_a_key_limited_to_a_bureau_refuses_people_it_cannot_place(demo):
    """Not registered, so no unit and no bureau: a city base's key could otherwise report for anyone
    in the province, whose records would wait for them wherever they register."""
    changsha = make_key(demo, bureau=demo.org("长沙市人力资源和社会保障局"), name="长沙密钥")
    stranger = record("R-NEW", id_number=make_id_number(), name="新学员")
    assert changsha.outcomes(stranger) == {"R-NEW": ("refused", "outside_jurisdiction")}
    assert not TrainingRecord.objects.exists()


def test_approval_and_revocation_reach_a_platform_polling_updated_since(platform, p, media):  # noqa: F811
    d = at_the_bureau(platform, p)
    before_approval = timezone.now()
    d = transitions.declaration_approve(declaration=d, user=p.hn_clerk, opinion="同意")
    changed = platform.get(updated_since=before_approval.isoformat()).json()["items"]
    assert [(r["record_id"], r["status"]) for r in changed] == [("R-1", "approved")]

    before_revocation = timezone.now()
    transitions.declaration_revoke(declaration=d, user=p.hn_clerk, years=[2023], reason="false_materials", reason_text="材料不实")
    changed = platform.get(updated_since=before_revocation.isoformat()).json()["items"]
    assert [(r["record_id"], r["status"], r["status_label"]) for r in changed] == [("R-1", "revoked", "认定已撤销")]
    assert [r["record_id"] for r in platform.get(status="revoked").json()["items"]] == ["R-1"]
    assert platform.get(status="approved").json()["items"] == []
