from unittest import mock

import pytest
from django.db import OperationalError
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_health_answers_without_login(client):
    response = client.get(reverse("portal:health"))
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "cache": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_health_reports_a_broken_cache_as_503(client):
    with mock.patch("portal.views.cache.set", side_effect=ConnectionError("redis down")):
        response = client.get(reverse("portal:health"))
    assert response.status_code == 503
    assert response.json()["cache"] == "error: ConnectionError"
    assert response.json()["database"] == "ok"


def test_health_reports_a_broken_database_as_503(client):
    with mock.patch("portal.views.connection.cursor", side_effect=OperationalError("gone")):
        response = client.get(reverse("portal:health"))
    assert response.status_code == 503 and response.json()["database"] == "error: OperationalError"
