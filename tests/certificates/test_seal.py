"""The electronic seal: a PAdES signature by the issuing bureau that pyHanko's validator accepts,
and that fails once a single byte of the file is changed; demo keys and configured keys."""
import io

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from certificates import signing
from certificates.models import Certificate

from .conftest import FULL_YEAR, stored_bytes

pytestmark = pytest.mark.django_db


def demo_root(signing_dir):
    from pyhanko.keys import load_cert_from_pemder

    return load_cert_from_pemder(str(signing_dir / signing.CA_CERT))


def validate(data, signing_dir):
    (sig,) = PdfFileReader(io.BytesIO(data)).embedded_signatures
    return sig, validate_pdf_signature(sig, ValidationContext(trust_roots=[demo_root(signing_dir)], allow_fetching=False))


def flip_one_byte_in_the_signed_range(data):
    """Change one byte of page content that the signature covers (not the signature itself)."""
    data = bytearray(data)
    start = data.index(b"stream\n", len(data) // 4) + len(b"stream\n") + 20
    data[start] ^= 0x01
    return bytes(data)


def test_the_issued_pdf_carries_a_valid_pades_signature_of_the_bureau(song_certificate, signing_dir):
    sig, status = validate(stored_bytes(song_certificate), signing_dir)
    assert sig.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"  # PAdES
    assert status.intact and status.valid and status.trusted and status.bottom_line
    assert status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    assert "湖南省人力资源和社会保障厅" in status.signing_cert.subject.human_friendly
    assert song_certificate.signer == status.signing_cert.subject.human_friendly
    assert sig.docmdp_level is not None  # a certifying signature: no later change is allowed


def test_one_changed_byte_breaks_the_signature(song_certificate, signing_dir):
    tampered = flip_one_byte_in_the_signed_range(stored_bytes(song_certificate))
    _, status = validate(tampered, signing_dir)
    assert not status.intact and not status.bottom_line
    check = signing.check_seal(tampered)
    assert check.found and not check.intact and not check.ok
    assert "修改" in check.summary


def test_check_seal_reports_intact_files_and_unreadable_ones(song_certificate):
    good = signing.check_seal(stored_bytes(song_certificate))
    assert good.ok and good.summary == "电子签章有效，文件自签章后未被修改。"
    assert not signing.check_seal(b"%PDF-1.7\n garbage").found
    assert "无法读取" in signing.check_seal(b"%PDF-1.7\n garbage").summary


def test_an_appended_update_is_reported_as_modified_after_signing(song_certificate):
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(io.BytesIO(stored_bytes(song_certificate)))
    info = writer.root  # touch the catalogue: an incremental update after the certifying signature
    info["/Lang"] = generic.TextStringObject("en")
    writer.update_root()
    out = io.BytesIO()
    writer.write(out)
    check = signing.check_seal(out.getvalue())
    assert check.found and check.intact and not check.whole_file and not check.ok
    assert "追加修改" in check.summary


def test_a_seal_from_an_unknown_authority_is_not_trusted(song_certificate, settings):
    """The same file checked by a platform that does not trust the demo root."""
    settings.CERT_DEMO_SIGNING = False
    check = signing.check_seal(stored_bytes(song_certificate))
    assert check.intact and check.whole_file and not check.trusted and not check.ok
    assert "不是本平台信任" in check.summary


def test_make_demo_signing_keys_makes_a_key_and_certificate_per_bureau(demo, tmp_path, settings):
    settings.CERT_SIGNING_DIR = str(tmp_path)
    call_command("make_demo_signing_keys", stdout=io.StringIO())
    assert (tmp_path / signing.CA_KEY).exists() and (tmp_path / signing.CA_CERT).exists()
    certs = sorted(p.name for p in (tmp_path / "bureaus").glob("*.cert.pem"))
    assert certs == sorted(f"{uscc}.cert.pem" for uscc in ["11430000006144358M", "1143010000707826XY", "114302000062099110"])
    assert oct((tmp_path / "bureaus" / "11430000006144358M.key.pem").stat().st_mode & 0o777) == "0o600"
    first = (tmp_path / "bureaus" / "11430000006144358M.cert.pem").read_bytes()
    out = io.StringIO()
    call_command("make_demo_signing_keys", stdout=out)  # kept when present
    assert (tmp_path / "bureaus" / "11430000006144358M.cert.pem").read_bytes() == first
    assert "已存在" in out.getvalue()


def test_keys_are_made_lazily_at_the_first_signing(p, approve, issue, tmp_path, settings):
    settings.CERT_SIGNING_DIR = str(tmp_path)
    approve(p.song, {2019: FULL_YEAR}, 2019, 2019)
    certificate, _ = issue(p.song, 2019, 2019)
    assert (tmp_path / "bureaus" / f"{p.hn.uscc}.key.pem").exists()
    assert signing.check_seal(stored_bytes(certificate)).ok


def test_configured_key_and_certificate_are_used_when_set(p, approve, issue, tmp_path, settings):
    """Production: CERT_SIGNING_KEY / CERT_SIGNING_CERT name the files; no demo keys are made."""
    own = tmp_path / "own"
    signing.make_demo_keys([p.hn], directory=own)
    settings.CERT_SIGNING_KEY = str(own / "bureaus" / f"{p.hn.uscc}.key.pem")
    settings.CERT_SIGNING_CERT = str(own / "bureaus" / f"{p.hn.uscc}.cert.pem")
    settings.CERT_SIGNING_CHAIN = [str(own / signing.CA_CERT)]
    settings.CERT_TRUST_ROOTS = [str(own / signing.CA_CERT)]
    settings.CERT_DEMO_SIGNING = False
    settings.CERT_SIGNING_DIR = str(tmp_path / "unused")
    approve(p.song, {2019: FULL_YEAR}, 2019, 2019)
    certificate, _ = issue(p.song, 2019, 2019)
    assert not (tmp_path / "unused").exists()
    assert signing.check_seal(stored_bytes(certificate)).ok


def test_production_refuses_to_sign_with_demo_keys(p, approve, issue, settings):
    settings.CERT_DEMO_SIGNING = False
    approve(p.song, {2019: FULL_YEAR}, 2019, 2019)
    with pytest.raises(ImproperlyConfigured, match="CERT_SIGNING_KEY"):
        issue(p.song, 2019, 2019)
    assert not Certificate.objects.exists()


def test_a_bureau_with_a_long_name_gets_its_seal(p, tmp_path):
    """X.509 bounds each name part at 64 bytes: 湘西's bureau (20 characters, 60 bytes) must still
    get demo keys, and a longer name is cut on a character boundary, not refused."""
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    p.hn.name = "湘西土家族苗族自治州人力资源和社会保障局"
    longer = type(p.hn)(name="某某自治州某某自治县某某某某某某人力资源和社会保障局", uscc="12439000MB1234567X", kind=p.hn.kind)
    signing.make_demo_keys([p.hn, longer], directory=tmp_path)
    for bureau in (p.hn, longer):
        cert = x509.load_pem_x509_certificate((tmp_path / "bureaus" / f"{bureau.uscc}.cert.pem").read_bytes())
        (common,) = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
        assert bureau.name.startswith(common.value) and len(common.value.encode()) <= 64
        assert cert.subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)[0].value == "演示电子印章"
    assert common.value == longer.name[:21]
