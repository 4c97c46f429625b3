"""Who may call the API: a valid key of an active organisation, and only for its own records."""
import pytest
from django.test import Client

from accounts.models import Organisation
from api import services
from api.models import ApiKey
from hours.models import TrainingRecord
from tests.api.conftest import RECORDS, make_key, record
from tests.helpers import make_unit

pytestmark = pytest.mark.django_db


def assert_unauthenticated(response):
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
    assert "接口密钥" in response.json()["detail"]


@pytest.mark.parametrize("authorization", [
    None, "", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "xsk_12345678_abc", "Bearer xsk", "Bearer 密钥",
    "Bearer " + "x" * 5000, "Bearer xsk_00000000_" + "A" * 43,
])
def test_a_call_without_a_valid_key_is_answered_401_in_chinese(demo, authorization):
    headers = {} if authorization is None else {"HTTP_AUTHORIZATION": authorization}
    for response in (
        Client().get(RECORDS, **headers),
        Client().post(RECORDS, {"records": [record()]}, content_type="application/json", **headers),
        Client().delete(f"{RECORDS}/R-1", **headers),
    ):
        assert_unauthenticated(response)
    assert not TrainingRecord.objects.exists()


def test_a_revoked_key_is_refused_and_the_others_of_its_organisation_still_work(demo):
    first, second = make_key(demo, name="一号"), make_key(demo, name="二号")
    assert first.push(record("R-1")).status_code == 200
    services.key_revoke(user=demo.account("bureau_clerk"), key=first.key)
    assert_unauthenticated(first.push(record("R-2")))
    assert_unauthenticated(first.get())
    # The client is the organisation: the second key sees what the first sent.
    assert [r["record_id"] for r in second.get().json()["items"]] == ["R-1"]


def test_a_key_of_a_switched_off_organisation_is_refused(demo):
    platform = make_key(demo)
    Organisation.objects.filter(pk=platform.key.organisation_id).update(is_active=False)
    assert_unauthenticated(platform.push(record()))
    assert not TrainingRecord.objects.exists()


@pytest.fixture
def two_platforms(demo):
    other_base = make_unit(name="另一个培训基地", bureau=demo.org("湖南省人力资源和社会保障厅"))
    Organisation.objects.filter(pk=other_base.pk).update(kind="training_base")
    return make_key(demo), make_key(demo, Organisation.objects.get(pk=other_base.pk))


def test_another_clients_record_ids_are_not_found_and_stay_untouched(two_platforms):
    ours, theirs = two_platforms
    assert theirs.outcomes(record("SHARED-1")) == {"SHARED-1": ("accepted", "")}
    before = list(TrainingRecord.objects.values())

    assert ours.get("/SHARED-1").status_code == 404
    assert ours.delete("SHARED-1").status_code == 404
    assert ours.get().json() == {"items": [], "count": 0}
    assert list(TrainingRecord.objects.values()) == before


def test_pushing_another_clients_record_id_makes_the_senders_own_record(two_platforms):
    ours, theirs = two_platforms
    theirs.outcomes(record("SHARED-1"))
    assert ours.outcomes(record("SHARED-1", title="另一门课程")) == {"SHARED-1": ("accepted", "")}
    titles = dict(TrainingRecord.objects.values_list("source_org_id", "title"))
    assert titles == {theirs.key.organisation_id: "2023年专业技术人员公需科目培训", ours.key.organisation_id: "另一门课程"}
    assert theirs.get("/SHARED-1").json()["title"] == "2023年专业技术人员公需科目培训"
    assert ours.delete("SHARED-1").json()["status"] == "withdrawn"
    assert theirs.get("/SHARED-1").json()["status"] == "waiting"


def test_the_rate_limit_answers_429_with_retry_after(demo, settings):
    settings.API_RATE_LIMIT = (2, 60)
    platform = make_key(demo)
    assert [platform.get().status_code for _ in range(3)] == [200, 200, 429]
    response = platform.get()
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    assert "频繁" in response.json()["detail"]


def test_the_key_itself_is_never_stored(demo):
    platform = make_key(demo)
    assert platform.raw.startswith(f"xsk_{platform.key.prefix}_")
    assert platform.raw not in str(list(ApiKey.objects.values()))
