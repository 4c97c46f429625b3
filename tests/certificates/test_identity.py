"""The 学时认定单 carries the person, not what was typed: an approved declaration whose 姓名 differs
from the account's (declared before the name came from the account) still gives a certificate —
its PDF and its public verification page — with the registered name beside the ID number."""
import pytest

from hours.models import Declaration
from tests.helpers import text_of

from .conftest import FULL_YEAR, pdf_text, stored_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def typed_over(p, approve):
    declaration = approve(p.song, {2022: FULL_YEAR}, 2022, 2022)
    Declaration.objects.filter(pk=declaration.pk).update(name="王五六")
    return declaration


def test_the_certificate_states_the_registered_name(p, typed_over, issue):
    certificate, _ = issue(p.song, 2022, 2022)
    assert certificate.facts["name"] == "宋庆涛"
    text = pdf_text(stored_bytes(certificate))
    assert "宋庆涛" in text and "王五六" not in text
    assert "4301**********1015" in text


def test_the_verification_page_shows_the_registered_name(client, p, typed_over, issue):
    certificate, _ = issue(p.song, 2022, 2022)
    text = text_of(client.get(f"/verify/{certificate.number}/"))
    assert "宋*涛" in text and "王*六" not in text
