"""The API through the real HTTP stack: JSON bodies posted with `Authorization: Bearer <key>` to
/api/v1/…, keys made by the system administrator with api.services.key_create for the demo's
training base."""
import json
from datetime import date

import pytest
from django.test import Client

from api import services

BASE = "湖南大学继续教育学院（省级专业技术人员继续教育基地）"
SONG = ("430121198805041015", "宋庆涛")  # 湖南省地质研究所 (湖南省人力资源和社会保障厅's area)
WU = ("43012119860726121X", "吴涛")  # 长沙市第一医院 (长沙市人力资源和社会保障局)
RECORDS = "/api/v1/records"


def record(record_id="R-1", person=SONG, **overrides):
    """One record as a platform sends it: 2 days of public training, 16 hours, in 2023."""
    values = {
        "record_id": record_id, "id_number": person[0], "name": person[1], "title": "2023年专业技术人员公需科目培训",
        "subject": "public", "hours": "16", "start_date": "2023-06-01", "end_date": "2023-06-02", "certificate_no": "ZS-001",
    }
    values.update(overrides)
    return values


class Platform:
    """A training platform calling the API with one key."""

    def __init__(self, raw, key):
        self.raw, self.key = raw, key
        self.client = Client()

    def headers(self):
        return {"HTTP_AUTHORIZATION": f"Bearer {self.raw}"}

    def push(self, *records):
        return self.post_body(json.dumps({"records": list(records)}))

    def post_body(self, body, **extra):
        return self.client.post(RECORDS, body, content_type="application/json", **self.headers(), **extra)

    def get(self, path="", **params):
        return self.client.get(RECORDS + path, params, **self.headers())

    def delete(self, record_id):
        return self.client.delete(f"{RECORDS}/{record_id}", **self.headers())

    def outcomes(self, *records):
        """record_id → (status, reason_code) of one push, which must be answered 200."""
        response = self.push(*records)
        assert response.status_code == 200, response.content.decode()
        return {r["record_id"]: (r["status"], r["reason_code"]) for r in response.json()["results"]}


def make_key(demo, organisation=None, *, subjects=("public", "professional"), bureau=None, source="training_base", name="测试密钥"):
    key, raw = services.key_create(
        user=demo.account("sysadmin"), organisation=organisation or demo.org(BASE), name=name,
        subjects=list(subjects), bureau=bureau, source=source,
    )
    return Platform(raw, key)


@pytest.fixture
def platform(demo):
    return make_key(demo)


@pytest.fixture
def today():
    return date.today()
