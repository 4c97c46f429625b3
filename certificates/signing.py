"""The issuing bureau's electronic seal: a PAdES signature (pyHanko) over the whole certificate PDF,
and its validation for files people upload.

Key material:
- Production: the settings CERT_SIGNING_KEY and CERT_SIGNING_CERT name PEM/DER files —
  one pair for every bureau, or a dict {bureau USCC: path} each; CERT_SIGNING_CHAIN lists the
  intermediate/root certificates to embed, CERT_SIGNING_KEY_PASSPHRASE unlocks the key, and
  CERT_TRUST_ROOTS lists the roots the verification page trusts.
- Demo and tests: a self-signed CA and one key and certificate per bureau under
  CERT_SIGNING_DIR (var/signing/), made by `manage.py make_demo_signing_keys` or, when missing,
  lazily at the first signing. Never under the production settings unless CERT_DEMO_SIGNING is on.
"""
import datetime
import fcntl
import io
import logging
import os
import re
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

logger = logging.getLogger(__name__)

CA_KEY, CA_CERT = "ca.key.pem", "ca.cert.pem"
SIGNATURE_FIELD = "BureauSeal"
# Room for the CMS blob: RSA-2048 signature, signer and CA certificates, signed attributes.
# Reserving it avoids pyHanko's dry-run signing pass that would otherwise size it.
BYTES_RESERVED = 8192
_signers = {}


def signing_dir():
    return Path(settings.CERT_SIGNING_DIR)


def _safe_key(bureau):
    uscc = (bureau.uscc or "").upper()
    return uscc if re.fullmatch(r"[0-9A-Z]{18}", uscc) else f"org{bureau.pk}"


# --- demo key material -------------------------------------------------------------------------


@contextmanager
def _locked(directory):
    """One process at a time makes keys (tests, runserver and a management command may race)."""
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / ".lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _write(path, data, *, private=False):
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.chmod(tmp, 0o600 if private else 0o644)
    os.replace(tmp, path)


def _new_key():
    from cryptography.hazmat.primitives.asymmetric import rsa

    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _pem_key(key):
    from cryptography.hazmat.primitives import serialization

    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


NAME_BYTES = 64  # X.520's upper bound for O, OU and CN, which cryptography counts in UTF-8 bytes


def _clip(value):
    """A bureau's name can be 21 CJK characters and more (湘西土家族苗族自治州人力资源和社会保障局 is
    20, 60 bytes): cut on a character boundary rather than fail to make its seal."""
    return value.encode("utf-8")[:NAME_BYTES].decode("utf-8", "ignore")


def _name(common_name, organisation, serial=None, unit=None):
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    parts = [
        x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, _clip(organisation)),
        *([x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, _clip(unit))] if unit else []),
        x509.NameAttribute(NameOID.COMMON_NAME, _clip(common_name)),
    ]
    if serial:
        parts.append(x509.NameAttribute(NameOID.SERIAL_NUMBER, serial))
    return x509.Name(parts)


def _builder(subject, issuer, key, *, days, ca):
    """A certificate for `key`, valid from yesterday for `days`: a CA's signs certificates, a
    bureau's signs documents (digital signature and non-repudiation)."""
    from cryptography import x509

    now = datetime.datetime.now(datetime.timezone.utc)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=0 if ca else None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=not ca, content_commitment=not ca, key_encipherment=False, data_encipherment=False,
                key_agreement=False, key_cert_sign=ca, crl_sign=ca, encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )


def _ensure_ca(directory):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization

    key_path, cert_path = directory / CA_KEY, directory / CA_CERT
    if key_path.exists() and cert_path.exists():
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        return key, x509.load_pem_x509_certificate(cert_path.read_bytes())
    key = _new_key()
    name = _name("学时核认演示根证书（仅供演示）", "学时核认演示平台")
    cert = _builder(name, name, key, days=3650, ca=True).sign(key, hashes.SHA256())
    _write(key_path, _pem_key(key), private=True)
    _write(cert_path, cert.public_bytes(serialization.Encoding.PEM))
    return key, cert


def _issue_bureau_cert(directory, bureau, ca_key, ca_cert):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization

    key = _new_key()
    subject = _name(bureau.name, bureau.name, bureau.uscc or None, unit="演示电子印章")
    cert = (
        _builder(subject, ca_cert.subject, key, days=1825, ca=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_cert.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    base = directory / "bureaus"
    base.mkdir(parents=True, exist_ok=True)
    stem = _safe_key(bureau)
    _write(base / f"{stem}.key.pem", _pem_key(key), private=True)
    _write(base / f"{stem}.cert.pem", cert.public_bytes(serialization.Encoding.PEM))


def demo_paths(bureau, directory=None):
    directory = directory or signing_dir()
    stem = _safe_key(bureau)
    return directory / "bureaus" / f"{stem}.key.pem", directory / "bureaus" / f"{stem}.cert.pem", directory / CA_CERT


def make_demo_keys(bureaus, *, directory=None, force=False):
    """A demo CA (kept if present, unless `force`) and a key and certificate for each bureau that
    lacks one. Returns the bureaus that got new material."""
    directory = directory or signing_dir()
    made = []
    with _locked(directory):
        if force:
            for path in [directory / CA_KEY, directory / CA_CERT, *(directory / "bureaus").glob("*.pem")]:
                path.unlink(missing_ok=True)
            _signers.clear()
        ca_key, ca_cert = _ensure_ca(directory)
        for bureau in bureaus:
            key_path, cert_path, _ = demo_paths(bureau, directory)
            if force or not (key_path.exists() and cert_path.exists()):
                _issue_bureau_cert(directory, bureau, ca_key, ca_cert)
                made.append(bureau)
    return made


# --- signing -----------------------------------------------------------------------------------


def _configured(name, bureau):
    value = getattr(settings, name)
    if isinstance(value, dict):
        return value.get(bureau.uscc)
    return value


def _material(bureau):
    """(key path, certificate path, chain paths, passphrase) for the bureau."""
    key, cert = _configured("CERT_SIGNING_KEY", bureau), _configured("CERT_SIGNING_CERT", bureau)
    if key and cert:
        passphrase = settings.CERT_SIGNING_KEY_PASSPHRASE
        chain = [str(p) for p in settings.CERT_SIGNING_CHAIN]
        return str(key), str(cert), chain, passphrase.encode() if passphrase else None
    if not settings.CERT_DEMO_SIGNING:
        raise ImproperlyConfigured(
            f"未配置{bureau.name}的电子印章：请设置 CERT_SIGNING_KEY 和 CERT_SIGNING_CERT（PEM 私钥与证书路径）。"
        )
    key_path, cert_path, ca_path = demo_paths(bureau)
    if not (key_path.exists() and cert_path.exists() and ca_path.exists()):
        logger.info("making demo signing keys for %s under %s", bureau.name, signing_dir())
        make_demo_keys([bureau])
    return str(key_path), str(cert_path), [str(ca_path)], None


def _kept_key_signer(loaded):
    """pyHanko's SimpleSigner parses (and so re-validates) the RSA key on every signature, about
    40 ms for a 2048-bit key; this one parses it once and keeps it for the process."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
    from pyhanko.sign import signers
    from pyhanko.sign.general import get_pyca_cryptography_hash

    class KeptKeySigner(signers.SimpleSigner):
        _pyca_key = None

        def sign_raw(self, data, digest_algorithm):
            mechanism = self.get_signature_mechanism_for_digest(digest_algorithm)
            try:
                algo = mechanism.signature_algo
            except ValueError:
                algo = mechanism["algorithm"].native
            if self._pyca_key is None:
                self._pyca_key = serialization.load_der_private_key(self.signing_key.dump(), password=None)
            key = self._pyca_key
            hash_algo = get_pyca_cryptography_hash(digest_algorithm)
            if algo == "rsassa_pkcs1v15" and isinstance(key, rsa.RSAPrivateKey):
                return key.sign(data, padding.PKCS1v15(), hash_algo)
            if algo == "ecdsa" and isinstance(key, ec.EllipticCurvePrivateKey):
                return key.sign(data, ec.ECDSA(hash_algo))
            return super().sign_raw(data, digest_algorithm)

    return KeptKeySigner(
        signing_cert=loaded.signing_cert, signing_key=loaded.signing_key, cert_registry=loaded.cert_registry
    )


def signer_for(bureau):
    """The bureau's pyHanko signer, loaded once per process."""
    from pyhanko.sign import signers

    key, cert, chain, passphrase = _material(bureau)
    # The files' times are part of the key, so keys made anew (--force) are picked up at once.
    cache_key = (key, cert, tuple(chain), *(os.stat(path).st_mtime_ns for path in (key, cert)))
    signer = _signers.get(cache_key)
    if signer is None:
        loaded = signers.SimpleSigner.load(key, cert, ca_chain_files=chain or None, key_passphrase=passphrase)
        if loaded is None:
            raise ImproperlyConfigured(f"无法读取电子印章密钥或证书：{key}，{cert}")
        signer = _signers[cache_key] = _kept_key_signer(loaded)
    return signer


def signer_subject(bureau):
    return signer_for(bureau).signing_cert.subject.human_friendly


def sign_pdf(pdf_bytes, *, bureau, reason, location=""):
    """The PDF with the bureau's certifying PAdES signature over all of it (no later change allowed)."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    writer = IncrementalPdfFileWriter(io.BytesIO(pdf_bytes))
    meta = signers.PdfSignatureMetadata(
        field_name=SIGNATURE_FIELD,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=reason,
        location=location or None,
        name=bureau.name,
        certify=True,
        docmdp_permissions=fields.MDPPerm.NO_CHANGES,
        signer_key_usage={"non_repudiation"},
    )
    out = signers.sign_pdf(writer, meta, signer=signer_for(bureau), bytes_reserved=BYTES_RESERVED)
    return out.getvalue()


# --- validation --------------------------------------------------------------------------------


@dataclass(frozen=True)
class SealCheck:
    """What the verification page says about a file's electronic seal."""

    found: bool
    intact: bool = False  # the signed bytes are unchanged
    whole_file: bool = False  # nothing was added after signing
    trusted: bool = False  # the signing certificate chains to a trusted root
    signer: str = ""  # the signing certificate's subject, as X.509 names it (for the log, not the page)
    organisation: str = ""  # who sealed: the subject's organisation (its common name when it has none)
    signed_at: datetime.datetime | None = None  # when, as the signature states it
    problem: str = ""

    @property
    def ok(self):
        return self.found and self.intact and self.whole_file and self.trusted

    @property
    def summary(self):
        if self.problem:
            return self.problem
        if not self.found:
            return self.problem or "文件中未找到电子签章。"
        if not self.intact:
            return "电子签章校验失败：文件内容在签章后被修改。"
        if not self.whole_file:
            return "电子签章本身完好，但签章后文件又被追加修改。"
        if not self.trusted:
            return "文件自签章后未被修改，但签章证书不是本平台信任的出具机关证书。"
        return "电子签章有效，文件自签章后未被修改。"


def trust_roots():
    from pyhanko.keys import load_cert_from_pemder

    paths = [Path(p) for p in settings.CERT_TRUST_ROOTS]
    if settings.CERT_DEMO_SIGNING:
        paths.append(signing_dir() / CA_CERT)
    return [load_cert_from_pemder(str(p)) for p in paths if p.is_file()]


def check_seal(data):
    """Validate the electronic seal of an uploaded PDF. Never raises for a bad file."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    try:
        # Strictly: every certificate we issue is written by pyHanko itself and reads strictly,
        # while the lenient reader fills an announced but missing cross-reference table with
        # defaults (a 184-byte upload claiming 10⁹ objects grew by gigabytes for minutes).
        reader = PdfFileReader(io.BytesIO(data), strict=True)
        embedded = list(reader.embedded_signatures)
    except Exception:  # noqa: BLE001 — any parse failure means the file is not a readable PDF
        logger.info("uploaded PDF could not be parsed", exc_info=True)
        return SealCheck(found=False, problem="文件已损坏或不是有效的 PDF，无法读取电子签章。")
    if not embedded:
        return SealCheck(found=False, problem="文件中未找到电子签章。")
    sig = embedded[0]
    try:
        context = ValidationContext(trust_roots=trust_roots(), allow_fetching=False)
        status = validate_pdf_signature(sig, context)
    except Exception:  # noqa: BLE001 — a mangled signature is reported, not raised
        logger.info("uploaded PDF signature could not be validated", exc_info=True)
        return SealCheck(found=True, problem="电子签章无法校验：签章数据已损坏。")
    try:
        subject = status.signing_cert.subject
        signer = subject.human_friendly
        names = subject.native
        organisation = names.get("organization_name") or names.get("common_name") or ""
    except Exception:  # noqa: BLE001
        signer = organisation = ""
    return SealCheck(
        found=True,
        intact=bool(status.intact and status.valid),
        whole_file=status.coverage == SignatureCoverageLevel.ENTIRE_FILE,
        trusted=bool(status.trusted),
        signer=signer,
        organisation=organisation if isinstance(organisation, str) else "",
        signed_at=getattr(status, "signer_reported_dt", None),
    )
