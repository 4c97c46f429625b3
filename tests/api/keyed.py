"""The logging, limits and changed-records tests' shorthand over tests/api/conftest.py: an API key
of the demo's training base as (ApiKey, key), a client that sends it, and a one-day record of last
March (conftest's builder with these tests' values)."""
from django.test import Client

from tests.api import conftest


def api_key(demo, name="测试密钥"):
    """(ApiKey, the key itself) for the demo's 湖南大学继续教育学院, both subjects, the whole province."""
    platform = conftest.make_key(demo, name=name)
    return platform.key, platform.raw


def keyed_client(raw):
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def record(record_id, *, id_number="430121198805041015", name="宋庆涛", hours="8", **fields):
    """One record of a batch: a one-day course last March, by default the demo's 宋庆涛."""
    given = {"hours": hours, "title": "2025年专业技术人员公需科目培训", "start_date": "2025-03-01", "end_date": "2025-03-01", **fields}
    values = conftest.record(record_id, person=(id_number, name), **given)
    if "certificate_no" not in fields:
        del values["certificate_no"]  # these tests send none unless told
    return values
