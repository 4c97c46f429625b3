"""The OpenAPI document and the reference page: valid, complete, and served from the portal's own
files (the browser check of the page is tests/e2e/test_api_docs.py)."""
import re

import pytest
from django.contrib.staticfiles import finders
from django.test import Client
from openapi_spec_validator import validate

pytestmark = pytest.mark.django_db


@pytest.fixture
def document():
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.json()


def test_the_document_is_valid_openapi_3(document):
    assert document["openapi"].startswith("3.")
    validate(document)


def test_the_document_lists_the_records_endpoints_behind_the_bearer_key(document):
    paths = document["paths"]
    assert set(paths["/api/v1/records"]) == {"get", "post"}
    assert set(paths["/api/v1/records/{record_id}"]) == {"get", "delete"}
    schemes = document["components"]["securitySchemes"]
    assert [s["scheme"] for s in schemes.values()] == ["bearer"] and "xsk_" in next(iter(schemes.values()))["description"]
    scheme_name = next(iter(schemes))
    for path in paths.values():
        for operation in path.values():
            assert operation["security"] == [{scheme_name: []}], operation["summary"]
    batch = document["components"]["schemas"]["BatchIn"]["properties"]["records"]
    assert batch["maxItems"] == 1000
    assert "400" not in str(paths["/api/v1/records"]["post"]["responses"])


def test_the_reference_page_is_served_without_a_key_from_the_portals_own_files():
    response = Client().get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources and all(s.startswith("/static/") for s in sources), sources
    assert not re.search(r"https?://", html)
    policy = dict(part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";"))
    # Swagger UI: its own script, its inline style attributes, its icons as data: URLs — nothing else.
    assert policy["script-src"] == "'self'" and policy["default-src"] == "'self'"
    assert policy["style-src"] == "'self' 'unsafe-inline'" and policy["img-src"] == "'self' data:"
    assert "http" not in response["Content-Security-Policy"]
    for source in sources:  # among the static files collectstatic gathers (ninja is an installed app)
        assert finders.find(source.removeprefix("/static/")), source


def test_the_docs_and_the_document_answer_get_only():
    assert Client().post("/api/v1/docs").status_code == 405
    assert Client().post("/api/v1/openapi.json").status_code == 405
