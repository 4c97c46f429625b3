"""Issuing certificates. A certificate is rendered and sealed once, its bytes stored and never
changed; asking again for the same span gives the same certificate back unless the approved hours
(or what else it states) changed, in which case a new one is issued and the old one superseded."""
import hashlib
import logging

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from core import jobs, wording
from core.models import JobKind
from core.storage import FileWrites

from . import numbers, rendering, selectors, signing
from .models import Certificate, CertificateEvent, CertificateStatus, EventAction

logger = logging.getLogger(__name__)


def verify_url_for(number, *, base_url):
    return base_url.rstrip("/") + reverse("verify:certificate", args=[number])


def _unused_number(year):
    while True:
        number = numbers.new_number(year)
        if not Certificate.objects.filter(number=number).exists():
            return number


def _span_facts(user, start_year, end_year):
    """What a certificate for the span would state, and the current one; ValidationError if none can be issued."""
    problem = selectors.span_problem(start_year, end_year)
    if problem:
        raise ValidationError(problem)
    span = selectors.approved_span(applicant=user, start_year=start_year, end_year=end_year)
    if not span.has_hours:
        raise ValidationError(f"{start_year}–{end_year}年度内没有审核通过的学时，无法出具学时认定单。")
    facts = selectors.certificate_facts(span)
    fingerprint = selectors.fingerprint(facts)
    current = selectors.current_certificate(applicant=user, start_year=start_year, end_year=end_year)
    return span, facts, fingerprint, current


SHORT_UNCONFIRMED = "short_years_unconfirmed"


def years_text(years):
    """2019、2022、2023 — years as the page and its messages name them."""
    return "、".join(str(y) for y in years)


def certificate_request(*, user, start_year, end_year, base_url, ip=None, confirmed_short_years=()):
    """下载: (certificate, None) when the stored certificate still states the approved hours — the
    fast path, no rendering —, else (None, job) with the rendering and sealing in a background job.

    A span with years short of the requirement (短缺) is sealed only when the applicant confirmed
    each of those years (`confirmed_short_years`); otherwise ValidationError (code SHORT_UNCONFIRMED)
    naming them."""
    span, _facts, fingerprint, current = _span_facts(user, start_year, end_year)
    unconfirmed = [y for y in span.short_years if y not in set(confirmed_short_years)]
    if unconfirmed:
        raise ValidationError(
            f"{years_text(span.short_years)}年度学时未达到要求（短缺）。请勾选确认后再下载，或调整起始、终止年度。",
            code=SHORT_UNCONFIRMED,
        )
    if current is not None and current.fingerprint == fingerprint:
        return current, None
    job = jobs.job_start(
        owner=user, kind=JobKind.CERTIFICATE_RENDER, title=f"学时认定单生成（{start_year}–{end_year}年度）",
        params={"start_year": start_year, "end_year": end_year, "base_url": base_url, "ip": ip}, total=1,
    )
    return None, job


def certificate_render_run(*, job, progress):
    """The CERTIFICATE_RENDER handler (core/jobs.py). Safe to run again: certificate_issue gives
    back the certificate an earlier attempt stored."""
    try:
        certificate, _created = certificate_issue(user=job.owner, **job.params)
    except ValidationError as exc:
        raise jobs.JobFailure(wording.joined(exc.messages))
    progress.advance()
    return {"certificate": certificate.number}


def certificate_issue(*, user, start_year, end_year, base_url, ip=None):
    """The applicant's certificate for the span: (certificate, True) when newly issued,
    (certificate, False) when the current one still states the approved hours.

    Rendering and sealing (the slow part) happen before the transaction; inside it the applicant's
    row is locked, so two clicks on 下载 issue one certificate between them."""
    span, facts, fingerprint, current = _span_facts(user, start_year, end_year)
    if current is not None and current.fingerprint == fingerprint:
        return current, False

    now = timezone.now()
    number = _unused_number(timezone.localdate(now).year)
    verify_url = verify_url_for(number, base_url=base_url)
    issued = {**facts, "number": number, "issued_on": timezone.localdate(now).isoformat()}
    bureau = span.latest.organisation.approving_bureau()
    pdf = rendering.render_pdf(issued, number=number, verify_url=verify_url)
    pdf = signing.sign_pdf(pdf, bureau=bureau, reason=f"{facts['title']} {number}", location=facts["region"])

    certificate = Certificate(
        number=number,
        applicant=user,
        organisation=span.latest.organisation,
        bureau=bureau,
        start_year=start_year,
        end_year=end_year,
        facts=issued,
        fingerprint=fingerprint,
        verify_url=verify_url,
        sha256=hashlib.sha256(pdf).hexdigest(),
        size=len(pdf),
        signer=signing.signer_subject(bureau),
        issued_at=now,
        issued_by=user,
    )
    with FileWrites() as files, files.atomic():
        # The person's row is what a revocation locks too (hours.summary): under it, the hours are
        # read again, so a revocation that committed while the PDF was rendered is never sealed as 有效.
        get_user_model().objects.select_for_update().filter(pk=user.pk).first()
        if _span_facts(user, start_year, end_year)[2] != fingerprint:
            raise ValidationError("出具过程中该时段的学时发生了变化（如被撤销认定），请重新出具。")
        current = Certificate.objects.filter(
            applicant=user, start_year=start_year, end_year=end_year, status=CertificateStatus.CURRENT
        ).first()
        if current is not None and current.fingerprint == fingerprint:
            return current, False  # issued meanwhile by a second click
        if current is not None:
            # Superseded first, so the one-current-per-span constraint holds when the new one is added.
            Certificate.objects.filter(pk=current.pk).update(status=CertificateStatus.SUPERSEDED, superseded_at=now)
        files.save(certificate.pdf, ContentFile(pdf), filename=f"{number}.pdf")
        certificate.save()
        CertificateEvent.objects.create(
            certificate=certificate, action=EventAction.ISSUE, actor=user, ip_address=ip,
            details={"supersedes": current.number} if current else {},
        )
        if current is not None:
            Certificate.objects.filter(pk=current.pk).update(superseded_by=certificate)
            CertificateEvent.objects.create(
                certificate=current, action=EventAction.SUPERSEDE, actor=user, ip_address=ip,
                details={"superseded_by": number},
            )
    logger.info("certificate %s issued for user %s (%s–%s)", number, user.pk, start_year, end_year)
    return certificate, True


def certificates_revoke(sender, *, revocation, **kwargs):
    """hours.signals.years_revoked, in the revoking transaction: every current certificate of the
    applicant that states a revoked year's hours from the revoked declaration becomes 已撤销, with the
    date and reason category (the free text stays with the bureau). A certificate of the span that
    took those years from another declaration still states true hours and stays as it is."""
    declaration = revocation.declaration
    years = set(revocation.years)
    candidates = Certificate.objects.filter(
        applicant_id=declaration.applicant_id, status=CertificateStatus.CURRENT,
        start_year__lte=max(years), end_year__gte=min(years),
    )
    stating = [
        c.pk for c in candidates.only("pk", "facts")
        if any(y["year"] in years and y.get("business_no") == declaration.business_no for y in c.facts["years"])
    ]
    if not stating:
        return
    Certificate.objects.filter(pk__in=stating).update(
        status=CertificateStatus.REVOKED, revoked_at=revocation.created_at, revoked_reason=revocation.reason
    )
    details = {"declaration": declaration.business_no, "years": sorted(years), "reason": revocation.reason}
    CertificateEvent.objects.bulk_create(
        CertificateEvent(certificate_id=pk, action=EventAction.REVOKE, actor=revocation.actor, details=details) for pk in stating
    )
    logger.info("certificates %s revoked (revocation %s)", stating, revocation.pk)


def certificate_downloaded(*, certificate, user, ip=None):
    CertificateEvent.objects.create(certificate=certificate, action=EventAction.DOWNLOAD, actor=user, ip_address=ip)
