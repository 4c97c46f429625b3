"""The public verification pages (no login): the facts as issued with the name masked, genuine or
superseded, unknown and malformed numbers that reveal nothing, and uploaded files compared with the
stored SHA-256 and their seal checked."""
import re
from datetime import timedelta
from html import unescape

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from certificates.models import Certificate
from tests.helpers import assert_database_query_count, text_of

from .conftest import FULL_YEAR, stored_bytes
from .test_seal import flip_one_byte_in_the_signed_range

pytestmark = pytest.mark.django_db


def page(client, number):
    return client.get(f"/verify/{number}/")


def upload(client, url, data, name="认定单.pdf"):
    return client.post(url, {"file": SimpleUploadedFile(name, data, content_type="application/pdf")})


def test_the_qr_url_opens_without_login_and_shows_the_facts_as_issued(client, song_certificate):
    response = client.get(song_certificate.verify_url.removeprefix("http://testserver"))
    assert response.status_code == 200
    text = text_of(response)
    assert "真实有效" in text
    for expected in [
        song_certificate.number, "湖南省专业技术人员继续教育学时认定单", "宋*涛", "4301**********1015", "湖南省地质研究所",
        "湖南省人力资源和社会保障厅", "2019–2023年", "2019 32 60 92 30/60/90 达到", "2022 32 40 72 30/60/90 未达到",
        "合计 128 220 348", song_certificate.sha256,
    ]:
        assert expected in text, expected
    assert "宋庆涛" not in response.content.decode()  # the name is masked for the public
    assert "下载原件" not in text


def test_the_owner_sees_a_download_link_on_the_verification_page(client, p, song_certificate):
    client.force_login(p.song)
    assert "下载原件" in text_of(page(client, song_certificate.number))


def test_a_number_typed_loosely_leads_to_the_canonical_page(client, song_certificate):
    loose = song_certificate.number.lower().replace("-", " ")
    response = client.get("/verify/", {"number": loose})
    assert response.status_code == 302 and response["Location"] == f"/verify/{song_certificate.number}/"
    response = page(client, song_certificate.number.replace("-", "").lower())
    assert response.status_code == 302 and response["Location"] == f"/verify/{song_certificate.number}/"


def test_a_superseded_certificate_says_so_and_names_its_successor(client, p, song_certificate, approve, issue):
    approve(p.song, {2022: FULL_YEAR}, 2022, 2022)
    newer, _ = issue(p.song)
    text = text_of(page(client, song_certificate.number))
    assert "已被替代" in text and newer.number in text and "真实有效" not in text
    assert "2022 32 40 72" in text  # still the facts as issued
    assert "真实有效" in text_of(page(client, newer.number))


def one_character_off(number):
    last = number[-1]
    return number[:-1] + ("1" if last != "1" else "2")


@pytest.mark.parametrize("make, says", [
    (lambda n: "XS2024-0000-0000-0000", "查无此编号"),  # well formed (its check character fits), never issued
    (one_character_off, "编号格式不正确"),  # a typo: the check character catches it
    (lambda n: "hello", "编号格式不正确"),
    (lambda n: "x" * 200, "编号格式不正确"),
])
def test_unknown_and_malformed_numbers_say_so_and_nothing_else(client, song_certificate, make, says):
    response = page(client, make(song_certificate.number))
    assert response.status_code == 404
    text = text_of(response)
    assert says in text
    shown = text.split("学时认定单查验", 1)[1]
    for secret in ["宋", "湖南省地质研究所", "湖南省人力资源和社会保障厅", "2019", song_certificate.number]:
        assert secret not in shown, secret


def test_a_malformed_number_in_the_form_gets_a_message(client):
    response = client.get("/verify/", {"number": "12345"})
    assert response.status_code == 200 and "编号格式不正确" in text_of(response)


def test_uploading_the_issued_file_confirms_it(client, song_certificate):
    response = upload(client, f"/verify/{song_certificate.number}/", stored_bytes(song_certificate))
    text = text_of(response)
    assert "与出具时保存的文件完全一致，认定单真实有效" in text
    assert "电子签章有效，文件自签章后未被修改" in text


def test_uploading_a_tampered_file_shows_it_is_not_the_original_and_the_seal_is_broken(client, song_certificate):
    tampered = flip_one_byte_in_the_signed_range(stored_bytes(song_certificate))
    text = text_of(upload(client, f"/verify/{song_certificate.number}/", tampered))
    assert "与该编号出具时保存的文件不一致，不是该认定单的原件" in text
    assert "电子签章校验失败：文件内容在签章后被修改" in text
    assert "真实有效" not in text.split("文件查验结果", 1)[1]


def test_uploading_the_file_of_a_superseded_certificate(client, p, song_certificate, approve, issue):
    approve(p.song, {2022: FULL_YEAR}, 2022, 2022)
    newer, _ = issue(p.song)
    text = text_of(upload(client, f"/verify/{song_certificate.number}/", stored_bytes(song_certificate)))
    assert "与出具时保存的文件一致，但该认定单已被替代" in text and newer.number in text
    # Another certificate's file uploaded on this number's page does not match.
    text = text_of(upload(client, f"/verify/{song_certificate.number}/", stored_bytes(newer)))
    assert "不是该认定单的原件" in text and "电子签章有效" in text


def test_uploading_on_the_index_page_finds_the_certificate_by_its_file(client, song_certificate):
    text = text_of(upload(client, "/verify/", stored_bytes(song_certificate)))
    assert "认定单真实有效" in text and song_certificate.number in text and "宋*涛" in text
    text = text_of(upload(client, "/verify/", flip_one_byte_in_the_signed_range(stored_bytes(song_certificate))))
    assert "未找到与该文件一致的认定单" in text and "电子签章校验失败" in text


def test_uploads_that_are_not_pdfs_are_refused(client, song_certificate):
    text = text_of(upload(client, f"/verify/{song_certificate.number}/", b"GIF89a not a pdf", name="x.gif"))
    assert "只能上传 PDF 文件" in text
    assert "请选择要查验的 PDF 文件" in text_of(client.post(f"/verify/{song_certificate.number}/"))


def test_uploads_are_rate_limited_per_client(song_certificate, settings):
    settings.CERT_RATE_LIMITS = {"upload": (2, 60)}
    client = Client(REMOTE_ADDR="203.0.113.7")
    for _ in range(2):
        assert upload(client, "/verify/", b"%PDF-1.7 x").status_code == 200
    response = upload(client, "/verify/", b"%PDF-1.7 x")
    assert response.status_code == 429 and "请求过于频繁" in text_of(response) and int(response["Retry-After"]) > 0
    assert upload(Client(REMOTE_ADDR="203.0.113.8"), "/verify/", b"%PDF-1.7 x").status_code == 200


def test_the_verification_pages_take_a_csrf_token_like_any_form(song_certificate):
    client = Client(enforce_csrf_checks=True)
    response = client.get(f"/verify/{song_certificate.number}/")
    assert 'name="csrfmiddlewaretoken"' in response.content.decode()
    assert Certificate.objects.count() == 1


def test_the_public_page_runs_one_query(client, song_certificate):
    with assert_database_query_count(1):
        response = page(client, song_certificate.number)
    assert response.status_code == 200


# --- an uploaded file's verdict first, and the seal's signer as people name it (issue 22) ---------


def main_text(response):
    """What the page's <main> says, in order, as text."""
    html = response.content.decode()
    main = html[html.index("<main"):html.index("</main>")]
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", main))).strip()


def test_a_wrong_file_gets_its_verdict_first_and_the_number_is_not_called_genuine(client, p, song_certificate, issue):
    other, _ = issue(p.song, 2019, 2021)  # his other certificate: a genuine file, but not this one
    text = main_text(upload(client, f"/verify/{song_certificate.number}/", stored_bytes(other)))
    assert text.startswith(
        "学时认定单查验 文件查验结果 ✘ 与该编号出具时保存的文件不一致，不是该认定单的原件。"
        f"它是本平台出具的另一份认定单，编号 {other.number} 。"
    ), text[:200]
    assert "真实有效" not in text  # today's “✔ 真实有效” on top said the opposite of the verdict
    record = text.index(f"编号 {song_certificate.number} 的出具记录")
    assert text.index("✘ 与该编号出具时保存的文件不一致") < record
    assert "该编号是本平台于" in text[record:] and "但上传的文件不是它的原件" in text[record:]


def test_the_right_file_gets_its_verdict_first_then_the_record(client, song_certificate):
    text = main_text(upload(client, f"/verify/{song_certificate.number}/", stored_bytes(song_certificate)))
    assert text.startswith("学时认定单查验 文件查验结果 ✔ 与出具时保存的文件完全一致，认定单真实有效。 ✔ 电子签章有效"), text[:200]
    assert text.index("文件查验结果") < text.index("出具记录") < text.index("✔ 真实有效：本平台于")


def test_a_tampered_file_gets_its_verdict_first(client, song_certificate):
    tampered = flip_one_byte_in_the_signed_range(stored_bytes(song_certificate))
    for url in (f"/verify/{song_certificate.number}/", "/verify/"):
        text = main_text(upload(client, url, tampered))
        assert text.startswith("学时认定单查验 文件查验结果 ✘ "), (url, text[:120])
        result = text.split("文件查验结果", 1)[1].split("出具记录", 1)[0]
        assert "✘ 电子签章校验失败：文件内容在签章后被修改。" in result
        assert "签章时间" not in result and "出具机关" not in result  # a broken seal names nobody


def test_the_seal_is_shown_by_its_issuing_bureau_and_time_not_by_x509_fields(client, song_certificate):
    text = main_text(upload(client, f"/verify/{song_certificate.number}/", stored_bytes(song_certificate)))
    result = text.split("文件查验结果", 1)[1].split("出具记录", 1)[0]
    signed = timezone.localtime(song_certificate.issued_at)
    # Signed a moment before it was stored: the same minute, or the one before.
    minutes = {f"{(signed - timedelta(minutes=m)):%Y-%m-%d %H:%M}" for m in (0, 1)}
    assert any(f"出具机关 湖南省人力资源和社会保障厅 签章时间 {m} " in result for m in minutes), result
    for x509 in ("Common Name", "Organization", "Serial Number", "Country", "演示电子印章", "签章证书", "CN="):
        assert x509 not in text, x509


def test_a_seal_of_someone_not_trusted_is_not_called_the_issuing_bureau(client, song_certificate, settings, tmp_path):
    settings.CERT_DEMO_SIGNING = False  # the demo CA is no longer trusted: the same file's seal names its signer only
    settings.CERT_TRUST_ROOTS = []
    text = main_text(upload(client, f"/verify/{song_certificate.number}/", stored_bytes(song_certificate)))
    result = text.split("文件查验结果", 1)[1].split("出具记录", 1)[0]
    assert "签章单位 湖南省人力资源和社会保障厅 （不是本平台信任的出具机关）" in result
    assert "出具机关" not in result.replace("不是本平台信任的出具机关", "")
