"""The applicant's workspace as a form that forgives (hours/views.py, templates/hours/_workspace.html):
each file labelled with the materials it serves and deletable on its own while a draft; one scan
serving several materials of an item; uploads, items and deletions in place with htmx — the
action's redirect is followed by htmx's own request, which gets the workspace's parts, never a
whole page — and without JavaScript a plain POST back to the item's anchor; a refusal never
leaves the browser on a URL that posts again on reload; the counted year fixed to its block; a
new span taking in an approved year asked about before it is saved; step 6 started from last
year and the previous declaration's answers."""
import os
import re

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core.repeats import REPEATED
from hours import selectors, services
from hours.models import Declaration, Evidence, Item
from hours.policies import policy_for
from hours import transitions
from workflow.models import State
from tests.helpers import another_browser, text_of
from tests.hours.fixtures_views import *  # noqa: F401,F403
from tests.hours.fixtures_views import (
    add_item, approved, assert_same_queries, attach_item_files, complete_draft, draft, form_data_for_new, fresh, messages_of, pdf, png, png_bytes,
    year_with_training,
)
from tests.malformed_files import malformed_uploads

pytestmark = pytest.mark.usefixtures("media")

HX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "item"}
PAPER = {"author_rank": 1, "abroad": False, "title": "湘西铅锌矿成矿规律研究"}
ALL_OF_A_PAPER = ["journal_cover", "journal_number", "paper_contents"]


def edit_url(d):
    return reverse("hours:declaration_edit", args=[d.pk])


def upload_url(d, item):
    return reverse("hours:item_evidence_upload", args=[d.pk, item.pk])


def a_training(user):
    d = draft(user)
    record, item = year_with_training(d, user)
    return d, record, item


def a_paper(user):
    d = draft(user)
    record = services.year_record_add(declaration=d, user=user, year=d.start_year)
    return d, record, add_item(d, user, record, activity="paper", facts=PAPER)


def problems(d):
    return selectors.submission_problems(fresh(d))


def item_problems(d, item):
    return [p for p in problems(d) if "湘西铅锌矿" in p or "培训班" in p]


# --- files labelled, deletable one by one --------------------------------------------------------


def test_each_file_of_an_item_is_labelled_and_deleted_on_its_own(client, p, django_capture_on_commit_callbacks):
    d, record, item = a_training(p.song)
    notice, certificate = attach_item_files(d, p.song, item)
    client.force_login(p.song)
    page = client.get(edit_url(d))
    entry = re.search(rf'<li class="item" id="item-{item.pk}".*?</li>\s*</ul>\s*</div>', page.content.decode(), re.S).group(0)
    assert re.search(r'<span class="tag">培训通知</span>\s*</span>\s*<a class="file-name"[^>]*>training_notice.png</a>', entry)
    assert re.search(r'<span class="tag">结业证书</span>\s*</span>\s*<a class="file-name"[^>]*>completion_certificate.png</a>', entry)
    assert '删除<span class="visually-hidden">“completion_certificate.png”</span>' in entry
    assert not item_problems(d, item)

    stored = certificate.file.path
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("hours:evidence_delete", args=[d.pk, certificate.pk]))
    assert response["Location"] == f"{edit_url(d)}#item-{item.pk}"  # back at the item, not the top
    assert list(item.evidence.values_list("pk", flat=True)) == [notice.pk]
    assert not os.path.exists(stored) and os.path.exists(notice.file.path)
    assert item_problems(d, item)  # the certificate is missing again, and said so
    page = client.get(response["Location"])
    assert "已删除“completion_certificate.png”。" in text_of(page)
    # the next missing material is offered ticked
    assert 'name="material" value="completion_certificate" checked' in page.content.decode()


def test_files_cannot_be_deleted_once_submitted(client, p):
    d = complete_draft(p.song)
    evidence = Evidence.objects.filter(declaration=d, item__isnull=False).first()
    transitions.declaration_submit(declaration=d, user=p.song, pledge=True)
    client.force_login(p.song)
    response = client.post(reverse("hours:evidence_delete", args=[d.pk, evidence.pk]), follow=True)
    assert "提交后不能修改" in " ".join(messages_of(response))
    assert Evidence.objects.filter(pk=evidence.pk).exists()
    assert "删除“" not in text_of(client.get(reverse("hours:declaration_detail", args=[d.pk])))


# --- one scan for several materials --------------------------------------------------------------


def test_one_scan_ticked_for_three_materials_counts_for_each(client, p):
    d, record, item = a_paper(p.song)
    assert item_problems(d, item) == ["2023年度“湘西铅锌矿成矿规律研究”缺少：刊物封面", "2023年度“湘西铅锌矿成矿规律研究”缺少：刊号",
                                      "2023年度“湘西铅锌矿成矿规律研究”缺少：含论文标题和作者姓名的目录复印件"]
    client.force_login(p.song)
    response = client.post(upload_url(d, item), {"material": ALL_OF_A_PAPER, "files": [pdf("期刊扫描.pdf")]}, follow=True)
    assert "已上传1个文件。" in messages_of(response)
    [scan] = item.evidence.all()
    assert (scan.material, scan.materials) == ("journal_cover", ALL_OF_A_PAPER)
    assert not item_problems(d, item)
    assert "刊物封面 刊号 含论文标题和作者姓名的目录复印件 期刊扫描.pdf" in text_of(response)


def test_the_same_scan_again_serves_one_more_material(client, p, django_capture_on_commit_callbacks):
    d, record, item = a_paper(p.song)
    data = png_bytes()
    client.force_login(p.song)
    client.post(upload_url(d, item), {"material": ["journal_cover"], "files": [png("封面.png", data)]})
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(upload_url(d, item), {"material": ["journal_number"], "files": [png("封面.png", data)]}, follow=True)
    assert "文件“封面.png”已上传过，现同时作为“刊号”的佐证材料。" in messages_of(response)
    [scan] = item.evidence.all()
    assert scan.materials == ["journal_cover", "journal_number"]
    assert len(os.listdir(os.path.dirname(scan.file.path))) == 1  # the copy sent again is not kept
    # Nothing new in it: refused as a repeat (from another browser, where the guard against a
    # repeated POST does not answer), and nothing stored.
    again = another_browser(p.song).post(upload_url(d, item), {"material": ["journal_number"], "files": [png("封面.png", data)]}, follow=True)
    assert "文件“封面.png”已上传过，无需重复上传。" in messages_of(again)
    assert item.evidence.count() == 1


def test_the_next_missing_material_is_the_nearest_set_s(p):
    """Offered ticked: the first gap of the set of materials nearest to complete."""
    d, record, item = a_training(p.song)
    policy = policy_for(d.rule_set)
    facts = item.facts
    assert selectors.next_material(policy, "training", set(), facts) == "training_notice"
    assert selectors.next_material(policy, "training", {"training_notice"}, facts) == "completion_certificate"
    assert selectors.next_material(policy, "training", {"training_notice", "completion_certificate"}, facts) is None
    assert selectors.next_material(policy, "paper", {"journal_cover"}, PAPER) == "journal_number"
    abroad = {**PAPER, "abroad": True}
    assert selectors.next_material(policy, "paper", set(ALL_OF_A_PAPER), abroad) == "retrieval_proof"


# --- in place with htmx ----------------------------------------------------------------------------


def test_an_upload_in_place_is_answered_with_the_workspace_parts(client, p):
    d, record, item = a_training(p.song)
    client.force_login(p.song)
    response = client.post(upload_url(d, item), {"material": ["training_notice"], "files": [png("通知.png")]}, **HX)
    # The action redirects, so the guard against a repeated POST knows it; htmx follows with its own request.
    assert response.status_code == 302 and response["Location"] == f"{edit_url(d)}#item-{item.pk}"
    parts = client.get(response["Location"], **HX)
    html = parts.content.decode()
    assert parts.status_code == 200 and "<html" not in html and "<main" not in html
    assert re.search(rf'<li class="item" id="item-{item.pk}"', html) and "通知.png" in html
    status = re.search(r'<div id="workspace-status"[^>]*>(.*?)</div>\s*$', html, re.S).group(1)
    assert "已上传1个文件。" in status
    assert 'id="submit"' in html and 'id="meter-' in html
    assert 'name="material" value="completion_certificate" checked' in html
    # The page itself, loaded whole, shows the message at the top, not in the status line.
    page = client.get(edit_url(d))
    assert "<html" in page.content.decode() and 'id="workspace-status" class="workspace-status" role="status" aria-live="polite" tabindex="-1"></div>' in page.content.decode()


def test_an_item_saved_in_place_reopens_the_form_for_the_next(client, p):
    d = draft(p.song)
    record = services.year_record_add(declaration=d, user=p.song, year=2023)
    client.force_login(p.song)
    data = {"activity": "training", "subject": "public", "days": "4", "half_days": "0", "title": "公需科目培训班"}
    response = client.post(reverse("hours:item_add", args=[d.pk, record.pk]), data, follow=True, **HX)
    html = response.content.decode()
    assert "<html" not in html
    assert "已添加“培训班、研修班、进修班”：公需科目32学时" in text_of(response)
    assert f'id="item-form-{record.pk}"' in html and 'name="days"' in html  # empty, for the next item
    assert not response.context["facts_form"].is_bound


def test_a_failed_upload_leaves_no_page_that_posts_again(client, p):
    d, record, item = a_training(p.song)
    client.force_login(p.song)
    empty = SimpleUploadedFile("空白.png", b"", content_type="image/png")
    response = client.post(upload_url(d, item), {"material": ["training_notice"], "files": [empty]})
    assert response.status_code == 302 and response["Location"] == f"{edit_url(d)}#item-{item.pk}"
    # In place, the refusal is said in the status line of the parts htmx swaps in.
    broken = SimpleUploadedFile("通知.pdf", b"%PDF-1.4\n", content_type="application/pdf")
    response = client.post(upload_url(d, item), {"material": ["training_notice"], "files": [broken]}, follow=True, **HX)
    assert "<html" not in response.content.decode()
    assert re.search(r'<p class="message error">文件“通知.pdf”已损坏或不完整', response.content.decode())
    assert not item.evidence.exists()


@pytest.mark.parametrize("label, name, content, content_type", malformed_uploads(), ids=[u[0] for u in malformed_uploads()])
def test_an_upload_in_place_refuses_each_malformed_file(client, p, label, name, content, content_type):
    d, record, item = a_paper(p.song)
    client.force_login(p.song)
    upload = SimpleUploadedFile(name, content, content_type=content_type)
    response = client.post(upload_url(d, item), {"material": ALL_OF_A_PAPER, "files": [upload]}, follow=True, **HX)
    assert response.status_code == 200 and "<html" not in response.content.decode()
    assert re.search(r'<p class="message error">[^<]*(文件|提交的文件为空)', response.content.decode()), label
    assert not Evidence.objects.exists()


def test_each_action_in_place_sent_twice_is_done_once(client, p):
    """A double click on an upload, a save or a deletion: the second gets the first's answer (core/repeats.py)."""
    d, record, item = a_training(p.song)
    client.force_login(p.song)
    data = png_bytes()
    for _ in range(2):
        response = client.post(upload_url(d, item), {"material": ["training_notice"], "files": [png("通知.png", data)]}, follow=True, **HX)
    assert messages_of(response) == [REPEATED] and item.evidence.count() == 1
    add = {"activity": "training", "subject": "professional", "days": "2", "half_days": "0"}
    for _ in range(2):
        response = client.post(reverse("hours:item_add", args=[d.pk, record.pk]), add, follow=True, **HX)
    assert messages_of(response) == [REPEATED] and Item.objects.filter(year_record=record).count() == 2
    evidence = item.evidence.get()
    for _ in range(2):
        response = client.post(reverse("hours:evidence_delete", args=[d.pk, evidence.pk]), follow=True, **HX)
    assert messages_of(response) == [REPEATED] and not item.evidence.exists()
    assert "<html" not in response.content.decode()


def test_in_place_on_a_declaration_submitted_meanwhile_the_whole_page_changes(client, p):
    """What htmx would get is not the workspace: it is told to load the page the action leads to,
    whose message is kept for it."""
    d = complete_draft(p.song)
    item = Item.objects.get(year_record__declaration=d)
    client.force_login(p.song)
    another_browser(p.song).post(reverse("hours:declaration_submit", args=[d.pk]), {"pledge": "on"})
    detail = reverse("hours:declaration_detail", args=[d.pk])
    response = client.post(upload_url(d, item), {"material": ["training_notice"], "files": [png()]}, **HX)
    assert response.status_code == 204 and response["HX-Redirect"] == detail
    response = client.post(reverse("hours:item_add", args=[d.pk, item.year_record_id]), {"activity": "training"}, **HX)
    assert response["HX-Redirect"] == detail
    assert client.get(edit_url(d), **HX)["HX-Redirect"] == detail
    assert "提交后不能修改" in " ".join(messages_of(client.get(detail)))


# --- step 6 ------------------------------------------------------------------------------------------


def test_step_6_starts_from_last_year_and_the_previous_answers(client, p):
    last_year = timezone.localdate().year - 1
    client.force_login(p.zhao)  # a first declaration: nothing to take over
    form = client.get(reverse("hours:declaration_new")).context["form"]
    assert (form["start_year"].value(), form["end_year"].value()) == (last_year, last_year)
    assert not form["title_sought"].value() and not form["specialty"].value()
    draft(p.song, title_sought="中级", category="经济", specialty="统计分析")
    client.force_login(p.song)
    form = client.get(reverse("hours:declaration_new")).context["form"]
    assert (form["title_sought"].value(), form["category"].value(), form["specialty"].value()) == ("中级", "经济", "统计分析")


def test_a_new_declaration_of_an_approved_year_is_asked_about_first(client, p):
    done = approved(p)  # 宋庆涛, 2023
    client.force_login(p.song)
    page = client.get(reverse("hours:declaration_new"))
    assert f"2023年度（业务编号 {done.business_no}）" in text_of(page)  # said before anything is typed
    response = client.post(reverse("hours:declaration_new"), form_data_for_new(start_year="2022", end_year="2023"))
    assert response.status_code == 200
    assert f"2023年度已于申报 {done.business_no} 中审核通过。" in text_of(response)
    assert response.context["form"].errors["again"] == ["请确认再次申报已审核通过的年度，或修改申报年度。"]
    assert 'name="again"' in response.content.decode()
    assert not Declaration.objects.filter(applicant=p.song, state=State.DRAFT).exists()
    # Another span is not asked about; confirmed, the span is saved.
    client.post(reverse("hours:declaration_new"), form_data_for_new(start_year="2021", end_year="2022"))
    assert Declaration.objects.filter(applicant=p.song, state=State.DRAFT, start_year=2021).exists()
    client.post(reverse("hours:declaration_new"), form_data_for_new(start_year="2022", end_year="2023", again="on"))
    assert Declaration.objects.filter(applicant=p.song, state=State.DRAFT, start_year=2022, end_year=2023).exists()


def test_the_unit_declaring_for_someone_is_asked_too(client, p):
    done = approved(p, applicant=p.zhao)
    client.force_login(p.chen)
    url = reverse("hours:proxy_new", args=[p.zhao.pk])
    response = client.post(url, form_data_for_new())
    assert f"2023年度已于申报 {done.business_no} 中审核通过。" in text_of(response)
    assert not Declaration.objects.filter(applicant=p.zhao, state=State.DRAFT).exists()
    client.post(url, form_data_for_new(again="on"))
    assert Declaration.objects.filter(applicant=p.zhao, state=State.DRAFT, declared_by=p.chen).exists()


def test_a_draft_s_span_grown_into_an_approved_year_is_asked_about(client, p):
    done = approved(p)  # 2023
    d = draft(p.song, start_year=2021, end_year=2022)
    client.force_login(p.song)
    url = reverse("hours:declaration_applicant_edit", args=[d.pk])
    response = client.post(url, form_data_for_new(start_year="2021", end_year="2023"))
    assert f"2023年度已于申报 {done.business_no} 中审核通过。" in text_of(response)
    assert fresh(d).end_year == 2022
    client.post(url, form_data_for_new(start_year="2021", end_year="2023", again="on"))
    assert fresh(d).end_year == 2023
    # Saved again with the same span, the years it has are not asked about again.
    assert client.post(url, form_data_for_new(start_year="2021", end_year="2023", phone="13800000000")).status_code == 302


# --- the detail page ---------------------------------------------------------------------------------


def test_the_detail_page_lists_the_materials(client, p):
    d = complete_draft(p.song)
    transitions.declaration_submit(declaration=d, user=p.song, pledge=True)
    client.force_login(p.song)
    page = text_of(client.get(reverse("hours:declaration_detail", args=[d.pk])))
    assert "佐证材料" in page
    assert "2023年度 · 培训班、研修班、进修班 培训通知 training_notice.png" in page
    assert "结业证书 completion_certificate.png" in page
    assert "学历信息【1】 学历证书.pdf" in page and "委托审批函【0】 未上传" in page
    assert "删除" not in page


def more_items(d, user, record, n):
    for k in range(n):
        item = add_item(d, user, record, facts={"subject": "public", "days": 1, "half_days": k, "title": f"培训{k}"})
        attach_item_files(d, user, item)


def test_the_workspace_and_its_parts_take_as_many_queries_with_more_items_and_files(client, p):
    d, record, item = a_training(p.song)
    attach_item_files(d, p.song, item)
    assert_same_queries(client, p.song, edit_url(d), lambda: more_items(d, p.song, record, 6))
    # The parts htmx asks for after each action, likewise.
    d, record, item = a_training(p.zhao)
    client.force_login(p.zhao)
    client.get(edit_url(d), **HX)  # the signed-in person read into the cache, as for the after
    with CaptureQueriesContext(connection) as before:
        client.get(edit_url(d), **HX)
    more_items(d, p.zhao, record, 4)
    with CaptureQueriesContext(connection) as after:
        assert "<html" not in client.get(edit_url(d), **HX).content.decode()
    assert len(after.captured_queries) == len(before.captured_queries)


def test_a_script_attaching_the_same_file_per_material_keeps_a_row_each(p, media):
    """Without `join` (the demo loader attaches a file per material), the same bytes for another
    material are another row, as before; for the same material, a repeat."""
    d, record, item = a_training(p.song)
    data = png_bytes()
    for code in ("training_notice", "completion_certificate"):
        services.evidence_add(declaration=d, user=p.song, category="item", item=item, material=code, upload=png("扫描.png", data))
    assert sorted(item.evidence.values_list("material", flat=True)) == ["completion_certificate", "training_notice"]
    with pytest.raises(ValidationError) as caught:
        services.evidence_add(declaration=d, user=p.song, category="item", item=item, material="training_notice", upload=png("扫描.png", data))
    assert caught.value.code == "duplicate"
