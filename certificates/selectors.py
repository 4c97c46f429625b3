"""Reads for certificates: a person's approved hours over a span of years, who may open which
certificate, and look-ups by number for the public verification pages."""
import hashlib
import json
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Max, Min
from django.http import Http404
from django.utils import timezone

from core.masking import mask_id_number, mask_name
from hours import rules
from hours.models import YearRecord
from hours.policies import policy_for, reference_rule_set
from hours.years import FIRST_YEAR
from workflow import jurisdiction

from . import numbers
from .models import Certificate, CertificateStatus

ZERO = Decimal("0")


def hours_text(value):
    """30, 30.5 — hours as printed: no trailing .0."""
    value = Decimal(value)
    text = format(value.quantize(Decimal("0.1")), "f")
    return text[:-2] if text.endswith(".0") else text


def span_problem(start_year, end_year, *, today=None):
    """Why a span of years cannot be certified, in the applicant's words; None when it can."""
    this_year = (today or timezone.localdate()).year
    if start_year > this_year or end_year > this_year:
        return f"不能选择未来的年度：今年是{this_year}年，终止年度最晚为{this_year}年。"
    if start_year < FIRST_YEAR or end_year < FIRST_YEAR:
        return f"年度应在{FIRST_YEAR}年至{this_year}年之间。"
    if end_year < start_year:
        return "终止年度不能早于起始年度，请重新选择。"
    return None


@dataclass(frozen=True)
class YearRow:
    year: int
    public: Decimal
    professional: Decimal
    months_away: int
    check: rules.YearCheck
    record: YearRecord | None  # the approved year record that counts, None when the year has none

    @property
    def total(self):
        return self.public + self.professional

    @property
    def declaration(self):
        return self.record.declaration if self.record else None


@dataclass(frozen=True)
class ApprovedSpan:
    applicant: object
    start_year: int
    end_year: int
    rows: list
    latest: object  # the most recently approved declaration in the span, or None

    @property
    def has_hours(self):
        return self.latest is not None

    @property
    def totals(self):
        public = sum((r.public for r in self.rows), ZERO)
        professional = sum((r.professional for r in self.rows), ZERO)
        return {"public": public, "professional": professional, "total": public + professional}

    @property
    def compliant_years(self):
        return sum(1 for r in self.rows if r.check.compliant)

    @property
    def short_years(self):
        """The years of the span that fall short of the requirement (短缺), with or without hours."""
        return [r.year for r in self.rows if not r.check.compliant]


# The span a certificate covers at most by default: the 2024 notice asks for the last five years.
DEFAULT_SPAN_YEARS = 5


def default_span(*, applicant, today=None):
    """The span 学时证书打印 opens with: the years with approved hours, from the earliest to the
    latest, but at most the five years ending with the latest (the span a title application asks
    for). (start, end), or None when nothing is approved yet."""
    this_year = (today or timezone.localdate()).year
    years = (
        YearRecord.objects.counting().filter(
            declaration__applicant=applicant, year__gte=FIRST_YEAR, year__lte=this_year
        )
        .aggregate(first=Min("year"), last=Max("year"))
    )
    if years["last"] is None:
        return None
    return max(years["first"], years["last"] - DEFAULT_SPAN_YEARS + 1), years["last"]


def approved_span(*, applicant, start_year, end_year):
    """Each year's approved hours: where two approved declarations cover a year, the year record
    of the one approved last counts. One query (the rule sets' policies are cached)."""
    records = (
        YearRecord.objects.counting().filter(
            declaration__applicant=applicant, year__gte=start_year, year__lte=end_year
        )
        .select_related("declaration__organisation__bureau", "declaration__rule_set")
        .order_by("year", "-declaration__decided_at", "-declaration_id")
    )
    counting = {}
    for record in records:
        counting.setdefault(record.year, record)
    latest = None
    for record in counting.values():
        d = record.declaration
        if latest is None or (d.decided_at, d.pk) > (latest.decided_at, latest.pk):
            latest = d
    fallback_policy = None
    rows = []
    for year in range(start_year, end_year + 1):
        record = counting.get(year)
        if record is not None:
            policy = policy_for(record.declaration.rule_set)
            months = record.months_away if policy.proration is not None else 0
            public, professional = record.public_hours, record.professional_hours
        else:
            if fallback_policy is None:
                fallback_policy = policy_for(latest.rule_set if latest else reference_rule_set())
            policy, months, public, professional = fallback_policy, 0, ZERO, ZERO
        check = rules.year_check(policy, public, professional, months_away=months)
        rows.append(YearRow(year, public, professional, months, check, record))
    return ApprovedSpan(applicant, start_year, end_year, rows, latest)


def certificate_facts(span):
    """What the certificate states, as plain JSON: stored with it and printed from it."""
    latest = span.latest
    policy = policy_for(latest.rule_set)
    bureau = latest.organisation.approving_bureau()
    req = policy.requirement
    years = []
    for row in span.rows:
        d = row.declaration
        years.append({
            "year": row.year,
            "public": hours_text(row.public),
            "professional": hours_text(row.professional),
            "total": hours_text(row.total),
            "months_away": row.months_away,
            "required": {
                "public": hours_text(row.check.required.public),
                "professional": hours_text(row.check.required.professional),
                "total": hours_text(row.check.required.total),
            },
            "compliant": row.check.compliant,
            "business_no": d.business_no if d else None,
            "approved_on": timezone.localdate(d.decided_at).isoformat() if d and d.decided_at else None,
        })
    totals = span.totals
    return {
        "title": latest.rule_set.data.get("title") or latest.rule_set.name,
        "region": latest.rule_set.data.get("region") or latest.rule_set.region,
        "policy_name": policy.name,
        "requirement": {k: hours_text(getattr(req, k)) for k in ("public", "professional", "total")},
        # The person as registered, not the name typed on a declaration (declarations made before
        # the name came from the account may differ): the certificate carries the account's.
        "name": span.applicant.name,
        "id_number_masked": mask_id_number(span.applicant.id_number),
        "unit": latest.organisation.name,
        "unit_id": latest.organisation_id,
        "bureau": bureau.name,
        "bureau_id": bureau.pk,
        "start_year": span.start_year,
        "end_year": span.end_year,
        "years": years,
        "totals": {k: hours_text(v) for k, v in totals.items()},
        "compliant_years": span.compliant_years,
        "year_count": len(span.rows),
    }


def fingerprint(facts):
    return hashlib.sha256(json.dumps(facts, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def certificate_get_for_user(*, user, number):
    """The certificate if the user may download it, else 404 (whether it exists is not revealed)."""
    canonical = numbers.normalize(number)
    certificate = None
    if canonical and user.is_authenticated:
        certificate = Certificate.objects.filter(jurisdiction.certificates_q(user), number=canonical).first()
    if certificate is None:
        raise Http404("认定单不存在")
    return certificate


def user_may_download(user, certificate):
    return user.is_authenticated and Certificate.objects.filter(jurisdiction.certificates_q(user), pk=certificate.pk).exists()


def my_certificates(*, user):
    return Certificate.objects.filter(applicant=user).select_related("superseded_by").order_by("-issued_at", "-id")


def current_certificate(*, applicant, start_year, end_year):
    return Certificate.objects.filter(
        applicant=applicant, start_year=start_year, end_year=end_year, status=CertificateStatus.CURRENT
    ).first()


# --- public verification -------------------------------------------------------------------------


def certificate_by_number(number):
    """(canonical number or None when malformed, the certificate or None)."""
    canonical = numbers.normalize(number)
    if canonical is None:
        return None, None
    return canonical, Certificate.objects.filter(number=canonical).select_related("superseded_by").first()


def certificates_by_numbers(canonical_numbers):
    """{number: certificate} for the well-formed numbers, in one query."""
    found = Certificate.objects.filter(number__in=set(canonical_numbers)).select_related("superseded_by")
    return {c.number: c for c in found}


def certificate_by_sha256(digest):
    return Certificate.objects.filter(sha256=digest).select_related("superseded_by").first()


def public_facts(certificate):
    """The facts as issued, for anybody holding the number: the name masked, no internal ids."""
    facts = certificate.facts
    return {
        "number": certificate.number,
        "title": facts["title"],
        "name": mask_name(facts["name"]),
        "id_number": facts["id_number_masked"],
        "unit": facts["unit"],
        "bureau": facts["bureau"],
        "start_year": facts["start_year"],
        "end_year": facts["end_year"],
        "years": [
            {k: y[k] for k in ("year", "public", "professional", "total", "required", "compliant")} for y in facts["years"]
        ],
        "totals": facts["totals"],
        "compliant_years": facts["compliant_years"],
        "issued_on": facts["issued_on"],
        "sha256": certificate.sha256,
    }


def verification_status(certificate):
    """genuine, superseded, revoked (撤销认定: certificates.services.certificates_revoke) or unknown."""
    if certificate is None:
        return "unknown"
    return {CertificateStatus.CURRENT: "genuine", CertificateStatus.REVOKED: "revoked"}.get(certificate.status, "superseded")
