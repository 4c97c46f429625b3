"""The security suite's world: the demo province plus one object of every kind each URL takes
(declarations in several states and jurisdictions, their years, items and files, training
filings, pending memberships, an issued certificate), made once per module through the services
inside the province's module transaction, so hundreds of requests share one set-up."""
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.test import override_settings
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import services as account_services
from accounts.models import Membership, MembershipStatus, Organisation
from api import services as key_services
from certificates import services as certificate_services
from hours import filings, services
from hours.models import EvidenceCategory, ItemSource, TrainingRecord
from review import services as review_services
from hours import transitions
from workflow.models import State
from workflow.runner import notify
from tests.hours.fixtures_views import at_state, draft, pdf, people, png, submitted, year_with_training
from tests.hours.test_filings import filing_data
from tests.hours.fixtures_views import complete

HNDX = "湖南大学继续教育学院（省级专业技术人员继续教育基地）"
# The visitors of the matrix: a demo account each (None: not signed in).
ROLES = {
    "anonymous": None,
    "applicant": "430121198805041015",  # 宋庆涛, 湖南省地质研究所
    "unit_admin": "430121197503121031",  # 陈立新, applicant and 湖南省地质研究所's administrator
    "superior_admin": "dzy_admin",  # 湖南省地质院: unit administrator and superior of the institute
    "dept_admin": "zrzy_admin",  # 湖南省自然资源厅
    "province_clerk": "hn_clerk",  # 湖南省人力资源和社会保障厅 (the whole province)
    "city_clerk": "cs_clerk",  # 长沙市人力资源和社会保障局 (长沙 only)
    "training_base": "hndx_base_admin",  # 湖南大学继续教育学院
    "sysadmin": "sysadmin",
}


def _evidence(declaration, user, name="学历证书.pdf"):
    return services.evidence_add(declaration=declaration, user=user, category=EvidenceCategory.EDUCATION, upload=pdf(name))


def build_world(demo, signing_dir):
    p = people(demo)
    li = demo.user("430121199002171064")  # 李雪梅, 湖南省地质研究所
    w = SimpleNamespace(p=p)

    # 宋庆涛's own draft (2022–2023), with a year, an item and a file; 2023 has no year record (as
    # when a year of the span was deleted), so the workspace offers 新增年度明细 too.
    w.draft = draft(p.song, start_year=2022, end_year=2023)
    w.draft_year, w.draft_item = year_with_training(w.draft, p.song)
    w.draft_evidence = _evidence(w.draft, p.song)
    w.draft_item_evidence = services.evidence_add(
        declaration=w.draft, user=p.song, category=EvidenceCategory.ITEM, item=w.draft_item,
        material="completion_certificate", upload=png("结业证书.png"),
    )

    # Another applicant of the same unit, waiting at the unit (赵金强, submitted with a file).
    zhao_draft = draft(p.zhao, start_year=2023, end_year=2023)
    w.unit_case_year, w.unit_case_item = year_with_training(zhao_draft, p.zhao)
    w.unit_case_evidence = _evidence(zhao_draft, p.zhao)
    w.unit_case = transitions.declaration_submit(declaration=complete(zhao_draft), user=p.zhao, pledge=True)

    # 李雪梅's declaration at the provincial bureau; 吴涛's in 长沙 (another city, another department).
    w.bureau_case = at_state(p, State.BUREAU_REVIEW, applicant=li)
    wu_draft = draft(p.wu, start_year=2023, end_year=2023)
    year_with_training(wu_draft, p.wu)
    w.city_case_evidence = _evidence(wu_draft, p.wu)
    w.city_case = transitions.declaration_submit(declaration=complete(wu_draft), user=p.wu, pledge=True)

    # 宋庆涛's approved 2019 hours and the certificate issued for them.
    w.approved = at_state(p, State.APPROVED, start_year=2019, end_year=2019)
    with override_settings(CERT_SIGNING_DIR=str(signing_dir)):
        w.certificate, _ = certificate_services.certificate_issue(
            user=p.song, start_year=2019, end_year=2019, base_url="http://testserver"
        )

    # Training filings: the institute's draft and submitted ones, and one of a 长沙 hospital.
    w.draft_filing = filings.filing_create(
        user=p.chen, organisation=p.dzyjs, data=filing_data(name="草稿备案"), notice=pdf("通知.pdf"), schedule=pdf("课程表.pdf")
    )
    w.filing = transitions.filing_submit(
        filing=filings.filing_create(
            user=p.chen, organisation=p.dzyjs, data=filing_data(), notice=pdf("通知.pdf"), schedule=pdf("课程表.pdf")
        ),
        user=p.chen,
    )
    w.city_filing = transitions.filing_submit(
        filing=filings.filing_create(
            user=p.csyy_admin, organisation=p.csyy, data=filing_data(name="医院专业培训"), notice=pdf("通知.pdf"),
            schedule=pdf("课程表.pdf"),
        ),
        user=p.csyy_admin,
    )

    # The demo's pending memberships: 何磊 at the institute, 罗娟 at the 长沙 hospital.
    w.pending = Membership.objects.get(person=demo.user("430121198810111372"), status=MembershipStatus.PENDING)
    w.city_pending = Membership.objects.get(person=demo.user("43012119960404138X"), status=MembershipStatus.PENDING)
    w.colleague = p.zhao
    w.city_person = p.wu
    # 陈立新's background job: packing 赵金强's materials (runs at once without a worker).
    w.job = review_services.case_zip_enqueue(user=p.chen, declaration=w.unit_case)
    # A message to 宋庆涛 about his draft (我的消息).
    w.message = notify(p.song, "申报待提交", "您有一份学时核认申报尚未提交。", subject=w.draft)

    # An authenticator being bound by someone outside the matrix, so the admin's device pages have a row.
    account_services.totp_device_start(user=demo.user("jyt_admin"))
    w.users = {role: (demo.user(login) if login else None) for role, login in ROLES.items()}

    # So that every kind of form is on some page for the generated-input crawl
    # (tests/security/test_generated_input.py): 宋庆涛's 2021 declaration waits at his unit (撤销),
    # a platform record of 2022 waits to be ticked into his draft (确认选择), a filing of the
    # institute is recorded and held (参训人员名单), 何磊 waits for his unit (撤回申请), and 长沙's
    # clerk has a bound authenticator (动态口令).
    w.song_pending = submitted(p.song, start_year=2021, end_year=2021)
    TrainingRecord.objects.create(
        source=ItemSource.PLATFORM, id_number=p.song.id_number, name=p.song.name, year=2022, title="2022年度公需科目网络培训",
        subject="public", hours=Decimal("8"),
    )
    w.held_filing = transitions.filing_approve(
        filing=transitions.filing_submit(
            filing=filings.filing_create(
                user=p.chen, organisation=p.dzyjs, data=filing_data(name="已备案的专业培训"), notice=pdf("通知.pdf"), schedule=pdf("课程表.pdf")
            ),
            user=p.chen,
        ),
        user=demo.user("zrzy_admin"),
    )
    TOTPDevice.objects.create(user=w.users["city_clerk"], name="身份验证器", confirmed=True)
    # 湖南大学继续教育学院's key, made by the provincial bureau's clerk (接口密钥's 停用 takes it).
    w.api_key, _ = key_services.key_create(
        user=w.users["province_clerk"], organisation=Organisation.objects.get(name=HNDX), name="学习平台",
        subjects=["public", "professional"], bureau=Organisation.objects.get(name="湖南省人力资源和社会保障厅"),
        source=ItemSource.TRAINING_BASE,
    )
    w.extra_users = {"pending_member": demo.user("430121198810111372")}
    return w


@pytest.fixture(scope="module")
def world_module(demo_province, django_db_blocker, signing_dir, tmp_path_factory):
    media = tmp_path_factory.mktemp("security-media")
    with override_settings(MEDIA_ROOT=str(media)), django_db_blocker.unblock():
        yield build_world(demo_province, signing_dir)


@pytest.fixture
def world(world_module, demo):
    """The world for one test (its changes are rolled back after it, as with `demo`)."""
    return world_module
