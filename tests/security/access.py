"""The URL matrix's table: for every named URL of the portal, who passes its role guard and what
each visitor gets for each object (tests/security/test_url_matrix.py walks the resolver and fails
for a URL missing here). Shared by the header and CSRF tests, which visit the same pages."""
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils.regex_helper import normalize

from certificates import numbers
from certificates.models import Certificate
from core.models import Job
from hours.models import Evidence, TrainingFiling
from tests.helpers import PROJECT_APPS
from tests.security.conftest import ROLES

SIGNED_IN = frozenset(ROLES) - {"anonymous"}
PUBLIC = frozenset(ROLES)
OK = "ok"  # a POST the visitor may make: any answer but a refusal, a 405 or a server error


def roles(text):
    """'applicant unit_admin' → the set of those roles (the table reads better with short lists)."""
    found = frozenset(text.split())
    assert found <= PUBLIC, found - PUBLIC
    return found


APPLICANTS = roles("applicant unit_admin")
UNIT_ADMINS = roles("unit_admin superior_admin training_base")
DEPT_ADMINS = roles("superior_admin dept_admin")
CLERKS = roles("province_clerk city_clerk")
KEY_ISSUERS = CLERKS | roles("sysadmin")  # 接口密钥: bureau clerks and system administrators
DECLARERS = APPLICANTS | UNIT_ADMINS | DEPT_ADMINS  # @role_required(APPLICANT, UNIT_ADMIN, DEPT_ADMIN)
REVIEWERS = UNIT_ADMINS | DEPT_ADMINS | CLERKS
# Who may open a declaration submitted by 赵金强 or 李雪梅 (湖南省地质研究所, under 湖南省地质院 and
# 湖南省自然资源厅, in the provincial bureau's area), and one of 吴涛 (长沙市第一医院, 长沙 city bureau).
INSTITUTE_REVIEWERS = roles("unit_admin superior_admin dept_admin province_clerk")
CHANGSHA_REVIEWERS = roles("province_clerk city_clerk")


@dataclass(frozen=True)
class Access:
    """Who passes the page's role guard, and what each gets for each object (None: no object).
    A visitor who passes the guard but is not listed for an object gets 404."""

    guard: frozenset
    expect: dict
    post_only: str = ""  # "outer": @require_POST before the guard (GET → 405 for all); "inner": after it
    post: bool = False  # takes GET and POST: refused visitors are POSTed too
    post_refused: dict = field(default_factory=dict)  # object → {role: status} for POST only


def each(who, status):
    return {role: status for role in who}


ACCESS = {
    "portal:home": Access(SIGNED_IN, {None: each(SIGNED_IN, 200)}),
    "portal:health": Access(PUBLIC, {None: each(PUBLIC, 200)}),
    "portal:text_size": Access(PUBLIC, {None: each(PUBLIC, OK)}, post_only="outer"),
    # Background jobs: only the person who started one sees it (陈立新 packed 赵金强's materials).
    "portal:job_list": Access(SIGNED_IN, {None: each(SIGNED_IN, 200)}),
    "portal:job": Access(SIGNED_IN, {"job": {"unit_admin": 200}}),
    "portal:job_progress": Access(SIGNED_IN, {"job": {"unit_admin": 200}}),
    "portal:job_download": Access(SIGNED_IN, {"job": {"unit_admin": 200}}),
    # 我的消息: everyone their own; a message only to the person it was sent to (宋庆涛).
    "portal:messages": Access(SIGNED_IN, {None: each(SIGNED_IN, 200)}),
    "portal:message": Access(SIGNED_IN, {"message": {"applicant": 200}}),
    "portal:messages_read_all": Access(SIGNED_IN, {None: each(SIGNED_IN, OK)}, post_only="inner"),
    # Signed-in visitors are sent home from the login and registration pages.
    "accounts:login": Access(PUBLIC, {None: {**each(SIGNED_IN, 302), "anonymous": 200}}, post=True),
    "accounts:logout": Access(PUBLIC, {None: each(PUBLIC, OK)}, post_only="outer"),
    "accounts:register": Access(PUBLIC, {None: {**each(SIGNED_IN, 302), "anonymous": 200}}, post=True),
    # Second factor: with REQUIRE_2FA off (as here) nobody owes one and is sent on (home); with it on,
    # tests/accounts/test_second_factor.py: clerks and administrators 200, the other roles still 302.
    "accounts:otp_setup": Access(SIGNED_IN, {None: each(SIGNED_IN, 302)}, post=True),
    "accounts:otp_verify": Access(SIGNED_IN, {None: each(SIGNED_IN, 302)}, post=True),
    # 忘记密码 (anonymous only; step 2 without a pending reset in the session goes back to step 1).
    "accounts:password_forgot": Access(PUBLIC, {None: {**each(SIGNED_IN, 302), "anonymous": 200}}, post=True),
    "accounts:password_reset": Access(PUBLIC, {None: each(PUBLIC, 302)}, post=True),
    "accounts:password_change": Access(SIGNED_IN, {None: each(SIGNED_IN, 200)}, post=True),
    # 本单位已确认人员 and 重置密码: only the staff confirmed at the administrator's own unit (赵金强).
    "accounts:unit_staff": Access(UNIT_ADMINS, {None: each(UNIT_ADMINS, 200)}),
    "accounts:staff_password_reset": Access(UNIT_ADMINS, {"colleague": {"unit_admin": 200}, "city_person": {}}, post=True),
    "accounts:organisation_suggest": Access(PUBLIC, {None: each(PUBLIC, 200)}),
    "accounts:profile": Access(SIGNED_IN, {None: each(SIGNED_IN, 200)}, post=True),
    "accounts:membership_move": Access(SIGNED_IN, {None: each(SIGNED_IN, OK)}, post_only="inner"),
    # Only the person who asked may withdraw (何磊 and 罗娟 are not among the visitors).
    "accounts:membership_withdraw": Access(SIGNED_IN, {"pending": {}, "city_pending": {}}, post_only="inner"),
    "accounts:membership_queue": Access(UNIT_ADMINS, {None: each(UNIT_ADMINS, 200)}),
    "accounts:membership_confirm": Access(UNIT_ADMINS, {"pending": {"unit_admin": OK}, "city_pending": {}}, post_only="inner"),
    "accounts:membership_reject": Access(UNIT_ADMINS, {"pending": {"unit_admin": OK}, "city_pending": {}}, post_only="inner"),
    # 批量导入人员: each unit administrator for the units they administer (tests/accounts/test_staff_enrolment.py).
    "accounts:staff_enrol": Access(UNIT_ADMINS, {None: each(UNIT_ADMINS, 200)}, post=True),
    "accounts:staff_enrol_template": Access(UNIT_ADMINS, {None: each(UNIT_ADMINS, 200)}),
    "accounts:subordinates": Access(DEPT_ADMINS, {None: each(DEPT_ADMINS, 200)}),
    "accounts:jurisdiction": Access(CLERKS, {None: each(CLERKS, 200)}),
    # --- declarations -------------------------------------------------------------------------
    "hours:declaration_list": Access(APPLICANTS, {None: each(APPLICANTS, 200)}),
    "hours:declaration_new": Access(APPLICANTS, {None: each(APPLICANTS, 200)}, post=True),
    "hours:declaration_detail": Access(
        DECLARERS,
        {"draft": {"applicant": 200}, "unit_case": each(roles("unit_admin superior_admin dept_admin"), 200), "city_case": {}},
    ),
    # Reviewers who may see a declaration are sent to its detail page: only the owner edits.
    "hours:declaration_edit": Access(
        DECLARERS,
        {"draft": {"applicant": 200}, "unit_case": each(roles("unit_admin superior_admin dept_admin"), 302), "city_case": {}},
    ),
    "hours:declaration_applicant_edit": Access(DECLARERS, {"draft": {"applicant": 200}, "unit_case": {}, "city_case": {}}, post=True),
    "hours:year_add": Access(DECLARERS, {"draft": {"applicant": OK}, "unit_case": {}, "city_case": {}}, post_only="outer"),
    # "cross": the applicant's own declaration with another declaration's year, item or file.
    "hours:year_delete": Access(DECLARERS, {"draft": {"applicant": OK}, "unit_case": {}, "cross": {}}, post_only="outer"),
    "hours:item_add": Access(DECLARERS, {"draft": {"applicant": OK}, "unit_case": {}, "cross": {}}, post_only="outer"),
    "hours:item_preview": Access(DECLARERS, {"draft": {"applicant": 200}, "unit_case": {}, "cross": {}}),
    "hours:training_claim": Access(DECLARERS, {"draft": {"applicant": OK}, "unit_case": {}, "cross": {}}, post_only="outer"),
    "hours:item_delete": Access(DECLARERS, {"draft": {"applicant": OK}, "unit_case": {}, "cross": {}}, post_only="outer"),
    "hours:item_evidence_upload": Access(DECLARERS, {"draft": {"applicant": OK}, "unit_case": {}, "cross": {}}, post_only="outer"),
    "hours:evidence_upload": Access(DECLARERS, {"draft": {"applicant": OK}, "unit_case": {}, "city_case": {}}, post_only="outer"),
    "hours:evidence_delete": Access(DECLARERS, {"draft": {"applicant": OK}, "unit_case": {}, "cross": {}}, post_only="outer"),
    "hours:declaration_submit": Access(DECLARERS, {"draft": {"applicant": OK}, "unit_case": {}, "city_case": {}}, post_only="outer"),
    "hours:declaration_withdraw": Access(DECLARERS, {"draft": {"applicant": OK}, "unit_case": {}, "city_case": {}}, post_only="outer"),
    "hours:declaration_delete": Access(DECLARERS, {"draft": {"applicant": OK}, "unit_case": {}, "city_case": {}}, post_only="outer"),
    "hours:evidence_file": Access(
        DECLARERS | CLERKS,
        {"draft": {"applicant": 200}, "unit_case": each(INSTITUTE_REVIEWERS, 200), "city_case": each(CHANGSHA_REVIEWERS, 200)},
    ),
    "hours:proxy_list": Access(UNIT_ADMINS | DEPT_ADMINS, {None: each(UNIT_ADMINS | DEPT_ADMINS, 200)}),
    # 本单位人员学时情况: every unit or department administrator has a ledger (their own staff only,
    # tests/hours/test_staff_ledger.py); 催报 with nothing ticked is refused back to the ledger.
    "hours:staff_ledger": Access(UNIT_ADMINS | DEPT_ADMINS, {None: each(UNIT_ADMINS | DEPT_ADMINS, 200)}),
    "hours:staff_remind": Access(UNIT_ADMINS | DEPT_ADMINS, {None: each(UNIT_ADMINS | DEPT_ADMINS, OK)}, post_only="outer"),
    # 赵金强 is staff of the institute (below 湖南省地质院 and 湖南省自然资源厅); 吴涛 is in 长沙.
    "hours:proxy_new": Access(
        UNIT_ADMINS | DEPT_ADMINS,
        {"colleague": each(roles("unit_admin superior_admin dept_admin"), 200), "city_person": {}},
        post=True,
    ),
    # Unit administrators pass the guard but only a training base's may import.
    "hours:training_import": Access(
        UNIT_ADMINS | CLERKS, {None: {**each(CLERKS | {"training_base"}, 200), "unit_admin": 403, "superior_admin": 403}}, post=True
    ),
    "hours:training_import_template": Access(
        UNIT_ADMINS | CLERKS, {None: {**each(CLERKS | {"training_base"}, 200), "unit_admin": 403, "superior_admin": 403}}
    ),
    # --- training filings ---------------------------------------------------------------------
    "hours:filing_list": Access(UNIT_ADMINS, {None: each(UNIT_ADMINS, 200)}),
    "hours:filing_new": Access(UNIT_ADMINS, {None: each(UNIT_ADMINS, 200)}, post=True),
    "hours:filing_queue": Access(DEPT_ADMINS | CLERKS, {None: each(DEPT_ADMINS | CLERKS, 200)}),
    "hours:filing_detail": Access(
        UNIT_ADMINS | DEPT_ADMINS | CLERKS,
        {"draft_filing": {"unit_admin": 200}, "filing": each(INSTITUTE_REVIEWERS, 200), "city_filing": each(CHANGSHA_REVIEWERS, 200)},
        post=True,
        # The institute's filing waits at 湖南省自然资源厅, the hospital's at 长沙市卫生健康委员会.
        post_refused={
            "draft_filing": {"unit_admin": 403},
            "filing": each(roles("unit_admin superior_admin province_clerk"), 403),
            "city_filing": each(CHANGSHA_REVIEWERS, 403),
        },
    ),
    # Only the unit's own administrator edits, submits, withdraws, deletes and uploads rosters.
    "hours:filing_edit": Access(UNIT_ADMINS, {"draft_filing": {"unit_admin": 200}, "filing": {"unit_admin": 200}, "city_filing": {}}, post=True),
    "hours:filing_submit": Access(UNIT_ADMINS, {"draft_filing": {"unit_admin": OK}, "filing": {"unit_admin": OK}, "city_filing": {}}, post_only="outer"),
    "hours:filing_withdraw": Access(UNIT_ADMINS, {"draft_filing": {"unit_admin": OK}, "filing": {"unit_admin": OK}, "city_filing": {}}, post_only="outer"),
    "hours:filing_delete": Access(UNIT_ADMINS, {"draft_filing": {"unit_admin": OK}, "filing": {"unit_admin": OK}, "city_filing": {}}, post_only="outer"),
    "hours:filing_roster": Access(UNIT_ADMINS, {"draft_filing": {"unit_admin": OK}, "filing": {"unit_admin": OK}, "city_filing": {}}, post_only="outer"),
    "hours:filing_notice": Access(
        UNIT_ADMINS | DEPT_ADMINS | CLERKS,
        {"draft_filing": {"unit_admin": 200}, "filing": each(INSTITUTE_REVIEWERS, 200), "city_filing": each(CHANGSHA_REVIEWERS, 200)},
    ),
    "hours:filing_schedule": Access(
        UNIT_ADMINS | DEPT_ADMINS | CLERKS,
        {"draft_filing": {"unit_admin": 200}, "filing": each(INSTITUTE_REVIEWERS, 200), "city_filing": each(CHANGSHA_REVIEWERS, 200)},
    ),
    # --- review -------------------------------------------------------------------------------
    "review:unit_queue": Access(UNIT_ADMINS, {None: each(UNIT_ADMINS, 200)}),
    "review:superior_queue": Access(DEPT_ADMINS, {None: each(DEPT_ADMINS, 200)}),
    "review:bureau_todo": Access(CLERKS, {None: each(CLERKS, 200)}),
    "review:bureau_batch": Access(CLERKS, {None: each(CLERKS, OK)}, post_only="outer"),
    "review:filing_periods": Access(CLERKS, {None: each(CLERKS, 200)}, post=True),
    # 我的经办: each reviewer's own decisions (a list, no object of its own).
    "review:my_decisions": Access(REVIEWERS, {None: each(REVIEWERS, 200)}),
    # 查询统计: each sees the figures of their own jurisdiction (tests/review/test_statistics.py: whose).
    "review:statistics": Access(DEPT_ADMINS | CLERKS, {None: each(DEPT_ADMINS | CLERKS, 200)}),
    "review:reminders_sent": Access(CLERKS, {None: each(CLERKS, 200)}),
    "review:case": Access(
        REVIEWERS,
        {
            "unit_case": each(INSTITUTE_REVIEWERS, 200),
            "bureau_case": each(INSTITUTE_REVIEWERS, 200),
            "city_case": each(CHANGSHA_REVIEWERS, 200),
            "draft": {},
        },
        post=True,
        # Seeing a case is not deciding it: only the level it waits at does (the institute, the bureau).
        post_refused={
            "unit_case": each(roles("superior_admin dept_admin province_clerk"), 403),
            "bureau_case": each(roles("unit_admin superior_admin dept_admin"), 403),
            "city_case": each(CHANGSHA_REVIEWERS, 403),
        },
    ),
    "review:case_accept": Access(
        CLERKS,
        {"unit_case": {"province_clerk": OK}, "bureau_case": {"province_clerk": OK}, "city_case": each(CLERKS, OK), "draft": {}},
        post_only="outer",
    ),
    # 撤销认定: 宋庆涛's approved 2019 declaration, approved by the province bureau: its clerk only
    # (a city bureau's clerk cannot see it); a declaration not approved is refused.
    "review:case_revoke": Access(
        CLERKS,
        {"approved": {"province_clerk": 200}, "unit_case": {"province_clerk": 403}, "city_case": each(CLERKS, 403), "draft": {}},
        post=True,
    ),
    "review:case_zip": Access(
        REVIEWERS,
        {
            "unit_case": each(INSTITUTE_REVIEWERS, 200),
            "bureau_case": each(INSTITUTE_REVIEWERS, 200),
            "city_case": each(CHANGSHA_REVIEWERS, 200),
            "draft": {},
        },
    ),
    # --- API keys (接口密钥) ------------------------------------------------------------------------
    # Each clerk the keys of their bureau's training bases (长沙 has none); the key of 湖南大学继续教育学院
    # (a base of the provincial bureau): its clerk and the system administrator only.
    "api_keys:list": Access(KEY_ISSUERS, {None: each(KEY_ISSUERS, 200)}),
    "api_keys:new": Access(KEY_ISSUERS, {None: each(KEY_ISSUERS, 200)}, post=True),
    "api_keys:revoke": Access(KEY_ISSUERS, {"api_key": {"province_clerk": 200, "sysadmin": 200}}, post=True),
    # --- certificates -------------------------------------------------------------------------
    "certificates:print": Access(APPLICANTS, {None: each(APPLICANTS, 200)}),
    "certificates:issue": Access(APPLICANTS, {None: each(APPLICANTS, OK)}, post_only="outer"),
    # 学时档案: no object in the URL; each applicant sees only their own years (tests/certificates/test_record.py).
    "certificates:record": Access(APPLICANTS, {None: each(APPLICANTS, 200)}),
    # 宋庆涛's certificate: he and the reviewers whose area holds his unit; nobody else learns it exists.
    "certificates:download": Access(
        SIGNED_IN,
        {"certificate": {"applicant": 200, **each(INSTITUTE_REVIEWERS, 200)}, "unknown_number": {}},
    ),
    "verify:index": Access(PUBLIC, {None: each(PUBLIC, 200)}, post=True),
    "verify:certificate": Access(PUBLIC, {"certificate": each(PUBLIC, 200), "unknown_number": {}}, post=True),
}
# Answers no visitor a page: its GET is 405 for everyone and POST has its own tests (CSRF-exempt JSON).
GET_REFUSED = {"verify:bulk": 405}

# The training platforms' API (api/endpoints.py, /api/v1/): its caller is a platform's key
# (Authorization: Bearer), never a session, so the roles of this matrix do not apply: every visitor,
# signed in or not, gets the same answer, 401 without a key, nothing changed (test_url_matrix.py
# test_api_urls). What a key may do, and to whose records, is tests/api's business.
API = {
    "api:api-root": 404,  # ninja's base path, no page of its own
    "api:openapi-json": 200,
    "api:openapi-view": 200,
    "api:push": 401,
    "api:record_list": 401,
    "api:record_detail": 401,
    "api:record_withdraw": 401,
}

UNISSUED_NUMBER = numbers._format(2024, "0000000000A")


def url_kwargs(world, obj):
    """Every parameter an object can fill; a URL takes the ones its pattern names."""
    w = world
    return {
        None: {},
        "draft": {"pk": w.draft.pk, "year_pk": w.draft_year.pk, "item_pk": w.draft_item.pk, "evidence_pk": w.draft_evidence.pk},
        "unit_case": {
            "pk": w.unit_case.pk, "year_pk": w.unit_case_year.pk, "item_pk": w.unit_case_item.pk,
            "evidence_pk": w.unit_case_evidence.pk,
        },
        "cross": {"pk": w.draft.pk, "year_pk": w.unit_case_year.pk, "item_pk": w.unit_case_item.pk, "evidence_pk": w.unit_case_evidence.pk},
        "bureau_case": {"pk": w.bureau_case.pk},
        "approved": {"pk": w.approved.pk},
        "city_case": {"pk": w.city_case.pk, "evidence_pk": w.city_case_evidence.pk},
        "draft_filing": {"pk": w.draft_filing.pk},
        "filing": {"pk": w.filing.pk},
        "city_filing": {"pk": w.city_filing.pk},
        "pending": {"pk": w.pending.pk},
        "city_pending": {"pk": w.city_pending.pk},
        "colleague": {"person_pk": w.colleague.pk},
        "city_person": {"person_pk": w.city_person.pk},
        "certificate": {"number": w.certificate.number},
        "unknown_number": {"number": UNISSUED_NUMBER},
        "job": {"pk": w.job.pk},
        "message": {"pk": w.message.pk},
        "song_pending": {"pk": w.song_pending.pk},
        "held_filing": {"pk": w.held_filing.pk},
        "api_key": {"pk": w.api_key.pk},
    }[obj]



# --- what a page about an object shows of it ----------------------------------------------------


def identities(world):
    """The text by which a page shows the object it is about, so that a page with another object, or
    none, fails: a declaration's 业务编号, a filing's or a person's name, a certificate's number, a
    message's title, a key's prefix; 陈立新's job is titled with the 业务编号 and name it packs."""
    w = world
    return {
        "draft": w.draft.business_no, "unit_case": w.unit_case.business_no, "bureau_case": w.bureau_case.business_no,
        "approved": w.approved.business_no, "city_case": w.city_case.business_no,
        "draft_filing": w.draft_filing.name, "filing": w.filing.name, "city_filing": w.city_filing.name,
        "colleague": w.colleague.name, "city_person": w.city_person.name,
        "certificate": w.certificate.number,
        "job": w.job.title,
        "message": w.message.title,
        "api_key": w.api_key.prefix,
    }


def identity(world, obj):
    return identities(world)[obj]


# Answers that are the object's stored file: byte for byte that file (their names are the uploader's,
# the same for every declaration's 学历证书.pdf). Other files answered name the object: 打包下载's zip
# is called after the declaration's 业务编号.
STORED_FILES = {
    "hours:evidence_file": lambda w, obj: Evidence.objects.get(pk=url_kwargs(w, obj)["evidence_pk"]).file,
    "hours:filing_notice": lambda w, obj: TrainingFiling.objects.get(pk=url_kwargs(w, obj)["pk"]).notice,
    "hours:filing_schedule": lambda w, obj: TrainingFiling.objects.get(pk=url_kwargs(w, obj)["pk"]).schedule,
    "portal:job_download": lambda w, obj: Job.objects.get(pk=url_kwargs(w, obj)["pk"]).file,
    "certificates:download": lambda w, obj: Certificate.objects.get(number=url_kwargs(w, obj)["number"]).pdf,
}
# htmx fragments, which name their object otherwise: a job's progress by the link to its file, the
# hours preview by its year's element.
FRAGMENTS = {
    "portal:job_progress": lambda w, obj: reverse("portal:job_download", kwargs={"pk": url_kwargs(w, obj)["pk"]}),
    "hours:item_preview": lambda w, obj: f'id="item-preview-{url_kwargs(w, obj)["year_pk"]}"',
}


# --- the URL configuration ------------------------------------------------------------------------


def walk(patterns, namespaces=(), params=()):
    """(name, parameter names, is admin, route, view) of every endpoint, names with their namespaces."""
    for entry in patterns:
        own = tuple(normalize(entry.pattern.regex.pattern)[0][1])
        if isinstance(entry, URLResolver):
            yield from walk(entry.url_patterns, namespaces + ((entry.namespace,) if entry.namespace else ()), params + own)
        elif isinstance(entry, URLPattern):
            name = ":".join(namespaces + (entry.name,)) if entry.name else None
            yield name, params + own, "admin" in namespaces, str(entry.pattern), entry.callback


def method_check(view):
    """The methods a view lets through by require_http_methods (require_POST…) or its class's
    http_method_names (None: any), and whether that check runs before its login or role guard
    (user_passes_test's wrapper: login_required, role_required). Decorators keep the view they wrap
    in __wrapped__, so the chain is walked from the outermost."""
    if hasattr(view, "view_class"):
        # The methods it has a handler for (View answers the others 405); as_view() runs no guard first.
        handled = {m for m in view.view_class.http_method_names if hasattr(view.view_class, m)}
        return {method.upper() for method in handled}, True
    guarded = False
    while view is not None:
        code = getattr(view, "__code__", None)
        names = code.co_freevars if code else ()
        if "request_method_list" in names:
            return set(view.__closure__[names.index("request_method_list")].cell_contents), not guarded
        guarded = guarded or "test_func" in names
        view = getattr(view, "__wrapped__", None)
    return None, False


ENDPOINTS = list(walk(get_resolver().url_patterns))
PORTAL_NAMES = {name for name, _, admin, _, _ in ENDPOINTS if not admin}
ADMIN_NAMES = sorted({name for name, _, admin, _, _ in ENDPOINTS if admin and name})
PARAMS = {name: params for name, params, _, _, _ in ENDPOINTS if name}
# The views a GET cannot reach, by their decorators: "outer" where the method check comes before the
# guard (anonymous visitors get 405 too), "inner" after it (as Access.post_only).
POST_ONLY = {
    name: "outer" if first else "inner"
    for name, _, admin, _, view in ENDPOINTS
    if name and not admin and name not in API
    for methods, first in [method_check(view)]
    if methods and "GET" not in methods
}


def expected_answer(access, role, obj, method):
    """(status, is a refusal) the visitor should get."""
    if access.post_only and method == "get":
        if access.post_only == "outer" or role in access.guard:
            return 405, True
    if role not in access.guard:
        return (302, True) if role == "anonymous" else (403, True)
    if method == "post" and role in access.post_refused.get(obj, {}):
        return access.post_refused[obj][role], True
    status = access.expect[obj].get(role, 404)
    return status, status in (403, 404)


def snapshot():
    """A fingerprint of every row of the project's tables and of every stored file."""
    digest = hashlib.sha256()
    for model in apps.get_models():
        if model._meta.app_label in PROJECT_APPS:
            for row in model._default_manager.order_by("pk").values_list():
                digest.update(repr(row).encode())
    for path in sorted(Path(settings.MEDIA_ROOT).rglob("*")):
        digest.update(str(path).encode())
    return digest.hexdigest()
