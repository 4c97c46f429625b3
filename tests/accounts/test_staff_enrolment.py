"""批量导入人员 (accounts/enrolment.py through accounts/views.staff_enrol): a unit administrator
downloads the template, fills it and uploads it; each row creates the professional (temporary
password by SMS, to be changed at the next sign-in) or links an existing account, and confirms them
at the unit; any refused row (with its line) leaves the file wholly unimported."""
import io
import logging

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from accounts import enrolment, services
from accounts.models import AccountAction, AccountEvent, Membership, MembershipStatus, Role, User
from accounts.validators import validate_id_number
from core.models import Job, JobKind, JobState
from hours.models import UnitStaff
from tests.helpers import make_id_number, text_of
from tests.hours.fixtures_views import *  # noqa: F401,F403

pytestmark = pytest.mark.django_db

URL = reverse("accounts:staff_enrol")
TEMPLATE_URL = reverse("accounts:staff_enrol_template")
HEADER = list(enrolment.COLUMNS)
FULL_WIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")


def row(name, id_number, *, gender="", ethnicity="汉族", phone="13907310001", education="大学本科", title="工程师", email=""):
    return [name, id_number, gender, ethnicity, phone, education, title, email]


def workbook_file(rows, *, template=None, name="人员名单.xlsx"):
    """An .xlsx of the rows below the header: the downloaded template filled in, or a new workbook."""
    book = load_workbook(io.BytesIO(template)) if template else None
    if book is None:
        from openpyxl import Workbook

        book = Workbook()
        book.active.append(HEADER)
    sheet = book.active
    # Typed from row 2 on, over the template's example row (its formatted empty rows follow).
    for line, values in enumerate(rows, start=2):
        for column, value in enumerate(values, start=1):
            sheet.cell(row=line, column=column, value=value)
    out = io.BytesIO()
    book.save(out)
    return SimpleUploadedFile(name, out.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@pytest.fixture
def chen(p, client):
    client.force_login(p.chen)
    return client


def post(client, p, upload):
    return client.post(URL, {"organisation": p.dzyjs.pk, "file": upload})


def report_rows(response):
    return {r["line"]: (r["outcome"], r["message"]) for r in response.context["report"].rows}


def staff_of(org):
    return UnitStaff.objects.filter(organisation=org).values_list("staff", flat=True).first() or 0


def counts():
    return User.objects.count(), Membership.objects.count(), AccountEvent.objects.count()


def test_the_template_downloads_with_the_columns_an_example_and_lists(chen):
    response = chen.get(TEMPLATE_URL)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    sheet = book["人员名单"]
    assert [c.value for c in sheet[1]] == HEADER
    example = [c.value for c in sheet[2]]
    validate_id_number(example[1])  # check-digit valid, yet nobody's
    assert example[1] == enrolment.EXAMPLE_ID_NUMBER and not User.objects.filter(id_number=example[1]).exists()
    lists = {str(v.sqref)[0]: v.formula1 for v in sheet.data_validations.dataValidation}
    assert set(lists) == {"C", "D", "F"}  # 性别, 民族, 最高学历 from lists
    assert book["选项"].sheet_state == "hidden"


def test_the_filled_template_creates_links_and_confirms(chen, p, caplog, settings):
    settings.SMS_BACKEND = "core.sms.ConsoleBackend"
    template = b"".join(chen.get(TEMPLATE_URL).streaming_content)
    new_id, mailed_id = make_id_number(), make_id_number(female=True)
    staff_before = staff_of(p.dzyjs)
    wang_membership = Membership.objects.get(person=p.wang, status=MembershipStatus.ACTIVE)
    wang_membership.status = MembershipStatus.ENDED  # 王建国 left his unit: no unit now
    wang_membership.save()
    User.objects.filter(pk=p.wang.pk).update(organisation=None)
    he_lei = Membership.objects.get(person__name="何磊", status=MembershipStatus.PENDING)
    upload = workbook_file([
        row("周新", new_id.translate(FULL_WIDTH), gender="男"),  # full-width digits, as typed
        row("王建国", p.wang.id_number),
        row("何磊", he_lei.person.id_number),  # asked to join: confirmed
        row("宋庆涛", p.song.id_number),  # already here
        row("钱芳", mailed_id.lower(), phone="", email="qianfang@example.cn"),
    ], template=template)
    with caplog.at_level(logging.INFO, logger="core.sms"):
        response = post(chen, p, upload)
    assert response.status_code == 200
    assert report_rows(response) == {
        2: ("created", ""), 3: ("linked", ""), 4: ("linked", ""), 5: ("already", ""), 6: ("created", ""),
    }
    text = text_of(response)
    assert "导入完成，共 5 行：新建 2 人，关联 2 人，已是本单位人员 1 人。" in text
    assert "初始密码已发送：短信 139****0001" in text and "初始密码已发送：电子邮件 q***@example.cn" in text
    person = User.objects.get(id_number=new_id)
    assert (person.username, person.name, person.gender, person.title, person.organisation) == (new_id, "周新", "男", "工程师", p.dzyjs)
    assert person.must_change_password and person.role_grants.filter(role=Role.APPLICANT).exists()
    assert Membership.objects.get(person=person).decided_by == p.chen
    # The password went by SMS (the console logs it) and e-mail, and is stored nowhere in clear.
    sent = [r.getMessage() for r in caplog.records if "139****0001" in r.getMessage()]
    password = sent[0].split("初始密码")[1][:10]
    assert person.check_password(password)
    assert password not in text and not AccountEvent.objects.filter(details__icontains=password).exists()
    assert len(mail.outbox) == 1 and "初始密码" in mail.outbox[0].body
    assert User.objects.get(id_number=mailed_id).check_password(mail.outbox[0].body.split("初始密码")[1][:10])
    # Everyone is staff of the institute now, and its staff count moved with them (hours summary).
    for number in (new_id, p.wang.id_number, he_lei.person.id_number, mailed_id):
        assert User.objects.get(id_number=number).organisation == p.dzyjs
    assert staff_of(p.dzyjs) == staff_before + 4
    events = AccountEvent.objects.filter(action=AccountAction.STAFF_ENROL)
    assert sorted((e.subject.name, e.details["row"], e.details["outcome"]) for e in events) == [
        ("何磊", 4, "linked"), ("周新", 2, "created"), ("王建国", 3, "linked"), ("钱芳", 6, "created")]
    assert all(e.actor == p.chen and e.organisation == p.dzyjs and e.ip_address == "127.0.0.1" for e in events)


def test_refusals_come_with_line_numbers_and_nothing_is_created(chen, p):
    good = make_id_number()
    bad_digit = good[:-1] + ("0" if good[-1] != "0" else "1")
    dup = make_id_number()
    official = services.staff_account_create(
        username="csyy_admin2", name="曾强", password="Demo@2024x", role=Role.UNIT_ADMIN, organisation=p.csyy,
        id_number=make_id_number(),
    )
    before, staff_before = counts(), staff_of(p.dzyjs)
    response = post(chen, p, workbook_file([
        row("甲", bad_digit),
        row("张三", p.song.id_number),  # 宋庆涛's number, another name
        row("张伟", p.zhang.id_number),
        row("乙", dup),
        row("丙", make_id_number(), phone="12345"),
        row("乙", dup),
        row("丁", make_id_number(), phone=""),
        row("戊", make_id_number(), gender="女"),
        row("己", make_id_number()),  # good, but the file is refused as a whole
        row(official.name, official.id_number),  # an administrator's account is never a unit's to enrol
    ]))
    rows = report_rows(response)
    assert rows[3] == ("refused", "姓名与该证件号码在平台登记的姓名不一致")
    assert rows[2] == ("refused", "证件号码校验位不正确，请核对后重新输入")
    assert rows[4] == ("refused", "已在其他单位确认，请本人申请调入")
    assert rows[5] == ("refused", "与第7行的证件号码重复") and rows[7] == ("refused", "与第5行的证件号码重复")
    assert rows[6] == ("refused", "手机号码应为11位手机号码")
    assert rows[8] == ("refused", "须填写手机号码以便发送初始密码")
    assert rows[9] == ("refused", "性别与证件号码不符（证件号码为男性）")
    assert rows[10] == ("created", "")
    assert rows[11] == ("refused", "该人员持有管理员或经办人角色，不能批量导入，请本人申请加入本单位")
    text = text_of(response)
    assert "有 9 行不符合要求" in text and "本次未导入任何人员" in text and "可新建" in text
    assert counts() == before and staff_of(p.dzyjs) == staff_before


def test_a_bad_check_digit_is_refused_on_its_line(chen, p):
    good = make_id_number()
    wrong = good[:-1] + ("0" if good[-1] != "0" else "1")
    before = counts()
    rows = report_rows(post(chen, p, workbook_file([row("甲", make_id_number()), row("乙", wrong)])))
    assert rows == {2: ("created", ""), 3: ("refused", "证件号码校验位不正确，请核对后重新输入")}
    assert counts() == before


def test_the_example_row_left_in_is_refused(chen, p):
    template = b"".join(chen.get(TEMPLATE_URL).streaming_content)
    book = load_workbook(io.BytesIO(template))
    out = io.BytesIO()
    book.save(out)
    rows = report_rows(post(chen, p, SimpleUploadedFile("名单.xlsx", out.getvalue())))
    assert rows == {2: ("refused", "这是模板中的示例行，请删除后再导入")}


@pytest.mark.parametrize("upload, message", [
    (SimpleUploadedFile("名单.csv", "姓名,证件号码\r\n".encode()), "只能导入.xlsx文件。"),
    (SimpleUploadedFile("名单.xlsx", b"PK\x03\x04 cut short"), "文件已损坏或不完整"),
    (SimpleUploadedFile("名单.xlsx", b""), "空文件"),
])
def test_a_file_that_cannot_be_read_is_refused_beside_the_field(chen, p, upload, message):
    before = counts()
    response = post(chen, p, upload)
    assert response.status_code == 400 and message in text_of(response)
    assert counts() == before


def test_only_the_units_own_administrator_may_enrol(client, p):
    for user in (p.song, p.zrzy_admin, p.hn_clerk):
        client.force_login(user)
        assert client.get(URL).status_code in (302, 403)
        assert client.get(TEMPLATE_URL).status_code in (302, 403)
    client.force_login(p.csyy_admin)  # another unit's administrator cannot pick the institute
    before = counts()
    response = post(client, p, workbook_file([row("甲", make_id_number())]))
    assert response.status_code == 400 and "organisation" in response.context["form"].errors
    assert counts() == before


def test_a_large_file_runs_as_a_job_with_progress(chen, p, monkeypatch, caplog):
    caplog.set_level(logging.INFO, logger="core.sms")
    monkeypatch.setattr(enrolment, "IN_REQUEST_MAX_ROWS", 3)
    numbers = [make_id_number() for _ in range(5)]
    staff_before = staff_of(p.dzyjs)
    response = chen.post(URL, {"organisation": p.dzyjs.pk, "file": workbook_file([row(f"某{n}", x) for n, x in enumerate(numbers)])},
                         follow=True)
    job = Job.objects.get()
    assert response.redirect_chain == [(reverse("portal:job", args=[job.pk]), 302)]
    assert (job.kind, job.state, job.total, job.done) == (JobKind.STAFF_ENROL, JobState.SUCCEEDED, 5, 5)
    assert "导入完成，共 5 行：新建 5 人" in text_of(response)
    assert staff_of(p.dzyjs) == staff_before + 5
    sent = [r.getMessage().split("初始密码")[1][:10] for r in caplog.records if "初始密码" in r.getMessage()]
    assert len(sent) == 5 and not job.upload
    assert not any(password in f"{job.result}{job.params}" for password in sent)
    assert AccountEvent.objects.filter(action=AccountAction.STAFF_ENROL, ip_address="127.0.0.1").count() == 5
    assert all(User.objects.get(id_number=n).must_change_password for n in numbers)
