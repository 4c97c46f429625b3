"""Generated input (Hypothesis, tests/strategies.py) to the API: random JSON bodies, random values in
every field of a record, random bytes and random query strings. Whatever arrives, the answer is one
the API documents, never a server error: 200, 401, 413, 422 or 429."""
import json
import os
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hours.models import TrainingRecord
from tests.api.conftest import RECORDS, record
from tests.portal.test_every_url import quiet_request_log
from tests.strategies import typed_value

pytestmark = pytest.mark.django_db

EXPLORE = bool(os.environ.get("CRAWL_EXPLORE"))
HYPOTHESIS = {
    "max_examples": 300 if EXPLORE else 80, "deadline": None, "database": None, "derandomize": not EXPLORE,
    "suppress_health_check": list(HealthCheck),
}
DOCUMENTED = {200, 401, 413, 422, 429}

json_scalar = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(min_value=-(10**400), max_value=10**400),
    st.floats(allow_nan=False, allow_infinity=False), typed_value(),
)
json_value = st.recursive(json_scalar, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(typed_value(), inner, max_size=4), max_leaves=12)
# A value for one field of a record: anything JSON can carry, most often text.
field_value = st.one_of(typed_value(), json_scalar, st.lists(json_scalar, max_size=2), st.dictionaries(st.text(max_size=3), json_scalar, max_size=2))


@pytest.fixture
def unlimited(settings):
    settings.API_RATE_LIMIT = (10**6, 60)


def answered(platform, body):
    with quiet_request_log():
        response = platform.post_body(body)
    assert response.status_code in DOCUMENTED, (body[:300], response.status_code, response.content[:300])
    return response


def test_random_json_bodies(platform, unlimited):
    @settings(**HYPOTHESIS)
    @given(body=json_value | st.fixed_dictionaries({"records": json_value}))
    def attempt(body):
        answered(platform, json.dumps(body))

    attempt()


def test_random_bytes(platform, unlimited):
    @settings(**HYPOTHESIS)
    @given(body=st.binary(max_size=300))
    def attempt(body):
        with quiet_request_log():
            response = platform.client.post(RECORDS, body, content_type="application/json", **platform.headers())
        assert response.status_code in DOCUMENTED, (body, response.status_code)

    attempt()


FIELDS = ("record_id", "id_number", "name", "title", "subject", "hours", "start_date", "end_date", "certificate_no")


@pytest.mark.parametrize("field", FIELDS)
def test_random_values_in_each_field_of_a_record(platform, unlimited, field):
    """One field of a valid record replaced by anything: the batch is answered 200 (the record
    accepted, updated, unchanged or refused with a reason) or 422 naming it, never 500; what is
    stored is what the checks let through."""
    counter = iter(range(10**9))

    @settings(**{**HYPOTHESIS, "max_examples": HYPOTHESIS["max_examples"] // 2})
    @given(value=field_value)
    def attempt(value):
        sent = {**record(f"G-{next(counter)}"), field: value}
        response = answered(platform, json.dumps({"records": [sent, record("G-OK")]}))
        if response.status_code == 200:
            results = response.json()["results"]
            assert len(results) == 2 and results[1]["status"] in ("accepted", "unchanged"), results
            if results[0]["status"] == "refused":
                assert results[0]["reason_code"] and results[0]["reason"]
        elif response.status_code == 422:
            assert any(e["loc"][:4] == ["body", "batch", "records", 0] for e in response.json()["detail"]), response.json()

    attempt()
    for row in TrainingRecord.objects.all():
        row.full_clean(exclude=["source_org", "item", "filing", "imported_by"], validate_constraints=False)


# What a query string's value may be: typed text, integers past any column, moments of any year in
# any offset.
query_value = st.one_of(
    typed_value(), st.integers().map(str), st.sampled_from(["9223372036854775808", "1" + "0" * 30, "2147483648"]),
    st.builds(lambda moment, offset: moment.isoformat() + offset, st.datetimes(), st.sampled_from(["", "Z", "+14:00", "-14:00"])),
)


@pytest.mark.parametrize("name", ["status", "updated_since", "limit", "offset"])
def test_random_query_strings(platform, unlimited, name):
    """Each parameter of the list on its own, so that a bad value is not hidden behind another's 422."""
    platform.outcomes(record("R-1"))

    @settings(**HYPOTHESIS)
    @given(value=query_value)
    def attempt(value):
        query_string = f"{name}={quote(value, errors='surrogatepass')}"
        with quiet_request_log():
            response = platform.client.get(RECORDS, QUERY_STRING=query_string, **platform.headers())
        assert response.status_code in DOCUMENTED, (name, value, response.status_code, response.content[:300])

    attempt()
