"""The request log of API calls: each line names the calling key by its prefix, never the key,
a header or a body, and no ID number is readable in any line, also where a platform uses the ID
number as its record id."""
from django.test import Client

from tests.api.keyed import api_key, keyed_client, record
from tests.portal.test_logging import json_logs, lines_of  # noqa: F401 - json_logs is a fixture

SONG = "430121198805041015"  # 宋庆涛 of the demo
RECORDS = "/api/v1/records"


def calls(client, raw):
    """A list, a push of records whose ids are ID numbers, reads of them (also typed full-width,
    with a lower-case x, inside a longer id), a refused key and a batch of the wrong shape."""
    hers = "43012119880504101X"
    assert client.get(RECORDS).status_code == 200
    pushed = client.post(RECORDS, {"records": [record(SONG), record(hers.lower(), title="专业科目培训")]},
                         content_type="application/json")
    assert pushed.status_code == 200, pushed.content
    assert client.get(f"{RECORDS}/{SONG}").json()["record_id"] == SONG
    assert client.get(f"{RECORDS}/{hers.lower()}").status_code == 200
    assert client.get(f"{RECORDS}/{SONG.translate(str.maketrans('0123456789', '０１２３４５６７８９'))}").status_code == 404
    assert client.get(f"{RECORDS}/HNU{SONG}-2025").status_code == 404
    refused = keyed_client(raw[:-4] + "AAAA").post(RECORDS, {"records": [record(SONG)]}, content_type="application/json")
    assert refused.status_code == 401
    shapeless = client.post(RECORDS, {"records": [record(SONG, hours="八")]}, content_type="application/json")
    assert shapeless.status_code == 422


def test_api_calls_log_the_key_prefix_and_no_id_number(json_logs, demo):
    key, raw = api_key(demo)
    calls(keyed_client(raw), raw)
    text = json_logs.getvalue()
    entries = lines_of(json_logs)  # fails on any readable ID number
    assert raw not in text and raw.split("_", 2)[2] not in text and "Bearer" not in text
    assert "４３０１２１" not in text
    access = [e for e in entries if e["logger"] == "core.request"]
    assert [(e["method"], e["path"], e["status"]) for e in access] == [
        ("GET", RECORDS, 200),
        ("POST", RECORDS, 200),
        ("GET", f"{RECORDS}/4301**********1015", 200),
        ("GET", f"{RECORDS}/4301**********101x", 200),
        ("GET", f"{RECORDS}/４３０１**********１０１５", 404),
        ("GET", f"{RECORDS}/HNU4301**********1015-2025", 404),
        ("POST", RECORDS, 401),
        ("POST", RECORDS, 422),
    ]
    assert [e["client"] for e in access] == [key.prefix] * 6 + [None, key.prefix]
    assert access[0]["message"] == f"GET {RECORDS} 200 client={key.prefix}"
    # Django's own warnings name the path (masked alike), nothing of the request's headers or body.
    warnings = [e["message"] for e in entries if e["logger"] == "django.request"]
    assert warnings == [
        f"Not Found: {RECORDS}/" + "４３０１**********１０１５".encode("unicode_escape").decode(),  # Django escapes non-ASCII
        f"Not Found: {RECORDS}/HNU4301**********1015-2025",
        f"Unauthorized: {RECORDS}",
        f"Unprocessable Entity: {RECORDS}",
    ]


def test_a_page_request_logs_no_client(json_logs, db):
    Client().get("/healthz")
    [access] = [e for e in lines_of(json_logs) if e["logger"] == "core.request"]
    assert access["client"] is None and "client=" not in access["message"]
