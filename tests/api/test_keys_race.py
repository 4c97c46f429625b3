"""Two 创建密钥 or two 停用 at the same moment, in real threads with their own connections: one key
made, one stop recorded. The lock on the training base's row (creating) and on the key's row
(stopping) serialises them.

    DATABASE_URL=postgres://postgres:postgres@127.0.0.1:5432/xueshi .venv/bin/python -m pytest tests/api/test_keys_race.py
"""
import pytest
from django.core.exceptions import ValidationError

from accounts.models import AccountAction, AccountEvent, Organisation, User
from api import services
from api.models import ApiKey
from tests.races import at_once, on_postgresql

pytestmark = on_postgresql()


@pytest.fixture
def issuer(committed_demo):
    return User.objects.get(username="hn_clerk")


def create(issuer_pk):
    def call():
        user = User.objects.get(pk=issuer_pk)
        base = Organisation.objects.get(name__startswith="湖南大学继续教育学院")
        return lambda: services.key_create(
            user=user, organisation=base, name="学习平台", subjects=["public"], bureau=base.bureau, source="training_base"
        )[0].pk

    return call


def test_two_creations_at_once_make_one_key(issuer):
    results = at_once(create(issuer.pk), create(issuer.pk), refused=(ValidationError,), reason=lambda e: e.messages[0])
    assert sorted(r[0] for r in results) == ["ok", "refused"], results
    assert "已有名为“学习平台”的有效密钥" in next(r[1] for r in results if r[0] == "refused")
    assert ApiKey.objects.filter(name="学习平台").count() == 1


def test_two_stops_at_once_record_one(issuer):
    key_pk = create(issuer.pk)()()

    def stop():
        user, key = User.objects.get(pk=issuer.pk), ApiKey.objects.get(pk=key_pk)
        return lambda: services.key_revoke(user=user, key=key).pk

    results = at_once(stop, stop, refused=(ValidationError,), reason=lambda e: e.messages[0])
    assert sorted(r[0] for r in results) == ["ok", "refused"], results
    assert AccountEvent.objects.filter(action=AccountAction.API_KEY_REVOKE).count() == 1
