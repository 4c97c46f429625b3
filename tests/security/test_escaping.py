"""HTML, script and template syntax typed into any text field come back as text: escaped on every page that shows
them, as text in the certificate PDF, and never as a formula in the Excel export.

Everything is entered through the services, as the forms would: an organisation's name, a
person's name, a declaration's name, specialty and remark, an item's title, a file's name, a
reviewer's reason, a membership refusal, a training filing's name and reason, a roster line."""
import io
import subprocess
import tempfile

import markupsafe
import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from openpyxl import load_workbook

from accounts import services as account_services
from accounts.models import Membership, Role
from certificates import services as certificate_services
from hours import filings, services
from hours.models import EvidenceCategory
from hours import transitions
from review.exports import cell_text
from tests.helpers import make_person, make_staff, make_unit
from tests.hours.fixtures_views import pdf
from tests.hours.test_filings import filing_data, roster
from tests.hours.fixtures_views import complete

pytestmark = pytest.mark.django_db

# Markup, and template syntax that must show as typed, never be evaluated ({{7*7}} is not 49).
PAYLOAD = """<script>alert(1)</script>"'><img src=x onerror=alert(1)>{{7*7}}"""
# For fields of at most 50 characters (names, specialty): the same attack, shorter.
SHORT = """<script>alert(1)</script>"'><img src=x>{{7*7}}"""
RAW = ["<script>alert(1)", "<img src=x", "\"'><"]


def assert_escaped(response, *values):
    assert response.status_code == 200, response.status_code
    html = response.content.decode()
    for raw in RAW:
        assert raw not in html, f"{response.wsgi_request.path}: {raw!r} shown raw"
    for value in values:
        # Page templates escape as Django does (&quot; &#x27;), form widgets as Jinja2 does (&#34; &#39;).
        shown = escape(value) in html or str(markupsafe.escape(value)) in html
        assert shown, f"{response.wsgi_request.path}: {value!r} not shown (escaped)"


@pytest.fixture
def hostile(world, media):
    """A unit, its administrator and a member, all named with the payload, and the member's
    declaration (payload in every text field), refused once by the unit, then resubmitted."""
    p = world.p
    unit = make_unit(name=PAYLOAD, parent=p.dzy)
    admin = make_staff(username="xss_admin", role=Role.UNIT_ADMIN, organisation=unit, name=SHORT)
    person = make_person(organisation=unit, name=SHORT)
    refused = make_person(organisation=unit, name="被退回者")
    account_services.membership_reject(membership=Membership.objects.get(person=refused), actor=admin, reason=PAYLOAD)
    membership = Membership.objects.get(person=person)
    return {"p": p, "unit": unit, "admin": admin, "person": person, "refused": refused, "membership": membership}


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def declare(h, *, resubmit=True):
    person, admin = h["person"], h["admin"]
    account_services.membership_confirm(membership=h["membership"], actor=admin)
    person.refresh_from_db()
    data = {"gender": "男", "ethnicity": "汉族", "phone": person.phone, "education": "大学本科", "title_sought": "副高级",
            "category": "工程技术", "specialty": SHORT, "name": SHORT, "remark": PAYLOAD}
    year = timezone.localdate().year - 1
    d = services.declaration_create(user=person, applicant=person, data=data, start_year=year, end_year=year)
    record = services.year_record_add(declaration=d, user=person, year=year)
    item = services.item_add(
        year_record=record, user=person, activity="training", facts={"subject": "public", "days": 4, "half_days": 0, "title": PAYLOAD}
    )
    services.evidence_add(
        declaration=d, user=person, category=EvidenceCategory.EDUCATION, upload=pdf(f"{PAYLOAD[:150]}.pdf".replace("/", "／"))
    )
    d = transitions.declaration_submit(declaration=complete(d), user=person, pledge=True)
    d = transitions.declaration_reject(declaration=d, user=admin, reason=PAYLOAD)
    return (transitions.declaration_submit(declaration=complete(d), user=person, pledge=True) if resubmit else d), item


def test_the_applicant_and_every_reviewer_see_the_text_escaped(client, hostile):
    h = hostile
    declaration, item = declare(h, resubmit=False)
    evidence_name = declaration.evidence.get(category=EvidenceCategory.EDUCATION).original_name
    client.force_login(h["person"])
    # Refused, so editable: the workspace shows the file, the item and the reviewer's reason.
    assert_escaped(client.get(reverse("hours:declaration_edit", args=[declaration.pk])), SHORT, PAYLOAD, evidence_name)
    assert_escaped(client.get(reverse("hours:declaration_applicant_edit", args=[declaration.pk])), SHORT, PAYLOAD)
    declaration = transitions.declaration_submit(declaration=complete(declaration), user=h["person"], pledge=True)
    assert_escaped(client.get(reverse("hours:declaration_detail", args=[declaration.pk])), SHORT, PAYLOAD)
    assert_escaped(client.get(reverse("hours:declaration_list")), SHORT)
    assert_escaped(client.get(reverse("portal:home")), PAYLOAD)  # the unit's name on the applicant's home page

    client.force_login(h["admin"])
    assert_escaped(client.get(reverse("review:unit_queue")), SHORT)
    assert_escaped(client.get(reverse("review:case", args=[declaration.pk])), SHORT, PAYLOAD, evidence_name)
    assert_escaped(client.get(reverse("hours:proxy_list")), SHORT)
    assert_escaped(client.get(reverse("portal:home")), SHORT)  # the administrator's own name in the shell

    client.force_login(h["p"].zrzy_admin)
    assert_escaped(client.get(reverse("accounts:subordinates")), PAYLOAD)
    client.force_login(h["p"].hn_clerk)
    assert_escaped(client.get(reverse("accounts:jurisdiction")), PAYLOAD)


def test_the_reason_of_a_refused_membership_and_the_name_in_the_queue(client, hostile):
    h = hostile
    client.force_login(h["refused"])
    assert_escaped(client.get(reverse("accounts:profile")), PAYLOAD)
    client.force_login(h["admin"])
    assert_escaped(client.get(reverse("accounts:membership_queue")), SHORT)


def test_the_unit_picker_answers_json_not_html(client, hostile):
    response = client.get(reverse("accounts:organisation_suggest"), {"q": "script"})
    assert response["Content-Type"] == "application/json"
    assert PAYLOAD in [r["name"] for r in response.json()["results"]]


def test_a_training_filing_its_reason_and_a_roster_line(client, hostile):
    h = hostile
    filing = filings.filing_create(
        user=h["admin"], organisation=h["unit"], data=filing_data(name=PAYLOAD), notice=pdf(), schedule=pdf()
    )
    filing = transitions.filing_submit(filing=filing, user=h["admin"])
    filing = transitions.filing_reject(filing=filing, user=h["p"].zrzy_admin, reason=PAYLOAD)
    client.force_login(h["admin"])
    assert_escaped(client.get(reverse("hours:filing_list")), PAYLOAD)
    assert_escaped(client.get(reverse("hours:filing_detail", args=[filing.pk])), PAYLOAD)
    assert_escaped(client.get(reverse("hours:filing_edit", args=[filing.pk])), PAYLOAD)

    filing = transitions.filing_submit(filing=filing, user=h["admin"])
    client.force_login(h["p"].zrzy_admin)
    assert_escaped(client.get(reverse("hours:filing_queue")), PAYLOAD)
    filing = transitions.filing_approve(filing=filing, user=h["p"].zrzy_admin, opinion=PAYLOAD)

    # A roster line whose name does not match the person: the report quotes it.
    client.force_login(h["admin"])
    lines = f"证件号码,姓名,学时\n{h['p'].song.id_number},{SHORT},8\n"
    response = client.post(reverse("hours:filing_roster", args=[filing.pk]), {"file": roster(lines)})
    assert_escaped(response, PAYLOAD)
    assert "第2行" in response.content.decode()


def test_the_certificate_prints_the_name_as_text(hostile, signing_dir):
    h = hostile
    declaration, _ = declare(h)
    declaration = transitions.declaration_approve(declaration=declaration, user=h["admin"], next_org=h["p"].hn, opinion="同意")
    declaration = transitions.declaration_approve(declaration=declaration, user=h["p"].hn_clerk, opinion="同意")
    with override_settings(CERT_SIGNING_DIR=str(signing_dir)):
        certificate, _ = certificate_services.certificate_issue(
            user=h["person"], start_year=declaration.start_year, end_year=declaration.end_year, base_url="http://testserver"
        )
    with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
        handle.write(certificate.pdf.open("rb").read())
        handle.flush()
        text = subprocess.run(["pdftotext", handle.name, "-"], capture_output=True, text=True, check=True).stdout
    # WeasyPrint got the name escaped, so it printed it as characters instead of making elements of it.
    assert "<script>alert(1)</script>" in text.replace("\n", "")


FORMULAS = ['=HYPERLINK("http://x.invalid","点此")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\t=1"]


def test_the_excel_export_keeps_would_be_formulas_as_text(client, world):
    # Text is written as the input policy stores it (a leading tab is whitespace, stripped), then kept a string.
    assert [cell_text(f) for f in FORMULAS] == ["'" + f.strip() for f in FORMULAS]
    assert [cell_text(v) for v in ["宋庆涛", "A=B", 3.5, None, ""]] == ["宋庆涛", "A=B", 3.5, None, ""]

    p = world.p
    zhao = p.zhao
    # The declaration states the account's name (hours/services.identity_of): registered as a formula.
    type(zhao).objects.filter(pk=zhao.pk).update(name=FORMULAS[0])
    zhao.refresh_from_db()
    data = {"gender": "男", "ethnicity": "汉族", "phone": zhao.phone, "education": "大学本科", "title_sought": "副高级",
            "category": "工程技术", "specialty": "地质"}
    d = services.declaration_create(user=zhao, applicant=zhao, data=data, start_year=2021, end_year=2021)
    record = services.year_record_add(declaration=d, user=zhao, year=2021)
    services.item_add(year_record=record, user=zhao, activity="training", facts={"subject": "public", "days": 4, "half_days": 0})
    transitions.declaration_submit(declaration=complete(d), user=zhao, pledge=True)
    client.force_login(p.chen)
    response = client.get(reverse("review:unit_queue"), {"export": "xlsx"})
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    names = [row[2].value for row in sheet.iter_rows(min_row=2)]
    cells = [row[2] for row in sheet.iter_rows(min_row=2)]
    assert "'" + FORMULAS[0] in names
    assert all(cell.data_type == "s" for cell in cells)
    assert not any(str(name).startswith("=") for name in names)
