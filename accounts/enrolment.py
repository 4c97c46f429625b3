"""批量导入人员: a unit administrator enrols the unit's staff from an Excel list.

Every row is checked first — the cells, duplicates within the file, and the person's account and
unit as they are now. If any row is refused nothing is written: the report lists each refused row
with its line (the Excel row number) and the clerk fixes the file. Otherwise all rows are applied
in one transaction through accounts.services (staff_create / staff_link, which confirm through the
same path as 单位人员确认, so the hours summary hears of each move), and each new account's
temporary password goes to the person by SMS (or e-mail) once the transaction has committed: it is
kept nowhere, not even in the report."""
from dataclasses import dataclass, field
from itertools import islice

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.worksheet.datavalidation import DataValidation

from core import imports as reading
from core import jobs, sms
from core.masking import mask_email, mask_id_number, mask_phone
from core.models import Job, JobKind

from . import services
from .models import ETHNIC_GROUPS, Education, Membership, MembershipStatus, OrganisationKind, Role, RoleGrant, User
from .roles import organisations_for
from .validators import gender_from_id_number, normalize_id_number, normalize_phone, validate_id_number

COLUMNS = {
    "姓名": "name", "证件号码": "id_number", "性别": "gender", "民族": "ethnicity", "手机号码": "phone",
    "最高学历": "education", "职称": "title", "电子邮箱": "email",
}
REQUIRED = ("name", "id_number")
# Check-digit-valid, and nobody's (东城区, born 1 January 1990, sequence 001): the template's example
# row, refused if it is left in the file.
EXAMPLE_ID_NUMBER = "110101199001010015"
EXAMPLE = {"name": "示例人员", "id_number": EXAMPLE_ID_NUMBER, "gender": "男", "ethnicity": "汉族", "phone": "13800000000",
           "education": "大学本科", "title": "工程师", "email": ""}
MAX_LENGTHS = {"name": 50, "title": 30, "email": 254}
# More rows than this are enrolled by a background job (core/jobs.py), as long rosters are: each
# new account hashes a password and sends it, which a request must not wait on for long.
IN_REQUEST_MAX_ROWS = 20

CREATED, LINKED, ALREADY, REFUSED = "created", "linked", "already", "refused"
OUTCOMES = {CREATED: "新建", LINKED: "关联", ALREADY: "已是本单位人员", REFUSED: "拒绝"}


@dataclass
class Row:
    line: int
    values: dict
    problems: list = field(default_factory=list)
    person: User | None = None
    outcome: str = ""
    channel: str = ""  # how the new account's password went: "短信 138****0000"

    def entry(self):
        """The report's line: what the unit administrator reads, with the numbers masked."""
        return {
            "line": self.line, "name": self.values.get("name", ""), "id_number": mask_id_number(self.values.get("id_number", "")),
            "outcome": self.outcome, "outcome_label": OUTCOMES[self.outcome], "message": "；".join(self.problems),
            "channel": self.channel,
        }


@dataclass
class EnrolReport:
    rows: list  # Row.entry() dicts, in file order

    @property
    def applied(self):
        return not any(r["outcome"] == REFUSED for r in self.rows)

    @property
    def counts(self):
        return {outcome: sum(1 for r in self.rows if r["outcome"] == outcome) for outcome in OUTCOMES}

    def as_dict(self):
        return {"rows": self.rows, "applied": self.applied, "counts": self.counts}


def template_workbook():
    """下载模板: the header, one example row, and lists to pick 性别, 民族 and 最高学历 from."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "人员名单"
    sheet.append(list(COLUMNS))
    sheet.append([EXAMPLE[key] for key in COLUMNS.values()])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for letter, width in zip("ABCDEFGH", (12, 22, 8, 12, 15, 14, 14, 24)):
        sheet.column_dimensions[letter].width = width
        # Text, so that Excel keeps an 18-digit number whole (not 1.10101E+17) and a phone's digits.
        for row in range(2, 1001):
            sheet[f"{letter}{row}"].number_format = "@"
    lists = workbook.create_sheet("选项")
    lists.sheet_state = "hidden"
    for column, values in enumerate((["男", "女"], ETHNIC_GROUPS, Education.values), start=1):
        for row, value in enumerate(values, start=1):
            lists.cell(row=row, column=column, value=value)
    for target, source, count in (("C", "A", 2), ("D", "B", len(ETHNIC_GROUPS)), ("F", "C", len(Education.values))):
        check = DataValidation(type="list", formula1=f"选项!${source}$1:${source}${count}", allow_blank=True,
                               showErrorMessage=True, errorTitle="输入有误", error="请从下拉列表中选择。")
        check.add(f"{target}2:{target}{reading.MAX_ROWS + 1}")
        sheet.add_data_validation(check)
    notes = workbook.create_sheet("填写说明")
    for line in (
        "1. 第2行为示例，导入前请删除。姓名、证件号码必填；性别可不填（按证件号码确定）。",
        "2. 新建账号的初始密码以短信发送到手机号码；没有手机号码的，须填写电子邮箱。",
        "3. 已在平台注册的人员按证件号码关联，姓名须与平台登记的一致。",
        "4. 有任何一行不符合要求时，整个文件都不会导入，请按结果修改后重新上传。",
    ):
        notes.append([line])
    notes.column_dimensions["A"].width = 90
    return workbook


def _more_rows_than(upload, limit):
    """Whether more than `limit` rows follow the header, reading no further than that (the
    template's formatted empty rows make a sheet's declared size no guide); refuses at once a file
    that cannot be read."""
    try:
        _, lines, _ = reading.table(upload, COLUMNS, REQUIRED, formats=("xlsx",))
        filled = (values for values in lines if any(v.strip() for v in values))
        return sum(1 for _ in islice(filled, limit + 1)) > limit
    finally:
        upload.seek(0)


def _check_cells(row):
    """The row's own cells, normalised in place; whether its ID number is valid."""
    values, problems = row.values, row.problems
    if not values.get("name"):
        problems.append("姓名不能为空")
    values["id_number"] = normalize_id_number(values.get("id_number"))
    try:
        validate_id_number(values["id_number"])
    except ValidationError as exc:
        problems.append(exc.messages[0].rstrip("。"))
        valid_number = False
    else:
        valid_number = True
        if values["id_number"] == EXAMPLE_ID_NUMBER:
            problems.append("这是模板中的示例行，请删除后再导入")
        expected = gender_from_id_number(values["id_number"])
        if values.get("gender") and values["gender"] != expected:
            problems.append(f"性别与证件号码不符（证件号码为{expected}性）")
        values["gender"] = expected
    if values.get("gender") not in ("男", "女"):
        values["gender"] = ""
    if values.get("ethnicity") and values["ethnicity"] not in ETHNIC_GROUPS:
        problems.append("民族应为56个民族之一的全称，如“汉族”")
    if values.get("education") and values["education"] not in Education.values:
        problems.append(f"最高学历应为{'、'.join(Education.values)}之一")
    values["phone"] = normalize_phone(values.get("phone"))
    if values["phone"] and not sms.is_mobile(values["phone"]):
        problems.append("手机号码应为11位手机号码")
    if values.get("email"):
        try:
            validate_email(values["email"])
        except ValidationError:
            problems.append("电子邮箱格式不正确")
    problems += [f"{label}不能超过{MAX_LENGTHS[key]}个字" for label, key in COLUMNS.items()
                 if key in MAX_LENGTHS and len(values.get(key, "")) > MAX_LENGTHS[key]]
    return valid_number


def _check_person(row, organisation, people, memberships, officials):
    """The row against the account of that number, if there is one: what applying it would do. The
    refusals name no other unit and no registered name: the report must not tell a unit about
    people who are not its own."""
    person = people.get(row.values["id_number"])
    if person is None:
        if not row.values["phone"] and not row.values.get("email"):
            row.problems.append("须填写手机号码以便发送初始密码")
        row.outcome = CREATED
        return
    row.person = person
    if person.name != row.values["name"]:
        row.problems.append("姓名与该证件号码在平台登记的姓名不一致")
        return
    held = memberships.get(person.pk, {})
    active, pending = held.get(MembershipStatus.ACTIVE), held.get(MembershipStatus.PENDING)
    if active is not None and active.organisation_id == organisation.pk:
        row.outcome = ALREADY
    elif active is not None:
        row.problems.append("已在其他单位确认，请本人申请调入")
    elif pending is not None and pending.organisation_id != organisation.pk:
        row.problems.append("已申请加入其他单位，请待该单位处理或本人撤回后再导入")
    elif person.pk in officials:
        # An administrator's or clerk's account is never made a unit's staff (whose passwords it resets).
        row.problems.append("该人员持有管理员或经办人角色，不能批量导入，请本人申请加入本单位")
    else:
        row.outcome = LINKED


def _checked(upload, organisation):
    rows, seen = [], {}
    for line, values, problems in reading.rows(upload, COLUMNS, REQUIRED, formats=("xlsx",)):
        row = Row(line, values, list(problems))
        number = row.values["id_number"] if _check_cells(row) else None
        if number is not None and number in seen:
            row.problems.append(f"与第{seen[number]}行的证件号码重复")
            first = next(r for r in rows if r.line == seen[number])
            first.problems.append(f"与第{line}行的证件号码重复")
        elif number is not None:
            seen[number] = line
        rows.append(row)
    numbers = [r.values["id_number"] for r in rows if not r.problems]
    people = {}
    for person in User.objects.filter(Q(id_number__in=numbers) | Q(username__in=numbers)):
        people[person.id_number or person.username] = person
    memberships = {}
    for membership in Membership.objects.filter(
        person__in=people.values(), status__in=[MembershipStatus.ACTIVE, MembershipStatus.PENDING]
    ):
        memberships.setdefault(membership.person_id, {})[membership.status] = membership
    officials = set(
        RoleGrant.objects.filter(user__in=people.values()).exclude(role=Role.APPLICANT).values_list("user_id", flat=True)
    )
    for row in rows:
        if not row.problems:
            _check_person(row, organisation, people, memberships, officials)
        if row.problems:
            row.outcome = REFUSED
    return rows


def _send_password(row, password):
    """The initial password to the person, by SMS to the mobile given, else by e-mail; returns how."""
    name, values = row.values["name"], row.values
    text = (f"{name}您好，单位已为您开通学时核认平台账号：登录名为您的证件号码，初始密码{password}。"
            "首次登录须修改密码，请勿告知他人。")
    if values["phone"]:
        sent = sms.send(values["phone"], text)
        return f"短信 {mask_phone(values['phone'])}" + ("" if sent else "（发送失败，请为其重置密码）")
    try:
        send_mail("学时核认平台账号已开通", text, None, [values["email"]])
    except Exception:  # noqa: BLE001 - the accounts exist; a mail server that is down must not undo them
        return f"电子邮件 {mask_email(values['email'])}（发送失败，请为其重置密码）"
    return f"电子邮件 {mask_email(values['email'])}"


def _profile(values):
    return {key: values.get(key, "") for key in ("id_number", "name", "gender", "ethnicity", "phone", "education", "title", "email")}


def _apply(rows, organisation, actor, progress, address):
    """All rows in one transaction; the passwords are sent once it has committed."""
    passwords = {}
    with transaction.atomic():
        for row in rows:
            if row.outcome == CREATED:
                passwords[row.line] = services.temporary_password()
                row.person = services.staff_create(
                    organisation=organisation, actor=actor, row=row.line, password=passwords[row.line], address=address,
                    **_profile(row.values),
                )
            elif row.outcome == LINKED:
                services.staff_link(person=row.person, organisation=organisation, actor=actor, row=row.line, address=address)
            if progress is not None:
                progress.advance()
    for row in rows:
        if row.line in passwords:
            row.channel = _send_password(row, passwords.pop(row.line))


def staff_enrol(*, upload, organisation, actor, progress=None, address=None):
    """The import's report (EnrolReport): every row applied, or — if any is refused — none."""
    if organisation not in organisations_for(actor, Role.UNIT_ADMIN):
        raise PermissionDenied("只有该单位的管理员可以导入本单位人员。")
    if organisation.kind == OrganisationKind.BUREAU:
        raise ValidationError("人社部门不能导入工作人员。")
    rows = _checked(upload, organisation)
    if progress is not None:
        progress.set_total(len(rows))
    if all(not row.problems for row in rows):
        try:
            _apply(rows, organisation, actor, progress, address)
        except ValidationError as exc:
            # Someone registered, moved or was confirmed between the check and the write.
            raise ValidationError(f"{'；'.join(exc.messages)} 本次未导入任何人员。")
    return EnrolReport([row.entry() for row in rows])


def staff_enrol_upload(*, upload, organisation, actor, address=None):
    """The report, or — for more than IN_REQUEST_MAX_ROWS rows — the background job doing it."""
    if organisation not in organisations_for(actor, Role.UNIT_ADMIN):
        raise PermissionDenied("只有该单位的管理员可以导入本单位人员。")
    if _more_rows_than(upload, IN_REQUEST_MAX_ROWS):
        return jobs.job_start(
            owner=actor, kind=JobKind.STAFF_ENROL, title=f"批量导入人员：{organisation.name}",
            params={"organisation": organisation.pk, "address": address}, upload=upload,
        )
    return staff_enrol(upload=upload, organisation=organisation, actor=actor, address=address)


def staff_enrol_run(*, job, progress):
    """The STAFF_ENROL handler: the same import on the stored file, which is deleted once read."""
    organisation = next((org for org in organisations_for(job.owner, Role.UNIT_ADMIN)
                         if org.pk == job.params["organisation"]), None)
    try:
        if organisation is None:
            raise PermissionDenied("您已不是该单位的管理员，人员未导入。")
        with job.upload.open("rb") as handle:
            report = staff_enrol(upload=File(handle, name=job.upload.name), organisation=organisation, actor=job.owner,
                                 progress=progress, address=job.params.get("address"))
    except (ValidationError, PermissionDenied) as exc:
        raise jobs.JobFailure("；".join(getattr(exc, "messages", None) or [str(exc)]))
    finally:
        job.upload.delete(save=False)
        Job.objects.filter(pk=job.pk).update(upload="")
    progress.advance(job.total - progress.done)  # a refused file: every row was checked, none applied
    return report.as_dict()
