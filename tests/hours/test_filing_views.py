"""The filing pages: the unit's list and form, the reviewers' queue and decision, rosters, files,
and the 单位继续教育备案 block on a declaration's case page."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from hours import filings
from hours.models import TrainingFiling
from hours import transitions
from workflow.models import State
from tests.hours.fixtures_views import *  # noqa: F401,F403
from tests.hours.fixtures_views import at_state, pdf, png
from tests.hours.test_filings import new_filing

pytestmark = pytest.mark.django_db


def form_data(**overrides):
    today = timezone.localdate()
    data = {
        "year": today.year, "name": "公需科目专题讲座", "training_type": "lecture", "course_type": "public", "hours": "8",
        "days": "1", "planned_start": today.isoformat(), "planned_end": today.isoformat(),
        "notice": pdf("通知.pdf"), "schedule": png("课程表.png"),
    }
    data.update(overrides)
    return data


def test_unit_files_a_training_and_bad_input_is_kept(client, p, media):
    client.force_login(p.chen)
    bad = client.post(reverse("hours:filing_new"), form_data(hours="-1", name="保留的名称"))
    assert bad.status_code == 400
    page = bad.content.decode()
    assert "保留的名称" in page and "确保该值大于或等于0.5" in page.replace("。", "")
    good = client.post(reverse("hours:filing_new"), form_data())
    filing = TrainingFiling.objects.get()
    assert good.status_code == 302 and filing.organisation == p.dzyjs and filing.state == State.DRAFT
    listing = client.get(reverse("hours:filing_list")).content.decode()
    assert "公需科目专题讲座" in listing and "提交" in listing


def test_only_the_unit_and_its_reviewers_open_a_filing(client, p, media):
    filing = transitions.filing_submit(filing=new_filing(p), user=p.chen)
    url = reverse("hours:filing_detail", args=[filing.pk])
    for outsider, status in ((p.dzcl_admin, 404), (p.hnsd_admin, 404), (p.cs_clerk, 404), (p.song, 403)):
        client.force_login(outsider)
        assert client.get(url).status_code == status, outsider
        assert client.get(reverse("hours:filing_notice", args=[filing.pk])).status_code == status
    client.force_login(p.zrzy_admin)
    assert "提交审核结果" in client.get(url).content.decode()
    notice = client.get(reverse("hours:filing_notice", args=[filing.pk]))
    assert notice.status_code == 200 and notice["X-Content-Type-Options"] == "nosniff"
    client.force_login(p.dzy_admin)  # the superior unit sees it (its subtree) but does not decide it
    page = client.get(url)
    assert page.status_code == 200 and "提交审核结果" not in page.content.decode()
    assert client.post(url, {"decision": "approve"}).status_code == 403


def test_department_queue_and_decision(client, p, media):
    filing = transitions.filing_submit(filing=new_filing(p), user=p.chen)
    client.force_login(p.zrzy_admin)
    assert filing.name in client.get(reverse("hours:filing_queue")).content.decode()
    url = reverse("hours:filing_detail", args=[filing.pk])
    refused = client.post(url, {"decision": "reject", "opinion": ""})
    assert refused.status_code == 400 and "审核不通过时必须填写原因。" in refused.content.decode()
    assert client.post(url, {"decision": "approve", "opinion": "同意"}).status_code == 302
    assert TrainingFiling.objects.get(pk=filing.pk).state == State.APPROVED
    queue = client.get(reverse("hours:filing_queue")).content.decode()
    assert "已同意备案" in queue and "暂无数据" in queue  # the message tells, the list is empty
    assert filing.name in client.get(reverse("hours:filing_queue"), {"status": "done"}).content.decode()


def test_roster_page_reports_lines(client, p, media):
    filing = transitions.filing_approve(filing=transitions.filing_submit(filing=new_filing(p), user=p.chen), user=p.zrzy_admin)
    client.force_login(p.chen)
    csv = "\ufeff证件号码,姓名,学时\n" f"{p.song.id_number},宋庆涛,24\n" "123,某某,8\n"
    response = client.post(
        reverse("hours:filing_roster", args=[filing.pk]), {"file": SimpleUploadedFile("名单.csv", csv.encode())}
    )
    page = response.content.decode()
    assert response.status_code == 200 and "成功导入 <strong class=\"ok\">1</strong> 人" in page and "第3行" in page


@pytest.mark.parametrize("viewer", ["chen", "dzy_admin", "zrzy_admin", "hn_clerk"])
def test_the_roster_on_a_filing_shows_id_numbers_masked_to_everyone_who_opens_it(client, p, media, viewer):
    """The unit, its superior unit, the department that approved it and the bureau each see the
    roster's people with 4301**********1015, never the whole number."""
    filing = transitions.filing_approve(filing=transitions.filing_submit(filing=new_filing(p), user=p.chen), user=p.zrzy_admin)
    roster = "证件号码,姓名,学时\n430121198805041015,宋庆涛,24\n43012119720808109X,王建国,16\n"
    report = filings.filing_roster_upload(filing=filing, user=p.chen, upload=SimpleUploadedFile("名单.csv", roster.encode()))
    assert report.created == 2 and report.errors == []
    client.force_login(getattr(p, viewer))
    response = client.get(reverse("hours:filing_detail", args=[filing.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "<td>宋庆涛</td><td>4301**********1015</td><td>24</td>" in page
    assert "<td>王建国</td><td>4301**********109X</td><td>16</td>" in page
    assert "430121198805041015" not in page and "43012119720808109X" not in page

def test_case_page_shows_the_units_filings_and_where_hours_came_from(client, p, media):
    filing = transitions.filing_approve(
        filing=transitions.filing_submit(filing=new_filing(p, year=timezone.localdate().year), user=p.chen), user=p.zrzy_admin
    )
    d = at_state(p, State.UNIT_REVIEW, start_year=filing.year, end_year=filing.year)
    client.force_login(p.chen)
    page = client.get(reverse("review:case", args=[d.pk])).content.decode()
    assert "单位继续教育备案" in page and filing.name in page


def test_a_training_base_uploads_its_own_rosters_only(client, p, media, demo):
    base_admin = demo.user("hndx_base_admin")
    client.force_login(base_admin)
    page = client.get(reverse("hours:training_import")).content.decode()
    assert "湖南大学继续教育学院" in page and 'value="platform"' not in page
    assert "基地培训记录上传" in client.get(reverse("portal:home")).content.decode()
    csv = "\ufeff证件号码,姓名,年度,培训名称,科目,学时\n" f"{p.song.id_number},宋庆涛,2023,基地研修班,专业科目,40\n"
    base = demo.org("湖南大学继续教育学院（省级专业技术人员继续教育基地）")
    response = client.post(
        reverse("hours:training_import"),
        {"source": "training_base", "source_org": base.pk, "file": SimpleUploadedFile("基地.csv", csv.encode())},
    )
    assert "成功导入" in response.content.decode()
    forged = client.post(
        reverse("hours:training_import"),
        {"source": "platform", "file": SimpleUploadedFile("平台.csv", csv.encode())},
    )
    assert forged.status_code == 400
    client.force_login(p.chen)  # an ordinary unit's administrator has no such page
    assert client.get(reverse("hours:training_import")).status_code == 403
    assert "基地培训记录上传" not in client.get(reverse("portal:home")).content.decode()


def test_filing_pages_query_counts_do_not_grow(client, p, media):
    from tests.hours.fixtures_views import assert_same_queries

    for index in range(2):
        transitions.filing_submit(filing=new_filing(p, name=f"培训{index}"), user=p.chen)

    def grow():
        for index in range(2, 14):
            transitions.filing_submit(filing=new_filing(p, name=f"培训{index}"), user=p.chen)

    page = assert_same_queries(client, p.chen, reverse("hours:filing_list"), grow)
    assert "培训13" in page.content.decode()
    page = assert_same_queries(client, p.zrzy_admin, reverse("hours:filing_queue"), lambda: transitions.filing_submit(filing=new_filing(p, name="又一个"), user=p.chen))
    assert "共15条" in page.content.decode()
