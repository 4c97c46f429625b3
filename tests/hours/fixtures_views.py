"""Fixtures and builders for the view tests of hours/ and review/: the demo province's people,
real files made at test time (a PNG drawn with Pillow, a one-page PDF), and declarations brought
to each state through the services (hours/services.py, hours/transitions.py) — never by writing the
state field.

Import what a test module needs: `from tests.hours.fixtures_views import *` (the fixtures are
found by name once imported into the module)."""
import io
import itertools
import re
from contextlib import contextmanager
from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from PIL import Image

from hours import services
from hours.models import Declaration, EvidenceCategory
from hours import transitions
from workflow.models import OPEN_STATES, State
from hours.models import ReviewStep
from tests.helpers import assert_database_query_count
from tests.hours.files import make_samples

__all__ = [
    "people", "PROFILE", "TRAINING", "FREE_SPANS", "free_span", "media", "p", "png_bytes", "pdf_bytes", "png", "pdf", "draft", "year_with_training",
    "add_item", "attach_item_files", "attach_general_files", "complete", "complete_draft", "submitted", "at_state", "rejected",
    "approved", "fresh", "steps", "row_of", "frozen_now", "form_data_for_new", "assert_same_queries", "messages_of",
    "refused_item",
]

# Step 6 data every declaration in these tests uses (the name is the applicant's own).
PROFILE = {
    "gender": "男",
    "ethnicity": "汉族",
    "phone": "18899098765",
    "education": "硕士研究生",
    "title_sought": "副高级",
    "category": "工程技术",
    "specialty": "地质勘查",
}
TRAINING = {"subject": "public", "days": 2, "half_days": 0}  # 2 whole days × 8 = 16 public hours


@pytest.fixture
def media(settings, tmp_path):
    """Uploaded files go to the test's own folder."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def p(demo):
    """The demo province's people and organisations, by the names the tests use."""
    return people(demo)


def people(demo):
    return SimpleNamespace(
        song=demo.account("applicant"),  # 宋庆涛, 湖南省地质研究所
        chen=demo.account("applicant_unit_admin"),  # 陈立新, applicant and the institute's administrator
        zhao=demo.user("430121198511291051"),  # 赵金强, 湖南省地质研究所
        li=demo.user("430121199002171064"),  # 李雪梅, 湖南省地质研究所
        wang=demo.user("43012119720808109X"),  # 王建国, 湖南省地质测绘院
        wu=demo.user("43012119860726121X"),  # 吴涛, 长沙市第一医院 (长沙 city bureau)
        zhang=demo.user("430121198304051135"),  # 张伟, 湖南师范大学
        dzcl_admin=demo.account("unit_admin"),
        hnsd_admin=demo.user("hnsd_admin"),
        csyy_admin=demo.user("csyy_admin"),
        dzy_admin=demo.account("unit_and_dept_admin"),
        zrzy_admin=demo.account("dept_admin"),
        hn_clerk=demo.account("bureau_clerk"),
        cs_clerk=demo.account("city_bureau_clerk"),
        dzyjs=demo.org("湖南省地质研究所"),
        dzy=demo.org("湖南省地质院"),
        zrzy=demo.org("湖南省自然资源厅"),
        hn=demo.org("湖南省人力资源和社会保障厅"),
        cs=demo.org("长沙市人力资源和社会保障局"),
        csyy=demo.org("长沙市第一医院"),
        cswjw=demo.org("长沙市卫生健康委员会"),
    )


# --- real files --------------------------------------------------------------------------------

_seed = itertools.count(1)


def png_bytes(seed=None):
    """A real PNG drawn with Pillow; each seed gives different pixels, so a different hash."""
    seed = next(_seed) if seed is None else seed
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (seed % 256, (seed // 256) % 256, 90)).save(out, "PNG")
    return out.getvalue()


def pdf_bytes(seed=None):
    """A minimal one-page PDF; each call's differs, so no two uploads share a content hash."""
    seed = next(_seed) if seed is None else seed
    return make_samples.pdf(b"Certificate %d" % seed)


def png(name="结业证书.png", data=None):
    return SimpleUploadedFile(name, data if data is not None else png_bytes(), content_type="image/png")


def pdf(name="培训通知.pdf", data=None):
    return SimpleUploadedFile(name, data if data is not None else pdf_bytes(), content_type="application/pdf")


# --- declarations, through the services ---------------------------------------------------------


# Spans a test declaration takes when the test names none: 2023, then — one declaration is open
# per applicant and span — 2022, 2021 … alone, then two-year spans, and so on.
FREE_SPANS = [(end - length, end) for length in range(0, 24) for end in range(2023, 1999 + length, -1)]


def free_span(applicant):
    taken = set(Declaration.objects.filter(applicant=applicant, state__in=OPEN_STATES).values_list("start_year", "end_year"))
    return next(span for span in FREE_SPANS if span not in taken)


def draft(user, applicant=None, *, start_year=None, end_year=None, **profile):
    """A draft of `applicant` (`user` unless told) made by `user`; for 2023, or for the first span
    the applicant has no open declaration for (see FREE_SPANS) when the test names none."""
    applicant = applicant or user
    if start_year is None and end_year is None:
        start_year, end_year = free_span(applicant)
    data = {**PROFILE, "name": applicant.name, **profile}
    return services.declaration_create(user=user, applicant=applicant, data=data, start_year=start_year, end_year=end_year)


def add_item(declaration, user, record, activity="training", facts=None):
    return services.item_add(year_record=record, user=user, activity=activity, facts=facts or TRAINING)


def year_with_training(declaration, user, year=None, facts=None):
    record = services.year_record_add(declaration=declaration, user=user, year=year or declaration.start_year)
    item = add_item(declaration, user, record, facts=facts)
    return record, item


def attach_item_files(declaration, user, item, *materials):
    """One real file per material of the item (training: 培训通知 + 结业证书 satisfy the rule set)."""
    materials = materials or ("training_notice", "completion_certificate")
    return [
        services.evidence_add(
            declaration=declaration, user=user, category=EvidenceCategory.ITEM, item=item, material=m,
            upload=png(f"{m}.png"),
        )
        for m in materials
    ]


def attach_general_files(declaration, user, year=None):
    """学历信息 and 学时上传, the two declaration-level materials marked * in the upload dialog."""
    return [
        services.evidence_add(declaration=declaration, user=user, category=EvidenceCategory.EDUCATION, upload=pdf("学历证书.pdf")),
        services.evidence_add(declaration=declaration, user=user, category=EvidenceCategory.HOURS, upload=png("学时证明.png"), year=year),
    ]


def complete(declaration, user=None):
    """The declaration with what submitting requires (hours.selectors.submission_problems), which the
    transition checks itself: every material an item still lacks, and the two declaration-level
    materials. Attaches nothing to a declaration that has them already."""
    from hours import rules
    from hours.models import Evidence, Item
    from hours.policies import policy_for

    user = user or declaration.declared_by or declaration.applicant
    policy = policy_for(declaration.rule_set)
    for item in Item.objects.filter(year_record__declaration=declaration, source="applicant"):
        if item.activity not in policy.activities:
            continue
        have = set(item.evidence.exclude(material="").values_list("material", flat=True))
        # One material at a time, in the rule set's order, until nothing is missing.
        for code, _ in rules.material_choices(policy, item.activity, item.facts):
            if not rules.missing_materials(policy, item.activity, have, item.facts):
                break
            if code not in have:
                attach_item_files(declaration, user, item, code)
                have.add(code)
    held = set(Evidence.objects.filter(declaration=declaration, item__isnull=True).values_list("category", flat=True))
    if EvidenceCategory.EDUCATION not in held:
        services.evidence_add(declaration=declaration, user=user, category=EvidenceCategory.EDUCATION, upload=pdf("学历证书.pdf"))
    if EvidenceCategory.HOURS not in held:
        services.evidence_add(declaration=declaration, user=user, category=EvidenceCategory.HOURS, upload=png("学时证明.png"))
    return declaration


def complete_draft(user, applicant=None, **kwargs):
    """A draft with nothing missing: one year, one training item with its two materials, and the
    two declaration-level materials."""
    d = draft(user, applicant, **kwargs)
    _, item = year_with_training(d, user)
    attach_item_files(d, user, item)
    attach_general_files(d, user)
    return d


def submitted(applicant, **kwargs):
    """A declaration of `applicant` waiting at their unit (submitted through the workflow; the
    completeness check is the submit view's business, so this skips the files)."""
    d = draft(applicant, **kwargs)
    year_with_training(d, applicant)
    return transitions.declaration_submit(declaration=complete(d), user=applicant, pledge=True)


def at_state(p, state, applicant=None, **kwargs):
    """A declaration of an applicant of 湖南省地质研究所 (宋庆涛 unless told) brought to `state`:
    unit → 湖南省地质院 (superior) → 湖南省人力资源和社会保障厅 (bureau)."""
    d = submitted(applicant or p.song, **kwargs)
    if state == State.UNIT_REVIEW:
        return d
    d = transitions.declaration_approve(declaration=d, user=p.chen, next_org=p.dzy, opinion="同意")
    if state == State.SUPERIOR_REVIEW:
        return d
    d = transitions.declaration_approve(declaration=d, user=p.dzy_admin, next_org=p.hn, opinion="同意")
    if state == State.BUREAU_REVIEW:
        return d
    if state == State.APPROVED:
        return transitions.declaration_approve(declaration=d, user=p.hn_clerk, opinion="同意")
    if state == State.REJECTED:
        return transitions.declaration_reject(declaration=d, user=p.hn_clerk, reason="佐证材料不清晰")
    raise ValueError(state)


def rejected(p, **kwargs):
    return at_state(p, State.REJECTED, **kwargs)


def approved(p, **kwargs):
    return at_state(p, State.APPROVED, **kwargs)


def fresh(declaration):
    return Declaration.objects.get(pk=declaration.pk)


def steps(declaration, **filters):
    return ReviewStep.objects.filter(declaration_id=declaration.pk, **filters).count()


@contextmanager
def frozen_now(moment):
    """timezone.now() returns `moment` inside the block (for submission and waiting times)."""
    if moment.tzinfo is None:
        moment = timezone.make_aware(moment)
    real = timezone.now
    timezone.now = lambda: moment
    try:
        yield moment
    finally:
        timezone.now = real


# --- reading pages ------------------------------------------------------------------------------


def row_of(response, text):
    """The HTML of the table row containing `text` (None if no row does)."""
    html = response.content.decode()
    for row in re.findall(r"<tr>(.*?)</tr>", html, flags=re.S):
        if text in row:
            return row
    return None


def form_data_for_new(**overrides):
    """What step 6's form posts for a valid declaration of 2023."""
    data = {
        "name": "宋庆涛", "gender": "男", "ethnicity": "土家族", "title_sought": "副高级", "phone": "18899098765",
        "education": "硕士研究生", "category": "工程技术", "specialty": "地质勘查", "start_year": "2023", "end_year": "2023",
        "remark": "",
    }
    data.update(overrides)
    return data


def assert_same_queries(client, user, url, grow):
    """The page at `url` runs as many queries after `grow()` as before (the helper from
    tests/helpers.py prints every statement when it does not). Returns the page after growth.
    Each count is of a second look, as at work: what the pages keep in the cache (the filing
    windows) is read on the first."""
    client.force_login(user)
    client.get(url)
    with CaptureQueriesContext(connection) as before:
        assert client.get(url).status_code == 200
    expected = len(before.captured_queries)  # now: the next request empties the log
    grow()
    client.force_login(user)
    client.get(url)
    with assert_database_query_count(expected):
        response = client.get(url)
    assert response.status_code == 200
    return response


def messages_of(response):
    """The flash messages shown on a page (after follow=True, on the page redirected to)."""
    context = response.context
    if not context or "messages" not in context:
        return []
    return [str(m) for m in context["messages"]]


def refused_item(response, record):
    """Whether an item form sent with follow=True was refused: redirected back to the year's item
    form (kept for that page, so a reload does not send it again) instead of to the new item."""
    return bool(response.redirect_chain) and response.redirect_chain[-1][0].endswith(f"#item-form-{record.pk}")
