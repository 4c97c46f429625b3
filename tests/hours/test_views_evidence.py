"""Evidence files through the views: uploads (several files at once, refused ones explained),
and the download view evidence_file — served only after the declaration's own access rule,
attachment by default, inline preview only for images and PDF, never sniffed by the browser,
under the original Chinese file name."""
import io
import os
import zipfile
from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook
from openpyxl.packaging.custom import StringProperty

from hours import services
from hours.models import Evidence, EvidenceCategory
from hours import transitions
from workflow.models import State
from tests.helpers import text_of
from tests.hours.fixtures_views import *  # noqa: F401,F403

pytestmark = pytest.mark.usefixtures("media")

DOCX_NAME = "论文.docx"


def docx_bytes():
    """A minimal .docx: a zip with [Content_Types].xml and a word/ part."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        archive.writestr("word/document.xml", '<?xml version="1.0"?><document/>')
    return out.getvalue()


@pytest.fixture
def files(p):
    """宋庆涛's draft with a PNG, a PDF and a .docx, each with a Chinese name."""
    d = draft(p.song)
    record, item = year_with_training(d, p.song)
    png_data, pdf_data = png_bytes(), pdf_bytes()

    evidence = {
        "png": services.evidence_add(declaration=d, user=p.song, category=EvidenceCategory.ITEM, item=item,
                                     material="completion_certificate", upload=png("结业证书（2023）.png", png_data)),
        "pdf": services.evidence_add(declaration=d, user=p.song, category=EvidenceCategory.EDUCATION, upload=pdf("硕士 学位证书.pdf", pdf_data)),
        "docx": services.evidence_add(declaration=d, user=p.song, category=EvidenceCategory.DECLARATION,
                                      upload=SimpleUploadedFile(DOCX_NAME, docx_bytes())),
    }
    return d, evidence, {"png": png_data, "pdf": pdf_data}


def download(client, evidence, preview=False):
    url = reverse("hours:evidence_file", args=[evidence.pk]) + ("?preview=1" if preview else "")
    return client.get(url)


def body(response):
    return b"".join(response.streaming_content)


def test_attachment_by_default_with_the_chinese_name(client, p, files):
    d, evidence, data = files
    client.force_login(p.song)
    for kind, content_type in (("png", "image/png"), ("pdf", "application/pdf")):
        response = download(client, evidence[kind])
        assert response.status_code == 200
        assert response["Content-Type"] == content_type
        disposition = response["Content-Disposition"]
        assert disposition.startswith("attachment;")
        assert f"filename*=utf-8''{quote(evidence[kind].original_name)}" in disposition
        assert response["X-Content-Type-Options"] == "nosniff"
        assert "no-store" in response["Cache-Control"]
        assert body(response) == data[kind]


def test_preview_is_inline_for_images_and_pdf_only(client, p, files):
    d, evidence, data = files
    client.force_login(p.song)
    for kind in ("png", "pdf"):
        response = download(client, evidence[kind], preview=True)
        assert response["Content-Disposition"].startswith("inline;"), kind
        assert quote(evidence[kind].original_name) in response["Content-Disposition"]
        assert response["X-Content-Type-Options"] == "nosniff"
        assert body(response) == data[kind]
    response = download(client, evidence["docx"], preview=True)
    assert response["Content-Disposition"].startswith("attachment;")
    assert quote(DOCX_NAME) in response["Content-Disposition"]
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_the_original_name_survives_a_path_in_the_upload_name(client, p):
    d = draft(p.song)
    client.force_login(p.song)
    client.post(reverse("hours:evidence_upload", args=[d.pk]), {"category": "education", "files": [png("C:\\照片\\毕业证.png")]})
    evidence = Evidence.objects.get(declaration=d)
    assert evidence.original_name == "毕业证.png"
    assert "照片" not in evidence.file.name and "毕业证" not in evidence.file.name  # stored under a server-made name
    assert quote("毕业证.png") in download(client, evidence)["Content-Disposition"]


def test_reviewers_in_jurisdiction_can_download(client, p, files):
    d, evidence, data = files
    transitions.declaration_submit(declaration=complete(d), user=p.song, pledge=True)
    for reviewer in (p.chen, p.dzy_admin, p.zrzy_admin, p.hn_clerk):
        client.force_login(reviewer)
        response = download(client, evidence["png"])
        assert response.status_code == 200, reviewer
        assert body(response) == data["png"]


def test_everyone_else_gets_404(client, p, files):
    d, evidence, _ = files
    # while a draft, even the unit's administrator may not open it
    client.force_login(p.chen)
    assert download(client, evidence["png"]).status_code == 404
    transitions.declaration_submit(declaration=complete(d), user=p.song, pledge=True)
    for outsider in (p.zhao, p.wang, p.dzcl_admin, p.hnsd_admin, p.cs_clerk, p.csyy_admin):
        client.force_login(outsider)
        for e in evidence.values():
            assert download(client, e).status_code in (403, 404), outsider
    for outsider in (p.zhao, p.dzcl_admin, p.cs_clerk):
        client.force_login(outsider)
        assert download(client, evidence["pdf"], preview=True).status_code == 404
    client.force_login(p.song)
    assert client.get(reverse("hours:evidence_file", args=[999999])).status_code == 404


def test_anonymous_download_goes_to_login(client, files):
    _, evidence, _ = files
    response = download(client, evidence["png"])
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))


# --- uploads ------------------------------------------------------------------------------------


def test_several_files_in_one_upload(client, p):
    d = draft(p.song)
    client.force_login(p.song)
    response = client.post(
        reverse("hours:evidence_upload", args=[d.pk]),
        {"category": "hours", "files": [png("学时证明一.png"), pdf("学时证明二.pdf"), png("学时证明三.png")]},
        follow=True,
    )
    assert "已上传3个文件。" in messages_of(response)
    assert sorted(Evidence.objects.filter(declaration=d).values_list("original_name", flat=True)) == sorted(
        ["学时证明一.png", "学时证明二.pdf", "学时证明三.png"]
    )
    assert set(Evidence.objects.filter(declaration=d).values_list("category", flat=True)) == {"hours"}


def test_a_bad_file_is_refused_and_the_good_ones_kept(client, p):
    d = draft(p.song)
    client.force_login(p.song)
    response = client.post(
        reverse("hours:evidence_upload", args=[d.pk]),
        {"category": "education", "files": [SimpleUploadedFile("病毒.pdf", b"MZ\x90\x00 not a pdf"), png("毕业证.png"),
                                             SimpleUploadedFile("照片.png", pdf_bytes())]},
        follow=True,
    )
    shown = messages_of(response)
    assert "已上传1个文件。" in shown
    assert "文件“病毒.pdf”的内容不是允许的格式。只能上传jpg、jpeg、png、doc、docx、pdf文件，且不超过20M。" in shown
    assert any(m.startswith("文件“照片.png”的扩展名与内容不符") for m in shown)
    assert list(Evidence.objects.filter(declaration=d).values_list("original_name", flat=True)) == ["毕业证.png"]



def xlsx_bytes(*, workbook_last=False):
    """A real workbook (openpyxl): a zip with [Content_Types].xml and xl/ parts. Its xl/ parts among
    its first five, filetype names it xlsx; `workbook_last` writes them after five others (and a
    custom property, a sixth part), so filetype sees only a zip and the parts must decide."""
    workbook = Workbook()
    workbook.active.append(["姓名", "学时"])
    workbook.active.append(["宋庆涛", 16])
    workbook.custom_doc_props.append(StringProperty(name="部门", value="人事处"))
    out = io.BytesIO()
    workbook.save(out)
    if not workbook_last:
        return out.getvalue()
    with zipfile.ZipFile(out) as source:
        names = sorted(source.namelist(), key=lambda n: n.startswith("xl/"))
        parts = [(n, source.read(n)) for n in names]
    reordered = io.BytesIO()
    with zipfile.ZipFile(reordered, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts:
            archive.writestr(name, data)
    return reordered.getvalue()


@pytest.mark.parametrize("workbook_last", [False, True], ids=["xl-parts-first", "xl-parts-last"])
@pytest.mark.parametrize("view", ["hours:evidence_upload", "hours:item_evidence_upload"])
def test_a_workbook_renamed_docx_is_refused_and_nothing_is_stored(client, p, media, view, workbook_last):
    """A zip with [Content_Types].xml is not yet a Word file: a workbook named .docx is refused
    for its content, on the materials form and on an item's, and leaves no row and no file."""
    d = draft(p.song)
    _, item = year_with_training(d, p.song)
    client.force_login(p.song)
    if view == "hours:item_evidence_upload":
        url, data = reverse(view, args=[d.pk, item.pk]), {"material": "completion_certificate"}
    else:
        url, data = reverse(view, args=[d.pk]), {"category": "hours"}
    upload = SimpleUploadedFile("x.docx", xlsx_bytes(workbook_last=workbook_last))
    response = client.post(url, {**data, "files": [upload]}, follow=True)
    refusal = "文件“x.docx”的内容不是允许的格式。只能上传jpg、jpeg、png、doc、docx、pdf文件，且不超过20M。"
    assert messages_of(response) == [refusal]
    assert refusal in text_of(response)
    assert not Evidence.objects.filter(declaration=d).exists()
    assert [f for f in media.rglob("*") if f.is_file()] == []

def test_upload_without_files_or_category(client, p):
    """Refused with what is missing, and redirected back to the materials: a reload never sends it again."""
    d = draft(p.song)
    client.force_login(p.song)
    response = client.post(reverse("hours:evidence_upload", args=[d.pk]), {"category": "education"}, follow=True)
    assert response.redirect_chain == [(reverse("hours:declaration_edit", args=[d.pk]) + "#materials", 302)]
    assert messages_of(response) == ["请选取要上传的文件。只能上传jpg、jpeg、png、doc、docx、pdf文件，且不超过20M。"]
    response = client.post(reverse("hours:evidence_upload", args=[d.pk]), {"category": "item", "files": [png()]}, follow=True)
    assert messages_of(response)[0].startswith("材料类别：")
    assert not Evidence.objects.filter(declaration=d).exists()


def test_an_earlier_certificate_without_its_years_keeps_what_was_typed(client, p):
    d = draft(p.song)
    client.force_login(p.song)
    response = client.post(
        reverse("hours:evidence_upload", args=[d.pk]), {"category": "previous_certificate", "cover_from": "2019", "files": [pdf()]},
        follow=True,
    )
    assert messages_of(response)[0].startswith("认定单终止年度：请填写该学时认定单的终止年度。")
    assert 'name="cover_from" min="2000" max="2100" value="2019"' in response.content.decode()
    assert not Evidence.objects.filter(declaration=d).exists()


def test_item_evidence_upload(client, p):
    d = draft(p.song)
    _, item = year_with_training(d, p.song)
    client.force_login(p.song)
    url = reverse("hours:item_evidence_upload", args=[d.pk, item.pk])
    response = client.post(url, {"material": "training_notice", "files": [pdf("培训通知.pdf"), png("培训通知第2页.png")]}, follow=True)
    assert "已上传2个文件。" in messages_of(response)
    assert set(item.evidence.values_list("material", "category", "year")) == {("training_notice", "item", 2023)}
    # a material the item's rules do not list
    response = client.post(url, {"material": "patent_certificate", "files": [png()]}, follow=True)
    assert any(m.startswith("请勾选材料名称并选取文件。") for m in messages_of(response))
    assert item.evidence.count() == 2
    # the workspace shows what is still missing for the item
    page = client.get(reverse("hours:declaration_edit", args=[d.pk]))
    assert "培训通知.pdf" in page.content.decode()


def test_an_item_of_another_declaration_is_404(client, p):
    mine = draft(p.song)
    other = draft(p.zhao)
    _, item = year_with_training(other, p.zhao)
    client.force_login(p.song)
    response = client.post(reverse("hours:item_evidence_upload", args=[mine.pk, item.pk]), {"material": "training_notice", "files": [png()]})
    assert response.status_code == 404
    assert not Evidence.objects.exists()


def test_evidence_delete(client, p, files, django_capture_on_commit_callbacks):
    d, evidence, _ = files
    client.force_login(p.song)
    stored = evidence["pdf"].file.path
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("hours:evidence_delete", args=[d.pk, evidence["pdf"].pk]), follow=True)
    assert "已删除“硕士 学位证书.pdf”。" in messages_of(response)
    assert not Evidence.objects.filter(pk=evidence["pdf"].pk).exists()
    assert not os.path.exists(stored)
    assert fresh(d).state == State.DRAFT


def test_item_upload_without_files(client, p):
    d = draft(p.song)
    _, item = year_with_training(d, p.song)
    client.force_login(p.song)
    response = client.post(reverse("hours:item_evidence_upload", args=[d.pk, item.pk]), {"material": "training_notice"}, follow=True)
    assert any(m.startswith("请勾选材料名称并选取文件。") for m in messages_of(response))
    assert response.redirect_chain == [(reverse("hours:declaration_edit", args=[d.pk]) + f"#item-{item.pk}", 302)]
    assert not item.evidence.exists()
