"""Imports that do not break (hours/imports.py): 培训记录导入 and the 参训人员名单 of a training
filing, fed every malformed file of tests/malformed_files.py, answer with a refusal the user
reads (the whole file, or each of its rows), never a server error, and store nothing; a long
roster's background job gives the same row-by-row report as the import in the request."""
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models.query import QuerySet
from django.urls import reverse
from openpyxl import Workbook

from hours import filings
from hours.models import TrainingRecord
from core.inputs import CONTROL_MESSAGE
from core.models import Job, JobState
from hours import transitions
from tests.helpers import make_id_number, text_of
from tests.hours.fixtures_views import *  # noqa: F401,F403
from tests.hours.test_filings import new_filing
from tests.hours.test_roster_job import DATABASE_TASKS, stored_uploads
from tests.malformed_files import IMPORT_HEADER, STRANGER, malformed_imports, malformed_uploads
from tests.portal.jobs_support import run_worker

pytestmark = pytest.mark.django_db

IMPORTS = malformed_imports()
HEADER = ",".join(IMPORT_HEADER)
SONG = "430121198805041015"
FULL_WIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")


def csv_file(*lines, name="培训记录.csv"):
    return SimpleUploadedFile(name, ("\r\n".join(lines) + "\r\n").encode("utf-8-sig"), content_type="text/csv")


def post_import(client, upload):
    return client.post(reverse("hours:training_import"), {"source": "platform", "file": upload})


def post_roster(client, filing, upload):
    return client.post(reverse("hours:filing_roster", args=[filing.pk]), {"file": upload})


def refusals_of(response):
    """The file's refusal next to the field, or each data row's problems; [] when rows were stored."""
    form = response.context.get("roster_form") or response.context["form"]
    if form.errors:
        return form.errors["file"]
    report = response.context["report"]
    return [message for _, message in report.errors] if report.created == 0 else []


@pytest.fixture
def filing(p, media):
    return transitions.filing_approve(filing=transitions.filing_submit(filing=new_filing(p), user=p.chen), user=p.zrzy_admin)


# --- every malformed file --------------------------------------------------------------------------


def test_the_training_import_refuses_every_malformed_file(client, p):
    client.force_login(p.hn_clerk)
    for label, name, content, content_type in IMPORTS + malformed_uploads():
        response = post_import(client, SimpleUploadedFile(name, content, content_type=content_type))
        assert response.status_code in (200, 400), label
        reasons = refusals_of(response)
        assert reasons and all(reason in text_of(response) for reason in reasons), label
    assert not TrainingRecord.objects.exists()


def test_the_roster_refuses_every_malformed_file(client, p, filing):
    client.force_login(p.chen)
    for label, name, content, content_type in IMPORTS + malformed_uploads():
        response = post_roster(client, filing, SimpleUploadedFile(name, content, content_type=content_type))
        assert response.status_code in (200, 400), label
        reasons = refusals_of(response)
        assert reasons and all(reason in text_of(response) for reason in reasons), label
    assert not TrainingRecord.objects.exists() and not Job.objects.exists() and stored_uploads() == []


@pytest.mark.parametrize(
    "label, reason",
    [
        ("csv-field-over-limit", "CSV文件第2行有单元格超过131072个字符，无法读取，请检查后重新上传。"),
        ("xlsx-truncated", "文件已损坏或不完整，无法读取该Excel文件，请使用模板另存为.xlsx后重新上传。"),
        ("xlsx-is-a-docx", "这是Word文档，无法读取该Excel文件，请使用模板另存为.xlsx后重新上传。"),
        ("xlsx-is-an-old-xls", "这是旧版Office格式（如.xls）的文件，无法读取该Excel文件，请使用模板另存为.xlsx后重新上传。"),
        ("csv-header-only", "文件中只有表头，没有可导入的数据行。"),
        ("csv-utf16", "CSV文件是UTF-16编码，请在Excel中另存为“CSV UTF-8（逗号分隔）”后重新上传。"),
        ("binary-named-csv", "该文件不是CSV文本文件（内容为png格式）。请上传.csv文件，或将Excel文件另存为.xlsx后导入。"),
    ],
)
def test_a_file_that_cannot_be_read_is_refused_with_the_reason(client, p, label, reason):
    [(_, name, content, content_type)] = [i for i in IMPORTS if i[0] == label]
    client.force_login(p.hn_clerk)
    response = post_import(client, SimpleUploadedFile(name, content, content_type=content_type))
    assert response.status_code == 400
    assert response.context["form"].errors["file"] == [reason]


@pytest.mark.parametrize("label", ["csv-year-inf", "csv-year-1e309", "csv-year-nan", "csv-year-huge", "xlsx-year-1e309"])
def test_a_year_that_is_no_year_is_that_rows_error(client, p, label):
    [(_, name, content, content_type)] = [i for i in IMPORTS if i[0] == label]
    client.force_login(p.hn_clerk)
    response = post_import(client, SimpleUploadedFile(name, content, content_type=content_type))
    assert response.status_code == 200
    assert response.context["report"].errors == [(2, "年度应为四位年份")]


@pytest.mark.parametrize("hours", ["inf", "NaN", "-0", "1e309", "9" * 400, "1e2", "0", "200.1"])
def test_hours_that_are_no_number_of_hours_are_that_rows_error(client, p, hours):
    client.force_login(p.hn_clerk)
    response = post_import(client, csv_file(HEADER, f"{STRANGER},张三,2023,公需科目培训,公需科目,{hours},"))
    assert response.context["report"].errors == [(2, "学时应为大于0且不超过200的数字")]


def test_full_width_digits_in_an_id_number_match_the_person(client, p, filing):
    client.force_login(p.hn_clerk)
    response = post_import(client, csv_file(HEADER, f"{SONG.translate(FULL_WIDTH)},宋庆涛,２０２３,公需科目培训,公需科目,３０,ＰＸ１"))
    assert response.context["report"].created == 1
    assert TrainingRecord.objects.values_list("id_number", "year", "hours", "certificate_no").get() == (SONG, 2023, 30, "PX1")
    client.force_login(p.chen)
    response = post_roster(client, filing, csv_file("证件号码,姓名,学时", f"{p.zhao.id_number.translate(FULL_WIDTH)},赵金强,８"))
    assert response.context["report"].created == 1 and not response.context["report"].errors
    assert filing.records.get().id_number == p.zhao.id_number


def test_a_cell_with_control_characters_is_its_rows_error(client, p, filing):
    client.force_login(p.hn_clerk)
    response = post_import(client, csv_file(HEADER, f"{SONG},宋\x08庆涛,2023,公需科目培训,公需科目,30,", f"{SONG},宋庆涛,2023,专业\x1b培训,专业科目,30,"))
    assert response.context["report"].errors == [(2, "姓名" + CONTROL_MESSAGE), (3, "培训名称" + CONTROL_MESSAGE)]
    assert "姓名含有不可见的控制字符" in text_of(response)
    client.force_login(p.chen)
    response = post_roster(client, filing, csv_file("证件号码,姓名,学时", f"{p.zhao.id_number},赵金强\x00,8"))
    assert response.context["report"].errors == [(2, "姓名" + CONTROL_MESSAGE)]
    assert not TrainingRecord.objects.exists()


def test_text_longer_than_the_database_holds_is_that_rows_error(client, p):
    """Cut to 200 characters, two long titles became one and the unique constraint failed (500)."""
    client.force_login(p.hn_clerk)
    long_title = "地质勘查" * 60
    response = post_import(client, csv_file(
        HEADER, f"{SONG},{'宋' * 51},2023,短名称,公需科目,30,", f"{SONG},宋庆涛,2023,{long_title}甲,公需科目,30,",
        f"{SONG},宋庆涛,2023,{long_title}乙,公需科目,30,", f"{SONG},宋庆涛,2023,证书编号太长,公需科目,30,{'9' * 61}",
    ))
    assert response.context["report"].errors == [
        (2, "姓名不能超过50个字"), (3, "培训名称不能超过200个字"), (4, "培训名称不能超过200个字"), (5, "证书编号不能超过60个字"),
    ]
    assert not TrainingRecord.objects.exists()


def test_an_import_racing_another_is_refused_not_crashed(client, p, monkeypatch):
    """Two clerks import the same file at once: the second insert meets the unique constraint."""
    insert = QuerySet.bulk_create

    def racing(self, objs, *args, **kwargs):
        if self.model is TrainingRecord and objs:
            first = objs[0]
            TrainingRecord.objects.create(**{f: getattr(first, f) for f in ("source", "id_number", "name", "year", "title", "subject", "hours")})
        return insert(self, objs, *args, **kwargs)

    monkeypatch.setattr(QuerySet, "bulk_create", racing)
    client.force_login(p.hn_clerk)
    response = post_import(client, csv_file(HEADER, f"{SONG},宋庆涛,2023,公需科目培训,公需科目,30,"))
    assert response.status_code == 400
    assert "已由另一次导入写入" in response.context["form"].errors["file"][0]


def xlsx_roster(rows):
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return SimpleUploadedFile("名单.xlsx", out.getvalue())


def test_a_broken_roster_is_refused_at_once_even_when_long(client, p, filing):
    """Counting the rows of a truncated .xlsx said 0 and sent it to the import, which refused it; a
    long one with a damaged header is refused before any job is made."""
    content = xlsx_roster([["证件号码", "姓名", "学时"]] + [[make_id_number(), "某某", 8] for _ in range(600)]).read()
    client.force_login(p.chen)
    for upload in (SimpleUploadedFile("名单.xlsx", content[: len(content) // 2]), xlsx_roster([["姓名", "学时"]] + [["某某", 8]] * 600)):
        response = post_roster(client, filing, upload)
        assert response.status_code == 400 and response.context["roster_form"].errors["file"]
    assert not Job.objects.exists() and stored_uploads() == []


def test_a_person_already_given_the_hours_by_another_filing_of_the_same_name_is_that_rows_error(client, p, filing):
    """Records are one per person, year and title: the second filing's roster hit the constraint (500)."""
    twin = transitions.filing_approve(filing=transitions.filing_submit(filing=new_filing(p), user=p.chen), user=p.zrzy_admin)
    client.force_login(p.chen)
    post_roster(client, filing, csv_file("证件号码,姓名,学时", f"{p.song.id_number},宋庆涛,8"))
    response = post_roster(client, twin, csv_file("证件号码,姓名,学时", f"{p.song.id_number},宋庆涛,8", f"{p.zhao.id_number},赵金强,6"))
    assert response.status_code == 200
    assert response.context["report"].created == 1
    assert response.context["report"].errors == [(2, f"该人员已有{filing.year}年度同名培训“{filing.name}”的学时记录（另一备案的名单）")]


# --- the long roster's background job ----------------------------------------------------------------


def long_roster(p, *extra, name="名单.csv"):
    lines = ["证件号码,姓名,学时", f"{p.song.id_number.translate(FULL_WIDTH)},宋庆涛,8", f"{p.zhao.id_number},赵金强\x07,6"]
    lines += [f"{make_id_number()},某某{n},8" for n in range(filings.ROSTER_IN_REQUEST_MAX_ROWS)]
    return SimpleUploadedFile(name, ("\n".join([*lines, *extra]) + "\n").encode())


def test_a_long_roster_with_a_broken_line_fails_its_job_with_the_reason(client, p, filing, settings, django_capture_on_commit_callbacks):
    """Through the real worker: the job failed with only “处理时发生系统错误（Error）”, the csv
    module's error for a cell beyond its limit, which the import did not catch."""
    settings.TASKS = DATABASE_TASKS
    client.force_login(p.chen)
    with django_capture_on_commit_callbacks(execute=True):
        response = post_roster(client, filing, long_roster(p, f"{make_id_number()},{'某' * 200_000},8"))
    job = Job.objects.get()
    assert response["Location"] == reverse("portal:job", args=[job.pk])
    run_worker()
    job.refresh_from_db()
    assert (job.state, job.error) == (JobState.FAILED, "CSV文件第504行有单元格超过131072个字符，无法读取，请检查后重新上传。")
    assert "系统错误" not in text_of(client.get(reverse("portal:job", args=[job.pk])))
    assert not TrainingRecord.objects.exists() and stored_uploads() == []


def report_rows(response):
    text = text_of(response)
    return text[text.index("成功导入"):text.index("第502行")]


def test_the_jobs_report_is_the_requests_report(client, p, filing, settings, monkeypatch, django_capture_on_commit_callbacks):
    """The same roster, imported in the request and by the worker, gives the same lines and reasons."""
    content = long_roster(p).read()
    client.force_login(p.chen)
    monkeypatch.setattr(filings, "ROSTER_IN_REQUEST_MAX_ROWS", 10_000)
    in_request = post_roster(client, filing, SimpleUploadedFile("名单.csv", content))
    assert in_request.context["report"].created == 1
    TrainingRecord.objects.all().delete()
    monkeypatch.setattr(filings, "ROSTER_IN_REQUEST_MAX_ROWS", 500)
    settings.TASKS = DATABASE_TASKS
    with django_capture_on_commit_callbacks(execute=True):
        post_roster(client, filing, SimpleUploadedFile("名单.csv", content))
    run_worker()
    job = Job.objects.get()
    assert job.state == JobState.SUCCEEDED
    page = client.get(reverse("portal:job", args=[job.pk]))
    assert report_rows(page) == report_rows(in_request)
    assert "成功导入 1 人；有误 501 行。" in report_rows(page) and f"第3行 姓名{CONTROL_MESSAGE}" in report_rows(page)
    assert filing.records.get().id_number == p.song.id_number


def test_a_long_roster_under_a_long_chinese_name_is_stored_under_a_name_of_ours(client, p, filing):
    """The job kept the uploader's name: 100 Chinese characters are 300 bytes, beyond what a file
    system allows in a name, and saving it failed (500)."""
    client.force_login(p.chen)
    response = post_roster(client, filing, long_roster(p, name="参训人员名单" * 17 + ".csv"))
    job = Job.objects.get()
    assert response["Location"] == reverse("portal:job", args=[job.pk])
    assert job.state == JobState.SUCCEEDED and job.result["created"] == 1
