"""Issuing: what the certificate states and prints, that it is issued once and kept, superseded when
the approved hours change, and the messages for spans that cannot be certified."""
import hashlib
import io
import subprocess
import tempfile
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from certificates import numbers, rendering
from certificates.models import Certificate, CertificateEvent, CertificateStatus
from hours.transitions import declaration_approve, declaration_submit

from .conftest import BASE_URL, FULL_YEAR, pdf_text, stored_bytes
from tests.helpers import text_of
from tests.hours.fixtures_views import complete

pytestmark = pytest.mark.django_db


def test_the_certificate_states_each_years_approved_hours(p, song_certificate):
    facts = song_certificate.facts
    assert facts["title"] == "湖南省专业技术人员继续教育学时认定单"
    assert (facts["name"], facts["id_number_masked"]) == ("宋庆涛", "4301**********1015")
    assert (facts["unit"], facts["bureau"]) == ("湖南省地质研究所", "湖南省人力资源和社会保障厅")
    rows = {y["year"]: (y["public"], y["professional"], y["total"], y["compliant"]) for y in facts["years"]}
    assert rows == {
        2019: ("32", "60", "92", True),
        2020: ("32", "60", "92", True),
        2021: ("32", "60", "92", True),
        2022: ("32", "40", "72", False),
        2023: ("0", "0", "0", False),
    }
    assert facts["totals"] == {"public": "128", "professional": "220", "total": "348"}
    assert facts["compliant_years"] == 3
    assert song_certificate.bureau == p.hn and song_certificate.organisation == p.dzyjs
    assert numbers.normalize(song_certificate.number) == song_certificate.number
    assert song_certificate.verify_url == f"{BASE_URL}/verify/{song_certificate.number}/"


def test_the_pdf_text_has_the_chinese_the_name_the_years_and_the_hours(song_certificate):
    data = stored_bytes(song_certificate)
    assert data.startswith(b"%PDF-") and len(data) < 150 * 1024
    text = pdf_text(data)
    for expected in [
        "湖南省专业技术人员继续教育学时认定单", "宋庆涛", "4301**********1015", "湖南省地质研究所", "湖南省人力资源和社会保障厅",
        song_certificate.number, "2019年至2023年", "未达到", "348", "128", "220",
    ]:
        assert expected in text, expected
    lines = [" ".join(line.split()) for line in text.splitlines()]
    assert any(line.startswith("2019 32 60 92 30/60/90 达到") for line in lines), lines
    assert any(line.startswith("2022 32 40 72 30/60/90 未达到") for line in lines), lines
    assert any(line.startswith("2023 0 0 0 30/60/90 未达到 无审核通过记录") for line in lines), lines


def test_the_pdf_embeds_the_cjk_font_subset_it_was_told_to_use(song_certificate):
    with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
        handle.write(stored_bytes(song_certificate))
        handle.flush()
        fonts = subprocess.run(["pdffonts", handle.name], capture_output=True, text=True, check=True).stdout
    rows = [line for line in fonts.splitlines()[2:] if line.strip()]
    assert rows and all("CertCJK" in row for row in rows), fonts  # no fallback font: no missing glyph boxes
    assert all(row.split()[-5:-2] == ["yes", "yes", "yes"] for row in rows), fonts  # embedded, subset, unicode map


def test_the_qr_code_on_the_page_decodes_to_the_verification_url(song_certificate, tmp_path):
    zxingcpp = pytest.importorskip("zxingcpp")
    from PIL import Image

    pdf = tmp_path / "c.pdf"
    pdf.write_bytes(stored_bytes(song_certificate))
    subprocess.run(["pdftoppm", "-r", "150", "-png", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page")], check=True)
    page = Image.open(next(tmp_path.glob("page*.png")))
    found = [r.text for r in zxingcpp.read_barcodes(page) if r.format == zxingcpp.BarcodeFormat.QRCode]
    assert found == [song_certificate.verify_url]


def test_the_qr_code_is_segnos_code_of_the_verification_url(song_certificate):
    """The embedded picture is exactly the code segno makes of the URL (matrix for matrix)."""
    import segno

    html = rendering.render_html(song_certificate.facts, number=song_certificate.number, verify_url=song_certificate.verify_url)
    assert rendering.qr_svg_data_uri(song_certificate.verify_url) in html
    code = rendering.qr_code(song_certificate.verify_url)
    assert code.matrix == segno.make(song_certificate.verify_url, error="m", micro=False, boost_error=False).matrix
    assert code.error == "M" and not code.is_micro


def test_asking_again_gives_the_same_certificate_and_the_same_bytes(p, song_certificate, issue):
    again, created = issue(p.song)
    assert not created and again.pk == song_certificate.pk
    assert stored_bytes(again) == stored_bytes(song_certificate)
    assert hashlib.sha256(stored_bytes(again)).hexdigest() == song_certificate.sha256
    assert Certificate.objects.filter(applicant=p.song).count() == 1


def test_a_new_approved_declaration_supersedes_the_certificate_of_its_span(p, song_certificate, approve, issue):
    first_bytes = stored_bytes(song_certificate)
    # 2022 declared again with enough professional hours, approved later: its year record now counts.
    approve(p.song, {2022: FULL_YEAR}, 2022, 2022)
    newer, created = issue(p.song)
    assert created and newer.number != song_certificate.number
    assert {y["year"]: y["professional"] for y in newer.facts["years"]}[2022] == "60"
    old = Certificate.objects.get(pk=song_certificate.pk)
    assert old.status == CertificateStatus.SUPERSEDED and old.superseded_by == newer and old.superseded_at
    assert stored_bytes(old) == first_bytes  # the old file is kept unchanged
    assert newer.status == CertificateStatus.CURRENT
    actions = list(CertificateEvent.objects.filter(certificate__applicant=p.song).values_list("certificate__number", "action"))
    assert actions == [
        (song_certificate.number, "issue"), (newer.number, "issue"), (song_certificate.number, "supersede"),
    ]
    # Another span is another certificate; the 2019–2023 one is not touched.
    other, created = issue(p.song, 2019, 2021)
    assert created and Certificate.objects.get(pk=newer.pk).is_current


def test_only_approved_hours_count(p, approve, issue):
    approve(p.song, {2019: FULL_YEAR}, 2019, 2019)
    from hours import services

    pending = services.declaration_create(
        user=p.song, applicant=p.song, data={"name": p.song.name, "gender": "男", "ethnicity": "汉族", "phone": "18899098765",
                                            "education": "硕士研究生", "title_sought": "副高级", "category": "工程技术", "specialty": "地质勘查"},
        start_year=2020, end_year=2020,
    )
    record = services.year_record_add(declaration=pending, user=p.song, year=2020)
    services.item_add(year_record=record, user=p.song, activity="training", facts={"subject": "public", "days": 4, "half_days": 0})
    declaration_submit(declaration=complete(pending), user=p.song, pledge=True)
    declaration_approve(declaration=pending, user=p.chen, next_org=p.hn)  # waiting at the bureau: not approved yet
    certificate, _ = issue(p.song, 2019, 2020)
    assert [(y["year"], y["total"]) for y in certificate.facts["years"]] == [(2019, "92"), (2020, "0")]


def test_the_issuing_bureau_is_the_bureau_of_the_approving_declarations_unit(p, approve, issue):
    approve(p.sun, {2021: FULL_YEAR}, 2021, 2021)
    certificate, _ = issue(p.sun, 2021, 2021)
    assert certificate.bureau == p.cs and certificate.facts["bureau"] == "长沙市人力资源和社会保障局"
    assert "长沙市人力资源和社会保障局" in pdf_text(stored_bytes(certificate))
    assert "长沙市人力资源和社会保障局" in certificate.signer


def test_years_are_prorated_where_the_rule_set_says(p, approve, issue):
    """Henan prorates the requirement by months away from post; six months of maternity leave halve it."""
    absence = ("absence", {"reason": "maternity", "months_away": 6})
    approve(p.song, {2021: [("training", {"hours": 30}), absence]}, 2021, 2021, rule_set="henan-2024")
    certificate, _ = issue(p.song, 2021, 2021)
    (year,) = certificate.facts["years"]
    assert year["required"] == {"public": "15", "professional": "30", "total": "45"} and year["months_away"] == 6
    assert certificate.facts["title"] == "河南省专业技术人员继续教育学时认定单"
    assert "不在岗6个月折算" in pdf_text(stored_bytes(certificate))


@pytest.mark.parametrize(
    "span, message",
    [
        ((2023, 2019), "终止年度不能早于起始年度"),
        ((2019, timezone.localdate().year + 1), "不能选择未来的年度"),
        ((timezone.localdate().year + 1, timezone.localdate().year + 1), "不能选择未来的年度"),
        ((1999, 2001), "年度应在2000年至"),
        ((2010, 2012), "没有审核通过的学时"),
    ],
)
def test_spans_that_cannot_be_certified_are_refused_with_a_clear_message(p, song_certificate, issue, span, message):
    with pytest.raises(ValidationError) as caught:
        issue(p.song, *span)
    assert message in " ".join(caught.value.messages)
    assert Certificate.objects.count() == 1


def test_someone_without_approved_hours_gets_no_certificate(p, issue):
    with pytest.raises(ValidationError, match="没有审核通过的学时"):
        issue(p.zhao)
    assert not Certificate.objects.exists()


def test_a_failed_save_leaves_no_file_behind(p, approve, issue, monkeypatch, settings):
    approve(p.song, {2019: FULL_YEAR}, 2019, 2019)
    before = set(Path(settings.MEDIA_ROOT).rglob("*.pdf"))

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(CertificateEvent.objects, "create", boom)
    with pytest.raises(RuntimeError):
        issue(p.song, 2019, 2019)
    assert set(Path(settings.MEDIA_ROOT).rglob("*.pdf")) == before
    assert not Certificate.objects.exists()


def test_an_issued_certificate_cannot_be_saved_again(song_certificate):
    song_certificate.facts["totals"]["total"] = "999"
    with pytest.raises(ValueError, match="不能修改"):
        song_certificate.save()
    assert Certificate.objects.get(pk=song_certificate.pk).facts["totals"]["total"] == "348"


def test_a_number_already_given_is_never_given_again(p, song_certificate, approve, issue, monkeypatch):
    """The random draw (monkeypatched: a collision is one in 32¹¹) hands out a number in use: it is
    drawn again, and the new certificate verifies under the second number."""
    draws = iter([song_certificate.number, "XS2026-PKRD-J696-T73F"])
    monkeypatch.setattr(numbers, "new_number", lambda year: next(draws))
    approve(p.song, {2022: FULL_YEAR}, 2022, 2022)
    newer, created = issue(p.song)
    assert created and newer.number == "XS2026-PKRD-J696-T73F"
    assert "✔ 真实有效" in text_of(Client().get("/verify/XS2026-PKRD-J696-T73F/"))
    assert "⚠ 已被替代" in text_of(Client().get(f"/verify/{song_certificate.number}/"))


@pytest.mark.parametrize(
    "public_address, printed",
    [
        ("https://xueshi.example.cn/", "https://xueshi.example.cn/verify/"),  # typed with a trailing slash
        ("HTTPS://XUESHI.EXAMPLE.BOX", "HTTPS://XUESHI.EXAMPLE.BOX/verify/"),  # ends in X: only a slash is trimmed
    ],
)
def test_the_pdf_states_the_public_verification_address_as_configured(client, p, approve, settings, public_address, printed):
    settings.CERT_VERIFY_BASE_URL = public_address
    approve(p.song, {2019: FULL_YEAR}, 2019, 2019)
    client.force_login(p.song)
    client.post(reverse("certificates:issue"), {"start_year": 2019, "end_year": 2019})
    certificate = Certificate.objects.get()
    assert f"访问 {printed}{certificate.number}/" in pdf_text(stored_bytes(certificate))


def test_the_seal_states_the_certificate_and_the_province_a_pdf_reader_shows(song_certificate):
    from pyhanko.pdf_utils.reader import PdfFileReader

    (seal,) = PdfFileReader(io.BytesIO(stored_bytes(song_certificate))).embedded_signatures
    assert seal.sig_object["/Reason"] == f"湖南省专业技术人员继续教育学时认定单 {song_certificate.number}"
    assert seal.sig_object["/Location"] == "湖南省"
