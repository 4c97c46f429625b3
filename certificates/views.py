"""学时证书打印 for applicants (steps 10–13), downloads behind the access rule, and the public
verification pages and bulk endpoint (no login)."""
import hashlib
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.access import role_required
from accounts.models import Role
from core import wording
from core.inputs import JSONBodyError, load_json
from core.models import JobState
from core.proxy import client_ip
from core.storage import file_response

from . import numbers, ratelimit, records, selectors, services, signing
from .forms import IssueForm, NumberForm, SpanForm, UploadForm

BULK_MAX = 500
RECORD_PAGE_SIZE = 15  # years, newest first
TOO_MANY = "请求过于频繁，请稍后再试。Too many requests: please try again later."


def _errors(exc):
    return wording.joined(getattr(exc, "messages", None) or [str(exc)])


def _base_url(request):
    """Where the QR code points: settings.CERT_VERIFY_BASE_URL (the public address), else this request's host."""
    return settings.CERT_VERIFY_BASE_URL or f"{request.scheme}://{request.get_host()}"


def _print_url(start_year=None, end_year=None, *, unconfirmed=False):
    url = reverse("certificates:print")
    if start_year is not None and end_year is not None:
        query = {"start_year": start_year, "end_year": end_year}
        if unconfirmed:
            query["unconfirmed"] = 1  # the page marks the confirmation the 下载 lacked
        url += "?" + urlencode(query)
    return url


# The download response sets this cookie (the certificate's number) so the page's script can tell
# that the file has started to arrive and refresh the list of issued certificates.
DOWNLOADED_COOKIE = "certificate_downloaded"


# --- applicant: 学时证书打印 ---------------------------------------------------------------------


@role_required(Role.APPLICANT)
def print_page(request):
    """查询 shows the span asked for; without one, the page opens on the applicant's years with
    approved hours (selectors.default_span), or, with none approved, on the five years before this one."""
    searched = "start_year" in request.GET or "end_year" in request.GET
    found = None if searched else selectors.default_span(applicant=request.user)
    if searched:
        form = SpanForm(request.GET)
    elif found:
        form = SpanForm({"start_year": found[0], "end_year": found[1]})
    else:
        form = SpanForm(initial=SpanForm.default_span())
    span = current = None
    if form.is_bound and form.is_valid():
        span = selectors.approved_span(applicant=request.user, **form.cleaned_data)
        if span.has_hours:
            current = selectors.current_certificate(applicant=request.user, **form.cleaned_data)
    short_years = span.short_years if span and span.has_hours else []
    return render(
        request,
        "certificates/print.html",
        {
            "form": form,
            "searched": searched,
            "span": span,
            "current": current,
            "short_years": services.years_text(short_years),
            "short_value": ",".join(str(y) for y in short_years),
            "unconfirmed": bool(short_years) and request.GET.get("unconfirmed") == "1",
            "certificates": selectors.my_certificates(user=request.user)[:20],
        },
    )


@require_GET
@role_required(Role.APPLICANT)
def record(request):
    """学时档案: the signed-in applicant's own years (there is no one else's to ask for)."""
    found = records.applicant_record(applicant=request.user)
    page = Paginator(found.rows, RECORD_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "certificates/record.html", {"record": found, "page": page})


@require_POST
@role_required(Role.APPLICANT)
def issue(request):
    """下载: issue (or find) the certificate for the span, then send the browser to its file. A span
    with years short of the requirement needs the confirmation naming them; without it, back to the
    page with the confirmation marked."""
    form = IssueForm(request.POST)
    if not form.is_valid():
        # Back to 查询 with the same years: the page shows the form's message there.
        return redirect(_print_url(request.POST.get("start_year", ""), request.POST.get("end_year", "")))
    start, end = form.cleaned_data["start_year"], form.cleaned_data["end_year"]
    try:
        certificate, job = services.certificate_request(
            user=request.user, start_year=start, end_year=end, base_url=_base_url(request), ip=client_ip(request),
            confirmed_short_years=form.cleaned_data["confirm_short"],
        )
    except ValidationError as exc:
        if getattr(exc, "code", None) == services.SHORT_UNCONFIRMED:
            return redirect(_print_url(start, end, unconfirmed=True))
        messages.error(request, _errors(exc))
        return redirect(_print_url(start, end))
    if job is not None:
        job.refresh_from_db()
        if job.state != JobState.SUCCEEDED:
            return redirect("portal:job", pk=job.pk)  # rendering in the background: its page links the file when done
        number = job.result["certificate"]  # no worker: it ran in-process, during this request
    else:
        number = certificate.number
    return redirect("certificates:download", number=number)


@require_GET
@login_required
def download(request, number):
    """The stored file, byte for byte as issued; 404 for anyone but its owner and the reviewers of
    their unit's jurisdiction (and for numbers that do not exist)."""
    certificate = selectors.certificate_get_for_user(user=request.user, number=number)
    services.certificate_downloaded(certificate=certificate, user=request.user, ip=client_ip(request))
    response = file_response(certificate.pdf, filename=f"学时认定单_{certificate.number}.pdf", content_type="application/pdf")
    response.set_cookie(
        DOWNLOADED_COOKIE, certificate.number, max_age=120, path=reverse("certificates:print"),
        secure=request.is_secure(), samesite="Strict",
    )
    return response


# --- public verification -------------------------------------------------------------------------


def _check_upload(upload, certificate=None):
    """Compare an uploaded file with the stored SHA-256 (of `certificate`, or of any certificate
    when none is given) and validate its electronic seal."""
    data = upload.read()
    digest = hashlib.sha256(data).hexdigest()
    other = None
    if certificate is None:
        matched = selectors.certificate_by_sha256(digest)
    else:
        matched = certificate if certificate.sha256 == digest else None
        if matched is None:  # the wrong file: perhaps another certificate of ours, which it then names
            other = selectors.certificate_by_sha256(digest)
    return {"name": upload.name, "sha256": digest, "matched": matched, "other": other, "seal": signing.check_seal(data)}


def _too_many(request, template, context, decision):
    response = render(request, template, {**context, "rate_limited": TOO_MANY}, status=429)
    response["Retry-After"] = str(decision.retry_after)
    return response


@never_cache
@require_http_methods(["GET", "POST"])
def verify_index(request):
    """查验: type a number, or upload a file to find the certificate it is."""
    number_form = NumberForm(request.GET if "number" in request.GET else None)
    if number_form.is_bound and number_form.is_valid():
        return redirect("verify:certificate", number=number_form.cleaned_data["number"])
    upload_form = UploadForm(request.POST, request.FILES) if request.method == "POST" else UploadForm()
    context = {"number_form": number_form, "upload_form": upload_form, "result": None}
    if request.method == "POST":
        decision = ratelimit.hit(request, "upload")
        if not decision.allowed:
            return _too_many(request, "certificates/verify_index.html", context, decision)
        if upload_form.is_valid():
            result = _check_upload(upload_form.cleaned_data["file"])
            context["result"] = result
            if result["matched"]:
                context["facts"] = selectors.public_facts(result["matched"])
    return render(request, "certificates/verify_index.html", context)


@never_cache
@require_http_methods(["GET", "POST"])
def verify_certificate(request, number):
    """The facts as issued (name masked) and whether the certificate is genuine; upload the file to
    compare it with what was issued and check its seal."""
    canonical, certificate = selectors.certificate_by_number(number)
    if certificate is None:
        reason = "malformed" if canonical is None else "unknown"
        return render(request, "certificates/verify_unknown.html", {"reason": reason, "number_form": NumberForm()}, status=404)
    if canonical != number:
        return redirect("verify:certificate", number=canonical)
    upload_form = UploadForm(request.POST, request.FILES) if request.method == "POST" else UploadForm()
    context = {
        "certificate": certificate,
        "facts": selectors.public_facts(certificate),
        "status": selectors.verification_status(certificate),
        "upload_form": upload_form,
        "result": None,
        "may_download": selectors.user_may_download(request.user, certificate),
    }
    if request.method == "POST":
        decision = ratelimit.hit(request, "upload")
        if not decision.allowed:
            return _too_many(request, "certificates/verify.html", context, decision)
        if upload_form.is_valid():
            context["result"] = _check_upload(upload_form.cleaned_data["file"], certificate)
    return render(request, "certificates/verify.html", context)


def _bulk_error(message, status=400):
    return JsonResponse({"error": message}, status=status, json_dumps_params={"ensure_ascii": False})


def _bulk_entry(text, canonical, certificate):
    status = selectors.verification_status(certificate)
    entry = {"number": text, "status": status}
    if certificate is None:
        entry["message"] = "编号格式不正确 (malformed number)" if canonical is None else "查无此编号 (no such certificate)"
        return entry
    entry["number"] = certificate.number
    entry["certificate"] = selectors.public_facts(certificate)
    entry["verify_url"] = certificate.verify_url
    if certificate.superseded_by_id:
        entry["superseded_by"] = certificate.superseded_by.number
        entry["superseded_at"] = certificate.superseded_at.isoformat() if certificate.superseded_at else None
    if status == "revoked":
        entry["revoked_at"] = certificate.revoked_at.isoformat() if certificate.revoked_at else None
        entry["revoked_reason"] = certificate.get_revoked_reason_display()
    return entry


@csrf_exempt
@never_cache
def verify_bulk(request):
    """POST {"numbers": [...]} (at most 500) → {"results": [{number, status, ...}, ...]} in the
    order asked; status is genuine, superseded, revoked or unknown. Rate-limited per client IP."""
    if request.method != "POST":
        response = _bulk_error('请用 POST 提交 JSON：{"numbers": [...]}。Use POST with a JSON body {"numbers": [...]}.', 405)
        response["Allow"] = "POST"
        return response
    decision = ratelimit.hit(request, "bulk")
    if not decision.allowed:
        response = JsonResponse(
            {"error": TOO_MANY, "retry_after": decision.retry_after, "limit": f"{decision.limit}/min"},
            status=429, json_dumps_params={"ensure_ascii": False},
        )
        response["Retry-After"] = str(decision.retry_after)
        return response
    try:
        payload = load_json(request.body or b"null")
    except JSONBodyError as exc:
        return _bulk_error(str(exc))
    except (ValueError, UnicodeDecodeError):
        return _bulk_error("请求体不是有效的 JSON。The request body is not valid JSON.")
    asked = payload.get("numbers") if isinstance(payload, dict) else None
    if not isinstance(asked, list) or not all(isinstance(n, str) for n in asked):
        return _bulk_error('请提交 {"numbers": ["XS2024-…", …]}。Send {"numbers": ["XS2024-…", …]}.')
    if len(asked) > BULK_MAX:
        return _bulk_error(f"每次最多查验{BULK_MAX}个编号。At most {BULK_MAX} numbers per request.")
    canonical = [numbers.normalize(n) for n in asked]
    found = selectors.certificates_by_numbers([c for c in canonical if c])
    results = [_bulk_entry(text, c, found.get(c) if c else None) for text, c in zip(asked, canonical)]
    counts = {s: sum(1 for r in results if r["status"] == s) for s in ("genuine", "superseded", "revoked", "unknown")}
    response = JsonResponse({"count": len(results), "summary": counts, "results": results}, json_dumps_params={"ensure_ascii": False})
    response["X-RateLimit-Limit"] = str(decision.limit)
    response["X-RateLimit-Remaining"] = str(decision.remaining)
    return response
