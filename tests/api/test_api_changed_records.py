"""A changed re-send is written in one statement for all its records (services._update_rows): what
the platform reads back is what it sent, and sending it once more changes nothing."""
from tests.api.keyed import api_key, keyed_client, record

RECORDS = "/api/v1/records"


def test_changed_records_are_stored_as_sent(demo):
    _, raw = api_key(demo)
    client = keyed_client(raw)
    first = [record("R-1"), record("R-2", title="专业科目培训", subject="professional")]
    assert client.post(RECORDS, {"records": first}, content_type="application/json").json()["accepted"] == 2
    changed = [
        record("R-1", title="2025年公需科目培训（更正）", hours="15.5", start_date="2025-02-27", end_date="2025-02-28",
               certificate_no="GX-2025-01"),
        first[1],
    ]
    answer = client.post(RECORDS, {"records": changed}, content_type="application/json").json()
    assert [r["status"] for r in answer["results"]] == ["updated", "unchanged"]
    shown = client.get(f"{RECORDS}/R-1").json()
    assert {k: shown[k] for k in ("title", "hours", "start_date", "end_date", "certificate_no", "year", "status")} == {
        "title": "2025年公需科目培训（更正）", "hours": "15.5", "start_date": "2025-02-27", "end_date": "2025-02-28",
        "certificate_no": "GX-2025-01", "year": 2025, "status": "waiting",
    }
    assert shown["updated_at"] > shown["received_at"]
    again = client.post(RECORDS, {"records": changed}, content_type="application/json").json()
    assert [r["status"] for r in again["results"]] == ["unchanged", "unchanged"]


def test_a_withdrawn_record_sent_again_is_offered_again(demo):
    _, raw = api_key(demo)
    client = keyed_client(raw)
    client.post(RECORDS, {"records": [record("R-1")]}, content_type="application/json")
    assert client.delete(f"{RECORDS}/R-1").json()["status"] == "withdrawn"
    answer = client.post(RECORDS, {"records": [record("R-1")]}, content_type="application/json").json()
    assert answer["results"][0]["status"] == "updated"
    assert client.get(f"{RECORDS}/R-1").json()["status"] == "waiting"
