"""撤销认定 as the certificates see it: the current 学时认定单 stating a revoked year becomes 已撤销 —
the verification page says so with the date and reason category, the bulk API answers `revoked` —,
a new certificate for the span states the hours left, and one can be issued again once the year is
approved anew. (The hours side: tests/hours/test_revocation.py.)"""
import json
import logging

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from certificates.models import Certificate, CertificateEvent, CertificateStatus, EventAction
from hours.models import Revocation
from hours.transitions import declaration_revoke

from tests.helpers import text_of

from .conftest import FULL_YEAR, admin_events

pytestmark = pytest.mark.django_db


def revoke(p, declaration, years, reason="false_materials"):
    return declaration_revoke(declaration=declaration, user=p.hn_clerk, years=years, reason=reason, reason_text="培训证书系伪造")


@pytest.fixture
def song(p, approve, issue):
    """宋庆涛's 2019–2021 declaration, approved, and his current 2019–2021 certificate."""
    declaration = approve(p.song, {2019: FULL_YEAR, 2020: FULL_YEAR, 2021: FULL_YEAR}, 2019, 2021)
    certificate, created = issue(p.song, 2019, 2021)
    assert created
    return declaration, certificate


def test_the_verification_page_says_revoked_with_the_date_and_category(client, p, song):
    declaration, certificate = song
    revoke(p, declaration, [2021])
    certificate.refresh_from_db()
    assert certificate.status == CertificateStatus.REVOKED and certificate.revoked_reason == "false_materials"
    response = Client().get(f"/verify/{certificate.number}/")
    text = response.content.decode()
    assert response.status_code == 200 and response.context["status"] == "revoked"
    assert "已撤销" in text and timezone.localdate(certificate.revoked_at).isoformat() in text and "材料不实" in text
    assert "真实有效" not in text and "培训证书系伪造" not in text  # the category, never the clerk's text
    event = CertificateEvent.objects.get(certificate=certificate, action=EventAction.REVOKE)
    assert event.actor == p.hn_clerk and event.details["years"] == [2021]


def test_the_bulk_api_answers_revoked(p, song):
    declaration, certificate = song
    revoke(p, declaration, [2021], reason="duplicate")
    response = Client(enforce_csrf_checks=True).post(
        "/verify/bulk/", json.dumps({"numbers": [certificate.number]}), content_type="application/json"
    )
    body = response.json()
    assert body["summary"] == {"genuine": 0, "superseded": 0, "revoked": 1, "unknown": 0}
    entry = body["results"][0]
    assert entry["status"] == "revoked" and entry["revoked_reason"] == "重复申报" and entry["revoked_at"]


def test_the_print_page_lists_it_as_revoked(client, p, song):
    declaration, certificate = song
    revoke(p, declaration, [2019, 2020, 2021])
    client.force_login(p.song)
    assert "已撤销" in client.get("/certificates/?start_year=2019&end_year=2021").content.decode()


def test_a_new_certificate_states_the_hours_left_and_another_after_reapproval(p, song, approve, issue):
    declaration, revoked = song
    revoke(p, declaration, [2021])
    without, created = issue(p.song, 2019, 2021)
    assert created and without.number != revoked.number and without.is_current
    assert [y["total"] for y in without.facts["years"]] == ["92", "92", "0"]
    assert without.facts["totals"]["total"] == "184"
    # The year declared again and approved: a certificate for the span states it once more.
    approve(p.song, {2021: FULL_YEAR}, 2021, 2021)
    again, created = issue(p.song, 2019, 2021)
    assert created and again.facts["totals"]["total"] == "276"
    without.refresh_from_db()
    assert without.status == CertificateStatus.SUPERSEDED and without.superseded_by == again
    revoked.refresh_from_db()
    assert revoked.status == CertificateStatus.REVOKED  # never handed back, never superseded


def test_only_certificates_stating_the_revoked_hours_are_revoked(p, song, approve, issue):
    declaration, certificate = song
    other = approve(p.song, {2022: FULL_YEAR}, 2022, 2022)
    later, _ = issue(p.song, 2022, 2022)
    revoke(p, declaration, [2020])
    assert Certificate.objects.get(pk=later.pk).is_current  # 2022 only: untouched
    assert Certificate.objects.get(pk=certificate.pk).status == CertificateStatus.REVOKED
    revoke(p, other, [2022])
    assert Certificate.objects.get(pk=later.pk).status == CertificateStatus.REVOKED


def test_a_revocation_while_the_pdf_is_rendered_is_never_sealed_as_current(p, song, issue, monkeypatch):
    """The hours are read again under the person's lock: a revocation that lands between reading
    them and saving the certificate refuses the issue instead of sealing revoked hours as 有效."""
    from certificates import rendering

    declaration, _ = song
    render = rendering.render_pdf

    def render_while_revoked(*args, **kwargs):
        pdf = render(*args, **kwargs)
        revoke(p, declaration, [2020])  # a year the certificate being issued states
        return pdf

    monkeypatch.setattr(rendering, "render_pdf", render_while_revoked)
    with pytest.raises(ValidationError) as refused:
        issue(p.song, 2019, 2020)
    assert refused.value.messages == ["出具过程中该时段的学时发生了变化（如被撤销认定），请重新出具。"]
    assert not Certificate.objects.filter(applicant=p.song, start_year=2019, end_year=2020).exists()


def test_the_administrator_reads_which_declaration_years_and_reason_revoked_it(client, p, song):
    declaration, certificate = song
    revoke(p, declaration, [2021, 2020])
    client.force_login(p.sysadmin)
    issued, revoked = admin_events(client, certificate)
    assert issued == "出具 宋庆涛 - -"
    action, actor, ip, details = revoked.split(" ", 3)
    assert (action, actor, ip) == ("撤销", "刘晓华", "-")
    # Read as JSON: PostgreSQL's jsonb keeps the keys in an order of its own.
    assert json.loads(details) == {"declaration": declaration.business_no, "years": [2020, 2021], "reason": "false_materials"}


def test_a_superseded_certificate_stating_the_revoked_year_stays_superseded(p, song, approve, issue):
    """Only the current certificate becomes 已撤销: the one it replaced keeps saying which replaced it."""
    declaration, superseded = song
    approve(p.song, {2021: FULL_YEAR, 2022: FULL_YEAR}, 2021, 2022)  # 2021 declared again, with 2022
    current, created = issue(p.song, 2019, 2021)
    assert created
    revoke(p, declaration, [2020])
    text = text_of(Client().get(f"/verify/{superseded.number}/"))
    assert "⚠ 已被替代" in text and f"（编号 {current.number} ）" in text and "已撤销" not in text
    assert "✘ 已撤销" in text_of(Client().get(f"/verify/{current.number}/"))


def test_a_certificate_stating_the_year_from_a_later_declaration_stays_valid(p, song, approve, issue):
    """2021 approved again in a later declaration: the certificate issued after it states that
    declaration's 2021, so revoking the first declaration's 2021 leaves it 有效."""
    declaration, _ = song
    approve(p.song, {2021: FULL_YEAR}, 2021, 2021)
    later, created = issue(p.song, 2019, 2021)
    assert created
    revoke(p, declaration, [2021])
    text = text_of(Client().get(f"/verify/{later.number}/"))
    assert "✔ 真实有效" in text and "已撤销" not in text


def test_the_log_names_the_revoked_certificates_and_the_revocation(p, song, caplog):
    declaration, certificate = song
    with caplog.at_level(logging.INFO, logger="certificates.services"):
        revoke(p, declaration, [2021])
    revocation = Revocation.objects.get()
    assert f"certificates [{certificate.pk}] revoked (revocation {revocation.pk})" in caplog.messages
