"""The read side: what a platform sent and what became of each record."""
from datetime import timedelta

import pytest
from django.utils import timezone

from hours import services as hours_services
from hours.models import TrainingRecord
from tests.api.conftest import SONG, WU, make_key, record
from tests.helpers import assert_database_query_count
from tests.hours.fixtures_views import draft, p  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db


def ids(response):
    assert response.status_code == 200, response.content.decode()
    return sorted(r["record_id"] for r in response.json()["items"])


@pytest.fixture
def sent(platform, p):
    """R-WAIT waiting, R-GONE withdrawn, R-IN ticked into 宋庆涛's draft."""
    platform.outcomes(record("R-WAIT", person=WU), record("R-GONE", person=WU), record("R-IN"))
    platform.delete("R-GONE")
    d = draft(p.song, start_year=2023, end_year=2023)
    year_record = hours_services.year_record_add(declaration=d, user=p.song, year=2023)
    hours_services.training_records_claim(
        year_record=year_record, user=p.song, record_ids=[TrainingRecord.objects.get(external_id="R-IN").pk]
    )
    return platform


def test_the_list_filters_on_status(sent):
    assert ids(sent.get()) == ["R-GONE", "R-IN", "R-WAIT"]
    assert ids(sent.get(status="waiting")) == ["R-WAIT"]
    assert ids(sent.get(status="withdrawn")) == ["R-GONE"]
    assert ids(sent.get(status="in_declaration")) == ["R-IN"]
    assert ids(sent.get(status="approved")) == []
    one = sent.get("/R-IN").json()
    assert (one["status"], one["status_label"]) == ("in_declaration", "已选入申报，审核中")


@pytest.mark.parametrize("params", [
    {"status": "approve"}, {"status": ""}, {"status": "WAITING"}, {"updated_since": "yesterday"},
    {"updated_since": "2024-13-01"}, {"limit": "0"}, {"limit": "-1"}, {"offset": "-1"}, {"limit": "x"},
    # Numbers past the database's integers, moments that overflow when moved to UTC: were 500s.
    {"offset": "9223372036854775808"}, {"offset": "9" * 400}, {"limit": "9223372036854775808"}, {"limit": "1001"},
    {"updated_since": "0001-01-01T00:00:00+14:00"}, {"updated_since": "9999-12-31T23:59:59-14:00"}, {"updated_since": "0001-01-01"},
])
def test_an_invalid_filter_is_answered_422_never_a_wider_list(sent, params):
    response = sent.get(**params)
    assert response.status_code == 422, (params, response.status_code)
    assert "items" not in response.json()


def test_updated_since(sent):
    moment = timezone.now()
    TrainingRecord.objects.filter(external_id="R-WAIT").update(updated_at=moment - timedelta(days=2))
    since = (moment - timedelta(days=1)).isoformat()
    assert ids(sent.get(updated_since=since)) == ["R-GONE", "R-IN"]
    assert ids(sent.get(updated_since=(moment + timedelta(days=1)).isoformat())) == []
    # Without a time zone: Beijing time (settings.TIME_ZONE).
    local = timezone.localtime(moment - timedelta(days=1)).replace(tzinfo=None)
    assert ids(sent.get(updated_since=local.isoformat())) == ["R-GONE", "R-IN"]


def test_pagination(platform):
    platform.outcomes(*[record(f"R-{i:02d}", title=f"课程{i}") for i in range(25)])
    first = platform.get(limit=10).json()
    assert first["count"] == 25 and len(first["items"]) == 10
    pages = [platform.get(limit=10, offset=offset).json()["items"] for offset in (0, 10, 20)]
    seen = [r["record_id"] for page in pages for r in page]
    assert sorted(seen) == [f"R-{i:02d}" for i in range(25)]
    assert platform.get(limit=10, offset=30).json()["items"] == []


def test_id_numbers_are_masked_in_every_answer(platform):
    platform.outcomes(record("R-1"))
    for response in (platform.get(), platform.get("/R-1"), platform.delete("R-1")):
        text = response.content.decode()
        assert SONG[0] not in text and "4301**********1015" in text


def test_the_list_runs_a_fixed_number_of_queries(demo, p):
    platform = make_key(demo)
    platform.get()  # the key's last use is written at most once a minute: out of the way first

    def listed():
        # The key (with its organisation and bureau), the count, the page of records with their
        # declarations: whatever the rows and their states.
        with assert_database_query_count(3):
            response = platform.get(limit=100)
        assert response.status_code == 200
        return response

    platform.outcomes(record("R-0"))
    listed()
    platform.outcomes(*[record(f"R-{i}", title=f"课程{i}") for i in range(1, 30)])
    d = draft(p.song, start_year=2023, end_year=2023)
    year_record = hours_services.year_record_add(declaration=d, user=p.song, year=2023)
    hours_services.training_records_claim(
        year_record=year_record, user=p.song, record_ids=list(TrainingRecord.objects.filter(external_id__in=["R-1", "R-2"]).values_list("pk", flat=True))
    )
    platform.delete("R-3")
    assert {r["status"] for r in listed().json()["items"]} == {"waiting", "in_declaration", "withdrawn"}
