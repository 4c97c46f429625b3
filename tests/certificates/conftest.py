"""Certificates on the demo province: approved declarations made through the services (submit, then
审核通过 at each level). The demo signing keys of the run's own and the cache emptied around each
test come from tests/conftest.py."""
import re
import subprocess
import tempfile
from types import SimpleNamespace

import pytest

from certificates import services as certificate_services
from hours import services
from hours.models import RuleSet
from hours.transitions import declaration_approve, declaration_submit
from tests.helpers import text_of
from tests.hours.fixtures_views import complete

PROFILE = {
    "gender": "男", "ethnicity": "汉族", "phone": "18899098765", "education": "硕士研究生", "title_sought": "副高级",
    "category": "工程技术", "specialty": "地质勘查",
}
# 4 days of public training (32 h) and 7½ days of professional training (60 h): a compliant year.
FULL_YEAR = (("public", 4, 0), ("professional", 7, 1))
BASE_URL = "http://testserver"


@pytest.fixture
def p(demo):
    """The people and organisations of the demo province these tests talk about."""
    return SimpleNamespace(
        song=demo.account("applicant"),  # 湖南省地质研究所
        chen=demo.account("applicant_unit_admin"),  # 湖南省地质研究所's administrator
        zhao=demo.user("430121198511291051"),  # 赵金强, same unit
        wang=demo.user("43012119720808109X"),  # 王建国, 湖南省地质测绘院 (a sibling unit)
        sun=demo.user(next(x["id_number"] for x in demo.data["people"] if x["name"] == "孙浩")),  # 长沙智造科技有限公司
        dzcl_admin=demo.account("unit_admin"),  # 湖南省地质测绘院
        dzy_admin=demo.account("unit_and_dept_admin"),  # 湖南省地质院, above 湖南省地质研究所
        zrzy_admin=demo.account("dept_admin"),  # 湖南省自然资源厅, above both
        cszz_admin=demo.user("cszz_admin"),
        hn_clerk=demo.account("bureau_clerk"),
        cs_clerk=demo.account("city_bureau_clerk"),
        sysadmin=demo.account("sysadmin"),
        dzyjs=demo.org("湖南省地质研究所"),
        hn=demo.org("湖南省人力资源和社会保障厅"),
        cs=demo.org("长沙市人力资源和社会保障局"),
    )


def _reviewers(p, applicant):
    if applicant.organisation.bureau_id == p.cs.pk:
        return [(p.cszz_admin, p.cs), (p.cs_clerk, None)]
    return [(p.chen, p.hn), (p.hn_clerk, None)]


@pytest.fixture
def approve(p):
    """approve(applicant, {year: items}, start, end, rule_set=None) → an approved declaration.
    Items are (subject, days, half_days) trainings under the Hunan rules, or (activity, facts)
    pairs for another rule set (a Henan absence among them prorates its year)."""

    def make(applicant, years, start_year=2019, end_year=2023, *, rule_set=None):
        rule_set = RuleSet.objects.get(code=rule_set) if isinstance(rule_set, str) else rule_set
        declaration = services.declaration_create(
            user=applicant, applicant=applicant, data={**PROFILE, "name": applicant.name},
            start_year=start_year, end_year=end_year, rule_set=rule_set,
        )
        for year, items in years.items():
            record = services.year_record_add(declaration=declaration, user=applicant, year=year)
            for item in items:
                if isinstance(item[1], dict):
                    activity, facts = item
                else:
                    subject, days, halves = item
                    activity, facts = "training", {"subject": subject, "days": days, "half_days": halves}
                services.item_add(year_record=record, user=applicant, activity=activity, facts=facts)
        declaration = declaration_submit(declaration=complete(declaration), user=applicant, pledge=True)
        for reviewer, next_org in _reviewers(p, applicant):
            declaration = declaration_approve(declaration=declaration, user=reviewer, next_org=next_org)
        return declaration

    return make


@pytest.fixture
def issue():
    def make(user, start_year=2019, end_year=2023):
        return certificate_services.certificate_issue(user=user, start_year=start_year, end_year=end_year, base_url=BASE_URL)

    return make


@pytest.fixture
def song_certificate(p, approve, issue):
    """宋庆涛: 2019–2021 approved in one declaration, 2022 in another (short of professional hours),
    2023 with nothing approved; his 2019–2023 certificate."""
    approve(p.song, {2019: FULL_YEAR, 2020: FULL_YEAR, 2021: FULL_YEAR}, 2019, 2021)
    approve(p.song, {2022: (("public", 4, 0), ("professional", 5, 0))}, 2022, 2022)
    certificate, created = issue(p.song)
    assert created
    return certificate


def pdf_text(data):
    """The text of a PDF as pdftotext gives it (what a copy from a PDF reader gives)."""
    with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
        handle.write(data)
        handle.flush()
        return subprocess.run(["pdftotext", "-layout", handle.name, "-"], capture_output=True, text=True, check=True).stdout


def stored_bytes(certificate):
    with certificate.pdf.open("rb") as handle:
        return handle.read()


def admin_events(client, certificate):
    """The 认定单记录 rows of the certificate's admin page as the signed-in administrator reads them:
    操作, 操作人, IP地址, 补充信息 (the time left out)."""
    text = text_of(client.get(f"/admin/certificates/certificate/{certificate.pk}/change/"))
    table = text.split("认定单记录 时间 操作 操作人 IP地址 补充信息 ", 1)[1].rsplit(" 关闭", 1)[0]
    rows = re.split(r"CertificateEvent object \(\d+\) \d{4}年\d{1,2}月\d{1,2}日 \d\d:\d\d ", table)
    return [row.strip() for row in rows if row.strip()]
