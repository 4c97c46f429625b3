"""Bulk verification for title-evaluation committees: POST {"numbers": [...]} (≤ 500), each answered
genuine / superseded / unknown with the facts as issued; CSRF-exempt; 30 requests a minute per IP."""
import json
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from django.test import Client

from core import ratelimit
from tests.helpers import assert_database_query_count
from tests.strategies import any_character, typed_value

from .conftest import FULL_YEAR

pytestmark = pytest.mark.django_db

BULK = "/verify/bulk/"


def post(client, payload, **extra):
    body = payload if isinstance(payload, (bytes, str)) else json.dumps(payload)
    return client.post(BULK, body, content_type="application/json", **extra)


@pytest.fixture
def committee():
    """A client with no session and CSRF checks on, as a committee's script would be."""
    return Client(enforce_csrf_checks=True, REMOTE_ADDR="198.51.100.20")


def test_each_number_gets_its_status_and_the_facts_as_issued(committee, p, song_certificate, approve, issue):
    approve(p.song, {2022: FULL_YEAR}, 2022, 2022)
    newer, _ = issue(p.song)
    response = post(committee, {"numbers": [newer.number, song_certificate.number.lower(), "XS2024-0000-0000-0000", "garbage"]})
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    body = response.json()
    assert body["count"] == 4 and body["summary"] == {"genuine": 1, "superseded": 1, "revoked": 0, "unknown": 2}
    genuine, superseded, unknown, malformed = body["results"]
    assert genuine["status"] == "genuine" and genuine["number"] == newer.number
    facts = genuine["certificate"]
    assert (facts["name"], facts["id_number"], facts["unit"], facts["bureau"]) == (
        "宋*涛", "4301**********1015", "湖南省地质研究所", "湖南省人力资源和社会保障厅"
    )
    assert [(y["year"], y["total"], y["compliant"]) for y in facts["years"]] == [
        (2019, "92", True), (2020, "92", True), (2021, "92", True), (2022, "92", True), (2023, "0", False)
    ]
    assert facts["sha256"] == newer.sha256 and genuine["verify_url"] == newer.verify_url
    assert superseded["status"] == "superseded" and superseded["number"] == song_certificate.number
    assert superseded["superseded_by"] == newer.number and superseded["certificate"]["totals"]["total"] == "348"
    assert unknown == {"number": "XS2024-0000-0000-0000", "status": "unknown", "message": "查无此编号 (no such certificate)"}
    assert malformed == {"number": "garbage", "status": "unknown", "message": "编号格式不正确 (malformed number)"}
    assert "宋庆涛" not in response.content.decode()


def test_500_numbers_are_answered_in_a_fixed_number_of_queries(committee, song_certificate):
    numbers = [song_certificate.number] + [f"XS2024-0000-0000-000{i % 10}" for i in range(499)]
    with assert_database_query_count(1):
        response = post(committee, {"numbers": numbers})
    assert response.status_code == 200 and response.json()["count"] == 500


@pytest.mark.parametrize("payload, says", [
    ({"numbers": ["XS2024-0000-0000-0000"] * 501}, "每次最多查验500个编号。At most 500 numbers per request."),
    (b"{not json", "The request body is not valid JSON."),
    ({"numbers": "XS2024-0000-0000-0000"}, "Send {\"numbers\""),
    ({"numbers": [1, 2]}, "Send {\"numbers\""),
    ([], "Send {\"numbers\""),
    (b"", "Send {\"numbers\""),
    # What Python's parser takes but cannot be answered: a lone surrogate, deep nesting, NaN.
    (b'{"numbers": ["XS2024-\\ud800"]}', "lone surrogate"),
    (b'{"numbers": ["\\udfff"]}', "lone surrogate"),
    (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    (b'{"numbers": ' + b"[" * 30 + b"]" * 30 + b"}", "nested too deeply"),
    (b'{"numbers": [NaN]}', "must not contain NaN"),
    (b'{"numbers": ["\xed\xa0\x80"]}', "not valid JSON"),
])
def test_bad_requests_get_400_with_a_chinese_and_english_message(committee, payload, says):
    response = post(committee, payload)
    assert response.status_code == 400 and says in response.json()["error"]


def test_get_is_refused_with_a_hint(committee):
    response = committee.get(BULK)
    assert response.status_code == 405 and response["Allow"] == "POST" and "Use POST" in response.json()["error"]


@pytest.fixture
def one_window(monkeypatch):
    """core.ratelimit's clock held mid-minute: on a loaded machine 31 requests may otherwise straddle
    two fixed windows, and the count starts again."""
    monkeypatch.setattr(ratelimit, "time", SimpleNamespace(time=lambda: 1_800_000_030.0))


def test_the_endpoint_is_rate_limited_per_client_ip(committee, one_window):
    for i in range(30):
        response = post(committee, {"numbers": []})
        assert response.status_code == 200, i
    assert response["X-RateLimit-Remaining"] == "0"
    refused = post(committee, {"numbers": []})
    assert refused.status_code == 429
    body = refused.json()
    assert body["error"] == "请求过于频繁，请稍后再试。Too many requests: please try again later."
    assert 0 < body["retry_after"] <= 60 and refused["Retry-After"] == str(body["retry_after"]) and body["limit"] == "30/min"
    # Another address has its own allowance.
    assert post(Client(REMOTE_ADDR="198.51.100.21"), {"numbers": []}).status_code == 200


def test_the_limit_can_be_set(committee, settings, one_window):
    settings.CERT_RATE_LIMITS = {"bulk": (2, 60)}
    assert [post(committee, {"numbers": []}).status_code for _ in range(3)] == [200, 200, 429]


texts = st.one_of(typed_value(), st.text(any_character))
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | texts,
    lambda children: st.lists(children, max_size=5) | st.dictionaries(texts, children, max_size=5),
    max_leaves=30,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.one_of(
    json_values.map(lambda v: json.dumps(v).encode()),
    st.fixed_dictionaries({"numbers": st.lists(texts, max_size=8)}).map(lambda v: json.dumps(v).encode()),
    st.binary(max_size=200),
))
def test_any_body_is_answered_without_a_server_error(body):
    """Generated JSON (texts with lone surrogates and every other character), and bytes that are not JSON."""
    response = post(Client(REMOTE_ADDR=f"198.51.100.{len(body) % 200}"), body)
    assert response.status_code in (200, 400, 429), response.status_code
    response.json()
