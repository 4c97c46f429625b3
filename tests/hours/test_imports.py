"""培训记录导入 (hours/imports.py through hours/views.training_import): a bureau clerk imports the
training platform's or a training base's records from CSV or Excel; every row is checked, bad rows
are listed by line number, good rows are kept once; the attendee then ticks them into a
declaration (确认选择) as items that need no evidence, once."""
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from hours import services
from hours.models import Item, ItemSource, TrainingRecord
from tests.helpers import text_of
from tests.hours.fixtures_views import *  # noqa: F401,F403

URL = "hours:training_import"
HEADER = "证件号码,姓名,年度,培训名称,科目,学时,证书编号"
SONG, ZHAO = "430121198805041015", "430121198511291051"


def csv_upload(lines, name="培训记录.csv", encoding="utf-8-sig"):
    return SimpleUploadedFile(name, ("\r\n".join([HEADER, *lines]) + "\r\n").encode(encoding), content_type="text/csv")


GOOD_AND_BAD = [
    f"{SONG},宋庆涛,2023,2023年度公需科目网络培训,公需科目,30,PX2023001",  # line 2: good
    "430121198805041016,宋庆涛,2023,证件号错的培训,公需科目,10,",  # line 3: bad check digit
    f"{SONG},宋庆涛,2023,2023年度公需科目网络培训,公需科目,30,PX2023001",  # line 4: repeats line 2
    f"{ZHAO},赵金强,2023,地质灾害防治专业培训,专业科目,-8,",  # line 5: negative hours
    f"{ZHAO},,2023,岩土工程新技术,专业科目,24,",  # line 6: no name
    f"{ZHAO},赵金强,2023,安全生产讲座,选修科目,4,",  # line 7: subject unknown
    f"{ZHAO},赵金强,2023,地质灾害防治专业培训,专业,40.5,PX2023002",  # line 8: good ("专业" is accepted)
    "",  # an empty line is skipped
]


def post_import(client, upload, source="platform", source_org=""):
    return client.post(reverse(URL), {"source": source, "source_org": source_org, "file": upload})


def errors_on(response):
    return dict(response.context["report"].errors)


def test_good_rows_kept_bad_rows_listed_by_line(client, p):
    client.force_login(p.hn_clerk)
    response = post_import(client, csv_upload(GOOD_AND_BAD))
    assert response.status_code == 200
    report = response.context["report"]
    assert report.created == 2
    errors = errors_on(response)
    assert sorted(errors) == [3, 4, 5, 6, 7]
    assert errors[3] == "证件号码校验位不正确，请核对后重新输入。"
    assert errors[4] == "与第2行重复"
    assert errors[5] == "学时应为大于0且不超过200的数字"
    assert errors[6] == "姓名不能为空"
    assert errors[7] == "科目应为“公需科目”或“专业科目”"
    page = text_of(response)
    assert "成功导入 2 条；有误 5 行。" in page
    for line in (3, 4, 5, 6, 7):
        assert f"第{line}行" in page
    rows = TrainingRecord.objects.order_by("id")
    assert list(rows.values_list("id_number", "year", "subject", "hours", "certificate_no", "source", "imported_by")) == [
        (SONG, 2023, "public", 30, "PX2023001", ItemSource.PLATFORM, p.hn_clerk.pk),
        (ZHAO, 2023, "professional", 40.5, "PX2023002", ItemSource.PLATFORM, p.hn_clerk.pk),
    ]


def test_a_row_with_several_problems_lists_them_all(client, p):
    client.force_login(p.hn_clerk)
    response = post_import(client, csv_upload(["123,,20x3,,科目,0,"]))
    assert errors_on(response)[2] == "；".join([
        "证件号码应为18位。", "姓名不能为空", "年度应为四位年份", "培训名称不能为空", "科目应为“公需科目”或“专业科目”",
        "学时应为大于0且不超过200的数字",
    ])
    assert not TrainingRecord.objects.exists()


def test_gbk_csv(client, p):
    client.force_login(p.hn_clerk)
    response = post_import(client, csv_upload([f"{SONG},宋庆涛,2022,2022年度专业科目培训,专业科目,24,"], encoding="gbk"))
    assert response.context["report"].created == 1
    assert TrainingRecord.objects.get().title == "2022年度专业科目培训"


def xlsx_upload(rows, name="培训记录.xlsx"):
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER.split(","))
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return SimpleUploadedFile(name, out.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def test_xlsx_import_from_a_training_base(client, p, demo):
    base = demo.org("湖南大学继续教育学院（省级专业技术人员继续教育基地）")
    client.force_login(p.hn_clerk)
    upload = xlsx_upload([
        [SONG, "宋庆涛", 2023, "地质勘查新技术研修班", "专业科目", 48, "JD2023-17"],  # numbers as Excel numbers
        [ZHAO, "赵金强", "2023", "工程伦理", "公需科目", "12.5", None],
        [SONG, "宋庆涛", 2023, "地质勘查新技术研修班", "专业科目", 48, "JD2023-17"],  # line 4 repeats line 2
    ])
    response = post_import(client, upload, source="training_base", source_org=base.pk)
    assert response.status_code == 200
    assert response.context["report"].created == 2
    assert errors_on(response) == {4: "与第2行重复"}
    assert set(TrainingRecord.objects.values_list("id_number", "title", "hours", "source", "source_org")) == {
        (SONG, "地质勘查新技术研修班", 48, ItemSource.TRAINING_BASE, base.pk),
        (ZHAO, "工程伦理", 12.5, ItemSource.TRAINING_BASE, base.pk),
    }


def test_training_base_must_be_chosen(client, p):
    client.force_login(p.hn_clerk)
    response = post_import(client, csv_upload(GOOD_AND_BAD[:1]), source="training_base")
    assert response.status_code == 400
    assert response.context["form"].errors["source_org"] == ["请选择继续教育基地。"]
    assert not TrainingRecord.objects.exists()


def test_reimport_is_refused_row_by_row(client, p):
    client.force_login(p.hn_clerk)
    post_import(client, csv_upload(GOOD_AND_BAD))
    response = post_import(client, csv_upload(GOOD_AND_BAD))
    assert response.context["report"].created == 0
    errors = errors_on(response)
    assert errors[2] == errors[8] == "该记录已导入过"
    assert errors[4] == "与第2行重复"
    assert TrainingRecord.objects.count() == 2
    # a new row in the same file still goes in
    response = post_import(client, csv_upload([GOOD_AND_BAD[0], f"{SONG},宋庆涛,2023,新增培训,公需科目,6,"]))
    assert response.context["report"].created == 1
    assert errors_on(response) == {2: "该记录已导入过"}


@pytest.mark.parametrize(
    "upload, message",
    [
        (SimpleUploadedFile("培训记录.txt", b"abc"), "只能导入.xlsx或.csv文件。"),
        (SimpleUploadedFile("培训记录.xls", b"\xd0\xcf\x11\xe0"), "只能导入.xlsx或.csv文件。"),
        (SimpleUploadedFile("培训记录.xlsx", b"not a workbook"), "无法读取该Excel文件，请使用模板另存为.xlsx后重新上传。"),
        (SimpleUploadedFile("培训记录.csv", "姓名,年度\r\n宋庆涛,2023\r\n".encode()), None),
    ],
)
def test_wrong_files(client, p, upload, message):
    client.force_login(p.hn_clerk)
    response = post_import(client, upload)
    assert response.status_code == 400
    [error] = response.context["form"].errors["file"]
    if message:
        assert error == message
    else:
        assert error.startswith("表头缺少以下列：证件号码、培训名称、科目、学时")
    assert error in text_of(response)
    assert response.context["report"] is None
    assert not TrainingRecord.objects.exists()


def test_no_file(client, p):
    client.force_login(p.hn_clerk)
    response = client.post(reverse(URL), {"source": "platform"})
    assert response.status_code == 400
    assert response.context["form"].errors["file"] == ["这个字段是必填项。"]


def test_only_bureau_clerks_import(client, p):
    for user in (p.song, p.chen, p.dzy_admin, p.zrzy_admin):
        client.force_login(user)
        assert client.get(reverse(URL)).status_code == 403
        assert post_import(client, csv_upload(GOOD_AND_BAD)).status_code == 403
        assert client.get(reverse("hours:training_import_template")).status_code == 403
    assert not TrainingRecord.objects.exists()


def test_template_download(client, p):
    client.force_login(p.hn_clerk)
    response = client.get(reverse("hours:training_import_template"))
    assert response.status_code == 200
    assert response["Content-Disposition"] == "attachment; filename*=UTF-8''%E5%9F%B9%E8%AE%AD%E8%AE%B0%E5%BD%95%E5%AF%BC%E5%85%A5%E6%A8%A1%E6%9D%BF.csv"
    text = response.content.decode("utf-8-sig")
    assert text.splitlines()[0] == HEADER
    # The example row is obviously fictitious (no real person's number or name) yet valid.
    assert text.splitlines()[1] == "430000199001010018,示例姓名,2023,2023年度公需科目培训,公需科目,30,PX2023001"
    # the template itself imports cleanly
    response = post_import(client, SimpleUploadedFile("模板.csv", response.content))
    assert response.context["report"].created == 1 and not response.context["report"].errors


# --- the attendee's side: 确认选择 -----------------------------------------------------------------


@pytest.fixture
def imported(client, p):
    client.force_login(p.hn_clerk)
    post_import(client, csv_upload([
        f"{SONG},宋庆涛,2023,2023年度公需科目网络培训,公需科目,30,PX2023001",
        f"{SONG},宋庆涛,2023,地质勘查专业能力提升培训,专业科目,60,PX2023002",
        f"{SONG},宋庆涛,2022,2022年度公需科目网络培训,公需科目,30,",
        f"{ZHAO},赵金强,2023,赵金强的培训,专业科目,60,",
    ]))
    client.logout()
    return {r.title: r for r in TrainingRecord.objects.all()}


def test_records_appear_in_the_workspace_of_their_year(client, p, imported):
    d = draft(p.song, start_year=2022, end_year=2023)
    services.year_record_add(declaration=d, user=p.song, year=2023)
    client.force_login(p.song)
    page = text_of(client.get(reverse("hours:declaration_edit", args=[d.pk])))
    assert "平台培训记录（勾选后点击“确认选择”）" in page
    assert "2023年度公需科目网络培训" in page and "地质勘查专业能力提升培训" in page
    assert "2022年度公需科目网络培训" not in page  # no 2022 record yet
    assert "赵金强的培训" not in page  # someone else's


def test_claim_turns_records_into_items_without_evidence(client, p, imported, media):
    d = draft(p.song)
    record = services.year_record_add(declaration=d, user=p.song, year=2023)
    attach_general_files(d, p.song)
    chosen = [imported["2023年度公需科目网络培训"].pk, imported["地质勘查专业能力提升培训"].pk]
    client.force_login(p.song)
    url = reverse("hours:training_claim", args=[d.pk, record.pk])
    response = client.post(url, {"records": chosen}, follow=True)
    assert "已确认选择2条培训记录。" in messages_of(response)
    items = Item.objects.filter(year_record=record).order_by("professional_hours")
    assert list(items.values_list("source", "public_hours", "professional_hours", "reference_no")) == [
        (ItemSource.PLATFORM, 30, 0, "PX2023001"), (ItemSource.PLATFORM, 0, 60, "PX2023002"),
    ]
    assert fresh(d).total_public == 30 and fresh(d).total_professional == 60
    page = text_of(response)
    assert "事业单位工作人员培训平台记录，按规定直接认定，无需上传" in page
    assert "申报内容已完整，可以提交。" in page  # no materials asked for the claimed items
    assert "平台培训记录（勾选后点击“确认选择”）" not in page  # nothing left to claim

    # claiming again, or from another declaration, is refused
    response = client.post(url, {"records": chosen[:1]}, follow=True)
    assert messages_of(response) == ["以下培训记录已被申报，不能重复选择：2023年度公需科目网络培训"]
    other = draft(p.song, start_year=2022, end_year=2023)
    other_record = services.year_record_add(declaration=other, user=p.song, year=2023)
    response = client.post(reverse("hours:training_claim", args=[other.pk, other_record.pk]), {"records": chosen}, follow=True)
    assert any(m.startswith("以下培训记录已被申报，不能重复选择") for m in messages_of(response))
    assert Item.objects.count() == 2

    response = client.post(reverse("hours:declaration_submit", args=[d.pk]), {"pledge": "on"}, follow=True)
    assert "已提交" in messages_of(response)[0]


def test_claim_refuses_other_peoples_and_other_years_records(client, p, imported):
    d = draft(p.song, start_year=2022, end_year=2023)
    record = services.year_record_add(declaration=d, user=p.song, year=2023)
    client.force_login(p.song)
    url = reverse("hours:training_claim", args=[d.pk, record.pk])
    for foreign in (imported["赵金强的培训"], imported["2022年度公需科目网络培训"]):
        response = client.post(url, {"records": [foreign.pk]}, follow=True)
        assert messages_of(response) == ["所选培训记录不存在或不属于本人该年度。"]
    response = client.post(url, {}, follow=True)
    assert messages_of(response) == ["请勾选要确认的培训记录。"]
    assert not Item.objects.exists()
    assert not TrainingRecord.objects.filter(item__isnull=False).exists()
