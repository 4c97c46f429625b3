"""The applicant's pages (hours/views.py) on the demo province: the 申请列表 with its status filters
and per-status actions, step 6, the workspace (years, items, live preview, uploads), submit with
the pledge, withdraw, delete — and who may open or post to any of them."""
import pytest
from django.urls import reverse

from hours import services
from hours.models import Declaration, Evidence, Item, YearRecord
from hours import transitions
from workflow.models import Action, State
from core.repeats import REPEATED
from tests.helpers import another_browser, text_of
from tests.hours.fixtures_views import *  # noqa: F401,F403

URL = "hours:declaration_list"


def login(client, user):
    client.force_login(user)
    return client


def list_page(client, status=None):
    url = reverse(URL) + (f"?status={status}" if status else "")
    response = client.get(url)
    assert response.status_code == 200
    return response


def edit_url(d):
    return reverse("hours:declaration_edit", args=[d.pk])


# --- 申请列表: status filters and actions ------------------------------------------------------------


@pytest.fixture
def four(p, media):
    """宋庆涛 with one declaration in each status the list filters on."""
    return {
        "draft": draft(p.song),
        "pending": at_state(p, State.SUPERIOR_REVIEW),
        "approved": approved(p),
        "rejected": rejected(p),
    }


@pytest.mark.parametrize(
    "status, shown",
    [
        (None, {"draft", "pending", "approved", "rejected"}),
        ("all", {"draft", "pending", "approved", "rejected"}),
        ("draft", {"draft"}),
        ("pending", {"pending"}),
        ("approved", {"approved"}),
        ("rejected", {"rejected"}),
        ("nonsense", {"draft", "pending", "approved", "rejected"}),
    ],
)
def test_list_filters_show_the_right_rows(client, p, four, status, shown):
    page = list_page(login(client, p.song), status)
    for kind, d in four.items():
        assert (row_of(page, d.business_no) is not None) == (kind in shown), (status, kind)
    # the active tab is the one asked for
    label = {"draft": "待提交", "pending": "待审核", "approved": "审核通过", "rejected": "审核不通过"}.get(status, "全部")
    assert f'aria-current="page" class="active">{label}</a>' in page.content.decode()


def test_list_filters_by_each_pending_level(client, p, media):
    waiting = [at_state(p, s) for s in (State.UNIT_REVIEW, State.SUPERIOR_REVIEW, State.BUREAU_REVIEW)]
    page = list_page(login(client, p.song), "pending")
    assert all(row_of(page, d.business_no) for d in waiting)
    assert not row_of(list_page(client, "draft"), waiting[0].business_no)


def test_list_shows_only_my_declarations(client, p, four):
    mine = draft(p.zhao)
    page = list_page(login(client, p.zhao))
    assert row_of(page, mine.business_no)
    assert not any(row_of(page, d.business_no) for d in four.values())


def actions(row):
    return {a for a in ("提交", "修改", "删除", "撤销", "查看") if f">{a}</" in row}


def test_actions_per_status(client, p, four):
    page = list_page(login(client, p.song))
    assert actions(row_of(page, four["draft"].business_no)) == {"提交", "修改", "删除", "查看"}
    assert actions(row_of(page, four["pending"].business_no)) == {"撤销", "查看"}
    assert actions(row_of(page, four["approved"].business_no)) == {"查看"}
    # returned by a reviewer: editable and resubmittable, but its review record is kept (no 删除)
    rejected_row = row_of(page, four["rejected"].business_no)
    assert actions(rejected_row) == {"提交", "修改", "查看"}
    assert "佐证材料不清晰" in rejected_row  # 审核不通过意见
    assert "审核通过" in row_of(page, four["approved"].business_no)
    assert "待上级单位审核" in row_of(page, four["pending"].business_no)


def test_list_masks_identity_and_phone(client, p, four):
    row = row_of(list_page(login(client, p.song)), four["draft"].business_no)
    assert p.song.id_number not in row and "18899098765" not in row


# --- step 6 -------------------------------------------------------------------------------------


def test_new_declaration_prefills_the_applicant(client, p):
    page = login(client, p.song).get(reverse("hours:declaration_new"))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'value="宋庆涛"' in html and "湖南省地质研究所" in html
    assert 'value="18899098765"' in html


def test_new_declaration_missing_required_fields(client, p):
    response = login(client, p.song).post(
        reverse("hours:declaration_new"),
        form_data_for_new(name="", title_sought="", category="", specialty="", start_year="", remark="请核实2019年度"),
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert "name" not in form.errors  # the account's name, not posted (tests/hours/test_declaration_identity.py)
    for field in ("title_sought", "category", "specialty", "start_year"):
        assert form.errors[field] == ["这个字段是必填项。"], field
    html = response.content.decode()
    # what was typed is kept
    assert 'value="18899098765"' in html and "请核实2019年度" in html
    assert '<option value="硕士研究生" selected>' in html and '<option value="土家族" selected>' in html
    assert "请按提示修改标红的内容后重新提交。" in text_of(response)
    assert not Declaration.objects.filter(applicant=p.song).exists()


def test_new_declaration_end_year_before_start_year(client, p):
    response = login(client, p.song).post(
        reverse("hours:declaration_new"), form_data_for_new(start_year="2023", end_year="2021", specialty="岩土工程")
    )
    assert response.status_code == 200
    assert response.context["form"].errors["end_year"] == ["终止年度不能早于起始年度。"]
    html = response.content.decode()
    assert 'value="岩土工程"' in html
    assert '<option value="2023" selected>' in html and '<option value="2021" selected>' in html
    assert not Declaration.objects.filter(applicant=p.song).exists()


@pytest.mark.parametrize("phone", ["12345", "1889909876", "abcdefghijk", "0731-123"])
def test_new_declaration_bad_phone(client, p, phone):
    response = login(client, p.song).post(reverse("hours:declaration_new"), form_data_for_new(phone=phone))
    assert response.status_code == 200
    assert response.context["form"].errors["phone"] == ["联系电话格式不正确，请输入11位手机号码或带区号的固定电话。"]
    assert f'value="{phone}"' in response.content.decode()
    assert not Declaration.objects.filter(applicant=p.song).exists()


def test_new_declaration_refused_while_membership_unconfirmed(client, demo):
    he = demo.account("applicant_pending")
    response = login(client, he).post(reverse("hours:declaration_new"), form_data_for_new(name=he.name))
    assert response.status_code == 200
    assert "您的工作单位尚未确认" in text_of(response)
    assert not Declaration.objects.filter(applicant=he).exists()


def test_new_declaration_saves_and_opens_the_workspace(client, p):
    response = login(client, p.song).post(reverse("hours:declaration_new"), form_data_for_new(phone="188 9909 8765"))
    d = Declaration.objects.get(applicant=p.song)
    assert response.status_code == 302 and response["Location"] == edit_url(d)
    assert (d.state, d.phone, d.start_year, d.end_year, d.declared_by) == (State.DRAFT, "18899098765", 2023, 2023, None)
    page = client.get(response["Location"])
    assert f"已暂存，业务编号 {d.business_no}" in text_of(page)


# --- years and items ----------------------------------------------------------------------------


def test_year_add_duplicate_year(client, p):
    d = draft(p.song, start_year=2021, end_year=2023)
    login(client, p.song)
    assert client.post(reverse("hours:year_add", args=[d.pk]), {"year": "2022"}).status_code == 302
    other = another_browser(p.song)
    response = other.post(reverse("hours:year_add", args=[d.pk]), {"year": "2022"})
    # Refused, and redirected: a reload of the page shown never sends the form again.
    assert response.status_code == 302 and response["Location"] == edit_url(d) + "#years"
    shown = messages_of(other.get(response["Location"]))
    assert shown == ["年度：年度应在申报年度2021–2023年之内，且每个年度只能填写一次明细（已填写：2022年）。"]
    assert list(YearRecord.objects.filter(declaration=d).values_list("year", "months_away")) == [(2022, 0)]


@pytest.mark.parametrize("year", ["2020", "2024", "1999", "abc", ""])
def test_year_add_outside_the_span(client, p, year):
    d = draft(p.song, start_year=2021, end_year=2023)
    response = login(client, p.song).post(reverse("hours:year_add", args=[d.pk]), {"year": year}, follow=True)
    assert response.redirect_chain == [(edit_url(d) + "#years", 302)]
    expected = "请选择年度。" if year == "" else "年度：年度应在申报年度2021–2023年之内，且每个年度只能填写一次明细。"
    assert messages_of(response) == [expected]
    assert not YearRecord.objects.filter(declaration=d).exists()


def test_the_span_gives_its_years_and_no_year_form_is_left(client, p):
    """Step 6 saved with a span makes a year record for each of its years: the applicant adds items
    straight away, and 新增年度明细 is offered only for a year deleted since."""
    response = login(client, p.song).post(reverse("hours:declaration_new"), form_data_for_new(start_year="2021", end_year="2023"), follow=True)
    d = Declaration.objects.get(applicant=p.song)
    assert list(d.year_records.values_list("year", flat=True)) == [2021, 2022, 2023]
    page = text_of(response)
    assert "2021年度" in page and "2023年度" in page and "新增年度明细" not in page
    client.post(reverse("hours:year_delete", args=[d.pk, d.year_records.get(year=2022).pk]))
    page = client.get(edit_url(d))
    assert "新增年度明细" in text_of(page)
    assert [v for v, _ in page.context["year_form"].fields["year"].choices if v] == [2022]


def test_a_span_grown_on_step_6_gets_the_new_years(client, p):
    d = draft(p.song, start_year=2022, end_year=2023)
    services.year_record_add(declaration=d, user=p.song, year=2023)  # 2022 left out on purpose
    login(client, p.song).post(
        reverse("hours:declaration_applicant_edit", args=[d.pk]), form_data_for_new(start_year="2020", end_year="2023")
    )
    assert list(d.year_records.values_list("year", flat=True)) == [2020, 2021, 2023]


def item_url(d, record):
    return reverse("hours:item_add", args=[d.pk, record.pk])


@pytest.mark.parametrize(
    "facts, field, message",
    [
        ({"days": "-1"}, "days", "确保该值大于或等于0。"),
        ({"days": "abc"}, "days", "输入整数。"),
        ({"half_days": "abc"}, "half_days", "输入整数。"),
        ({"subject": ""}, "subject", "这个字段是必填项。"),
        ({"subject": "leisure"}, "subject", None),
    ],
)
def test_item_add_with_bad_facts(client, p, facts, field, message):
    d = draft(p.song)
    record = services.year_record_add(declaration=d, user=p.song, year=2023)
    data = {"activity": "training", "subject": "public", "days": "2", "half_days": "0", "title": "地质灾害防治培训", **facts}
    response = login(client, p.song).post(item_url(d, record), data)
    # Refused and redirected to the form (kept for that page), so a reload never sends it again.
    location = response["Location"]
    assert response.status_code == 302 and location == f"{edit_url(d)}?year={record.pk}&activity=training#item-form-{record.pk}"
    response = client.get(location)
    errors = response.context["facts_form"].errors[field]
    assert errors and (message is None or errors == [message]) and any("\u4e00" <= ch <= "\u9fff" for ch in errors[0])
    html = response.content.decode()
    assert 'value="地质灾害防治培训"' in html  # what was typed is kept
    bad = facts.get(field)
    if bad and field != "subject":
        assert f'value="{bad}"' in html
    assert not Item.objects.filter(year_record=record).exists()
    # Kept for one page only: loaded again, the form is empty.
    assert not client.get(location).context["facts_form"].is_bound


def test_a_refused_item_is_kept_with_the_services_reason(client, p):
    """What the rules refuse after the form's own checks (a second item of the same work) comes back beside the field."""
    d = draft(p.song)
    record = services.year_record_add(declaration=d, user=p.song, year=2023)
    paper = {"activity": "paper", "author_rank": "1", "abroad": "false", "title": "湘西铅锌矿成矿规律研究"}
    login(client, p.song).post(item_url(d, record), paper)
    response = another_browser(p.song).post(item_url(d, record), paper, follow=True)
    form = response.context["facts_form"]
    assert form.errors["title"] == ["“湘西铅锌矿成矿规律研究”已在2023年度申报，同一论文题目只能申报一次。"]
    assert 'value="湘西铅锌矿成矿规律研究"' in response.content.decode()
    assert Item.objects.filter(year_record=record).count() == 1


def test_the_counted_year_is_the_blocks_own(client, p):
    """Inside a year's block the item form does not offer another year: the counted-year fact
    (培训年度, 发表年度 …) is shown fixed, and a year posted anyway is not taken."""
    d = draft(p.song, start_year=2022, end_year=2023)
    record = services.year_record_add(declaration=d, user=p.song, year=2023)
    login(client, p.song)
    page = client.get(edit_url(d), {"year": record.pk, "activity": "paper"})
    year_field = page.context["facts_form"]["year"]
    assert year_field.field.disabled and year_field.value() == 2023
    assert 'name="year" value="2023"' in page.content.decode() and "disabled" in str(year_field)
    data = {"activity": "paper", "author_rank": "1", "abroad": "false", "title": "湘西铅锌矿成矿规律研究", "year": "2022"}
    response = client.post(item_url(d, record), data, follow=True)
    item = Item.objects.get(year_record=record)
    assert item.counted_year == 2023 and item.facts["year"] == 2023
    assert "计入2023年度" in messages_of(response)[0]


def test_half_days_start_at_none(client, p):
    d = draft(p.song)
    record = services.year_record_add(declaration=d, user=p.song, year=2023)
    form = login(client, p.song).get(edit_url(d), {"year": record.pk, "activity": "training"}).context["facts_form"]
    assert form["half_days"].value() == 0 and form["days"].value() is None


def test_item_add_without_activity(client, p):
    d = draft(p.song)
    record = services.year_record_add(declaration=d, user=p.song, year=2023)
    response = login(client, p.song).post(item_url(d, record), {"activity": "", "days": "1"}, follow=True)
    assert "请选择学习形式。" in messages_of(response)
    assert not Item.objects.filter(year_record=record).exists()


def test_item_add_computes_hours(client, p):
    d = draft(p.song)
    record = services.year_record_add(declaration=d, user=p.song, year=2023)
    data = {"activity": "training", "subject": "professional", "days": "3", "half_days": "1", "title": "岩土工程勘察研修班"}
    response = login(client, p.song).post(item_url(d, record), data, follow=True)
    item = Item.objects.get(year_record=record)
    assert (item.public_hours, item.professional_hours, item.counted_year) == (0, 28, 2023)
    assert "已添加“培训班、研修班、进修班”：公需科目0学时，专业科目28学时，计入2023年度。" in messages_of(response)
    assert fresh(d).total_professional == 28


@pytest.mark.parametrize(
    "query, expected",
    [
        ({"activity": "training", "subject": "public", "days": "2", "half_days": "1"}, "折算学时：公需科目 20 学时，专业科目 0 学时"),
        ({"activity": "paper", "author_rank": "2", "title": "湘西铅锌矿成矿规律研究"}, "折算学时：公需科目 0 学时，专业科目 10 学时"),
        ({"activity": "digital_exam", "modules": "2"}, "专业科目 40 学时"),
        ({"activity": "training", "subject": "public", "days": "abc", "half_days": "0"}, "请完整填写带“*”的内容。"),
        ({"activity": ""}, "填写后自动计算折算学时。"),
    ],
)
def test_item_preview(client, p, query, expected):
    d = draft(p.song)
    record = services.year_record_add(declaration=d, user=p.song, year=2023)
    response = login(client, p.song).get(reverse("hours:item_preview", args=[d.pk, record.pk]), query, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert expected in text_of(response)
    assert "<html" not in response.content.decode()  # a fragment for htmx
    assert not Item.objects.exists()


def test_workspace_loads_the_fields_of_the_chosen_form(client, p):
    d = draft(p.song)
    record = services.year_record_add(declaration=d, user=p.song, year=2023)
    login(client, p.song)
    fragment = client.get(edit_url(d), {"year": record.pk, "activity": "paper"}, HTTP_HX_REQUEST="true")
    assert fragment.status_code == 200 and "<html" not in fragment.content.decode()
    assert "作者排名" in text_of(fragment) and "整天数" not in text_of(fragment)
    page = client.get(edit_url(d), {"year": record.pk, "activity": "training"})
    assert "整天数" in text_of(page) and "2023年度 · 培训班、研修班、进修班" in text_of(page)


# --- submit, withdraw, resubmit, delete ----------------------------------------------------------


def test_submit_without_pledge(client, p, media):
    d = complete_draft(p.song)
    response = login(client, p.song).post(reverse("hours:declaration_submit", args=[d.pk]), {}, follow=True)
    assert "请勾选“本人承诺以上信息真实有效”后再提交。" in messages_of(response)
    assert fresh(d).state == State.DRAFT and steps(d) == 0


def test_submit_without_pledge_never_leaves_the_site(client, p, media):
    d = complete_draft(p.song)
    response = login(client, p.song).post(reverse("hours:declaration_submit", args=[d.pk]), {"back": "https://evil.example/"})
    assert response.status_code == 302
    assert response["Location"] == edit_url(d)


def test_submit_with_missing_materials(client, p, media):
    d = draft(p.song)
    _, item = year_with_training(d, p.song)
    attach_item_files(d, p.song, item, "training_notice")  # the certificate (or sign-in sheet and schedule) is missing
    response = login(client, p.song).post(reverse("hours:declaration_submit", args=[d.pk]), {"pledge": "on"}, follow=True)
    assert response.redirect_chain[-1][0] == edit_url(d)
    [message] = messages_of(response)
    assert message.startswith("申报尚不完整：")
    assert "2023年度“培训班、研修班、进修班”" in message
    assert "请上传学历信息" in message and "请上传学时证明材料（学时上传）" in message
    # the workspace lists the same problems and keeps the button disabled
    page = text_of(response)
    assert "提交前请完成以下事项" in page and "请上传学历信息" in page
    assert fresh(d).state == State.DRAFT and steps(d) == 0


def test_submit_an_empty_declaration(client, p):
    d = draft(p.song)
    response = login(client, p.song).post(reverse("hours:declaration_submit", args=[d.pk]), {"pledge": "on"}, follow=True)
    assert "尚未填写任何年度明细" in messages_of(response)[0]
    assert fresh(d).state == State.DRAFT


def test_happy_path_through_the_views(client, p, media):
    """Create, add a year, two items, upload real files (a PNG drawn with Pillow, a PDF), submit,
    withdraw, resubmit — each through the pages the applicant uses."""
    login(client, p.song)
    response = client.post(reverse("hours:declaration_new"), form_data_for_new())
    d = Declaration.objects.get(applicant=p.song)
    assert response["Location"] == edit_url(d)

    record = YearRecord.objects.get(declaration=d)  # made with the span
    assert record.year == 2023

    for subject, days in (("public", "4"), ("professional", "8")):
        response = client.post(item_url(d, record), {"activity": "training", "subject": subject, "days": days, "half_days": "0"})
        assert response.status_code == 302
    items = list(Item.objects.filter(year_record=record).order_by("id"))
    assert [(i.public_hours, i.professional_hours) for i in items] == [(32, 0), (0, 64)]

    page = client.get(edit_url(d))
    assert "提交前请完成以下事项" in text_of(page)

    for item in items:
        response = client.post(
            reverse("hours:item_evidence_upload", args=[d.pk, item.pk]),
            {"material": "training_notice", "files": [pdf("培训通知.pdf"), png("培训通知（附件）.png")]},
        )
        assert response.status_code == 302
        client.post(reverse("hours:item_evidence_upload", args=[d.pk, item.pk]), {"material": "completion_certificate", "files": [png("结业证书.png")]})
    response = client.post(reverse("hours:evidence_upload", args=[d.pk]), {"category": "education", "files": [pdf("硕士学位证书.pdf")]}, follow=True)
    assert "已上传1个文件。" in messages_of(response)
    response = client.post(reverse("hours:evidence_upload", args=[d.pk]), {"category": "hours", "files": [png("学时汇总.png"), pdf("学时证明.pdf")]}, follow=True)
    assert "已上传2个文件。" in messages_of(response)
    assert Evidence.objects.filter(declaration=d).count() == 9
    assert set(Evidence.objects.filter(declaration=d).values_list("extension", flat=True)) == {".pdf", ".png"}

    page = client.get(edit_url(d))
    assert "申报内容已完整，可以提交。" in text_of(page)
    assert "合计" in text_of(page)

    response = client.post(reverse("hours:declaration_submit", args=[d.pk]), {"pledge": "on"}, follow=True)
    assert response.redirect_chain[-1][0] == reverse(URL)
    assert f"申报 {d.business_no} 已提交，等待审核。" in messages_of(response)[0]
    row = fresh(d)
    assert (row.state, row.current_org, row.total_public, row.total_professional) == (State.UNIT_REVIEW, p.dzyjs, 32, 64)
    assert row.pledged_at is not None

    response = client.post(reverse("hours:declaration_withdraw", args=[d.pk]), follow=True)
    assert f"申报 {d.business_no} 已撤销，可修改后重新提交。" in messages_of(response)
    assert fresh(d).state == State.DRAFT and fresh(d).current_org is None
    assert actions(row_of(response, d.business_no)) == {"提交", "修改", "查看"}  # submitted once: no 删除

    response = client.post(reverse("hours:declaration_submit", args=[d.pk]), {"pledge": "on"}, follow=True)
    assert fresh(d).state == State.UNIT_REVIEW
    assert list(row.steps.values_list("action", flat=True)) == [Action.SUBMIT, Action.WITHDRAW, Action.SUBMIT]

    detail = client.get(reverse("hours:declaration_detail", args=[d.pk]))
    assert detail.status_code == 200
    timeline = text_of(detail)
    assert timeline.count("提交 · 宋庆涛") == 2 and "撤销 · 宋庆涛" in timeline
    assert "当前环节：待单位审核（湖南省地质研究所）" in timeline


def test_double_submit(client, p, media):
    d = complete_draft(p.song)
    login(client, p.song)
    url = reverse("hours:declaration_submit", args=[d.pk])
    first = client.post(url, {"pledge": "on"}, follow=True)
    second = client.post(url, {"pledge": "on"}, follow=True)
    assert "已提交" in messages_of(first)[0]
    assert messages_of(second) == [REPEATED]
    assert second.redirect_chain[-1][0] == reverse(URL)
    # From another browser the declaration's own state answers.
    third = another_browser(p.song).post(url, {"pledge": "on"}, follow=True)
    assert messages_of(third) == ["该申报当前为“待单位审核”，不能提交。"]
    assert steps(d, action=Action.SUBMIT) == 1
    assert fresh(d).state == State.UNIT_REVIEW


def test_delete_a_draft(client, p, media):
    d = complete_draft(p.song)
    response = login(client, p.song).post(reverse("hours:declaration_delete", args=[d.pk]), follow=True)
    assert f"申报 {d.business_no} 已删除。" in messages_of(response)
    assert not Declaration.objects.filter(pk=d.pk).exists()
    assert not Evidence.objects.filter(declaration_id=d.pk).exists()
    assert not row_of(response, d.business_no)


def test_a_resubmitted_declaration_cannot_be_deleted(client, p):
    d = rejected(p)
    response = login(client, p.song).post(reverse("hours:declaration_delete", args=[d.pk]), follow=True)
    assert "该申报已提交过，审核记录须保留，不能删除。" in messages_of(response)
    assert Declaration.objects.filter(pk=d.pk).exists()


def test_every_edit_url_is_refused_after_submission(client, p, media):
    d = complete_draft(p.song, start_year=2022, end_year=2023)
    record = d.year_records.get()
    item = Item.objects.get(year_record=record)
    evidence = Evidence.objects.filter(declaration=d).first()
    login(client, p.song)
    # Submitted in another tab: the posts below are this tab's, none of them a repeat of its own.
    another_browser(p.song).post(reverse("hours:declaration_submit", args=[d.pk]), {"pledge": "on"})
    assert fresh(d).state == State.UNIT_REVIEW

    def snapshot():
        row = fresh(d)
        return (
            row.state, row.phone, row.start_year, row.total_public, row.total_professional,
            list(YearRecord.objects.filter(declaration=d).values_list("pk", "year", "public_hours")),
            list(Item.objects.filter(year_record__declaration=d).values_list("pk", "public_hours")),
            list(Evidence.objects.filter(declaration=d).values_list("pk", "sha256")),
        )

    before = snapshot()
    # the workspace sends the applicant to the read-only detail page
    response = client.get(edit_url(d))
    assert response.status_code == 302 and response["Location"] == reverse("hours:declaration_detail", args=[d.pk])
    assert "修改</a>" not in client.get(response["Location"]).content.decode()

    refused = "提交后不能修改"
    _, posts = applicant_urls(d, record, item, evidence)
    # 撤销 is the one change a submitted declaration allows.
    withdraw = reverse("hours:declaration_withdraw", args=[d.pk])
    posts = [(url, data) for url, data in posts if url != withdraw]
    for url, data in posts:
        response = client.post(url, data, follow=True)
        shown = " ".join(messages_of(response)) + " " + text_of(response)
        assert refused in shown or "不能提交" in shown, url
        assert snapshot() == before, url
    assert steps(d) == 1


# --- who may open what ---------------------------------------------------------------------------


def applicant_urls(d, record, item, evidence):
    gets = [
        reverse("hours:declaration_detail", args=[d.pk]),
        reverse("hours:declaration_edit", args=[d.pk]),
        reverse("hours:declaration_applicant_edit", args=[d.pk]),
        reverse("hours:item_preview", args=[d.pk, record.pk]) + "?activity=training&subject=public&days=1&half_days=0",
        reverse("hours:evidence_file", args=[evidence.pk]),
    ]
    posts = [
        (reverse("hours:declaration_applicant_edit", args=[d.pk]), form_data_for_new(phone="13800000000", start_year="2022")),
        (reverse("hours:year_add", args=[d.pk]), {"year": "2023"}),
        (reverse("hours:year_delete", args=[d.pk, record.pk]), {}),
        (item_url(d, record), {"activity": "training", "subject": "public", "days": "1", "half_days": "0"}),
        (reverse("hours:item_delete", args=[d.pk, item.pk]), {}),
        (reverse("hours:item_evidence_upload", args=[d.pk, item.pk]), {"material": "training_notice", "files": [png()]}),
        (reverse("hours:evidence_upload", args=[d.pk]), {"category": "education", "files": [pdf()]}),
        (reverse("hours:evidence_delete", args=[d.pk, evidence.pk]), {}),
        (reverse("hours:training_claim", args=[d.pk, record.pk]), {"records": ["1"]}),
        (reverse("hours:declaration_submit", args=[d.pk]), {"pledge": "on"}),
        (reverse("hours:declaration_withdraw", args=[d.pk]), {}),
        (reverse("hours:declaration_delete", args=[d.pk]), {}),
    ]
    return gets, posts


@pytest.fixture
def song_draft(p, media):
    d = complete_draft(p.song)
    record = d.year_records.get()
    item = Item.objects.get(year_record=record)
    evidence = Evidence.objects.filter(declaration=d).first()
    return d, record, item, evidence


def test_another_applicant_gets_404_everywhere(client, p, song_draft):
    d = song_draft[0]
    gets, posts = applicant_urls(*song_draft)
    before = (fresh(d).updated_at, Evidence.objects.count(), Item.objects.count(), YearRecord.objects.count())
    login(client, p.zhao)
    for url in gets:
        assert client.get(url).status_code == 404, url
    for url, data in posts:
        assert client.post(url, data).status_code == 404, url
    assert (fresh(d).updated_at, Evidence.objects.count(), Item.objects.count(), YearRecord.objects.count()) == before
    assert fresh(d).state == State.DRAFT


def test_reviewers_cannot_post_to_the_applicants_endpoints(client, p, song_draft):
    """Once submitted the unit admin may read it, but not change it through the applicant's URLs."""
    d = song_draft[0]
    transitions.declaration_submit(declaration=complete(d), user=p.song, pledge=True)
    _, posts = applicant_urls(*song_draft)
    login(client, p.chen)
    assert client.get(reverse("hours:declaration_detail", args=[d.pk])).status_code == 200
    for url, data in posts:
        assert client.post(url, data).status_code == 404, url
    assert fresh(d).state == State.UNIT_REVIEW and steps(d) == 1


def test_the_unit_admin_does_not_see_drafts(client, p, song_draft):
    d = song_draft[0]
    login(client, p.chen)
    assert client.get(reverse("hours:declaration_detail", args=[d.pk])).status_code == 404
    assert client.get(reverse("review:case", args=[d.pk])).status_code == 404


def test_anonymous_visitors_go_to_the_login_page(client, song_draft):
    gets, posts = applicant_urls(*song_draft)
    gets += [reverse(URL), reverse("hours:declaration_new"), reverse("hours:training_import"), reverse("hours:training_import_template")]
    login_url = reverse("accounts:login")
    for url in gets:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(login_url + "?next="), url
    for url, data in posts:
        response = client.post(url, data)
        assert response.status_code == 302 and response["Location"].startswith(login_url + "?next="), url


def test_staff_without_the_applicant_role_get_403(client, p):
    for user in (p.hn_clerk, p.dzcl_admin):
        login(client, user)
        assert client.get(reverse(URL)).status_code == 403
        assert client.get(reverse("hours:declaration_new")).status_code == 403


def test_missing_declaration_is_404(client, p):
    login(client, p.song)
    assert client.get(reverse("hours:declaration_detail", args=[999999])).status_code == 404
    assert client.post(reverse("hours:declaration_submit", args=[999999]), {"pledge": "on"}).status_code == 404


# --- query counts ---------------------------------------------------------------------------------


def test_list_page_query_count_does_not_grow(client, p):
    """The applicant's list page runs the same queries with 2 declarations and with 30 (10 a page)."""

    def make(n):
        for i in range(n):
            draft(p.song) if i % 2 else submitted(p.song)

    make(2)
    page = assert_same_queries(client, p.song, reverse(URL), lambda: make(28))
    assert "共30条" in text_of(page) and len(page.context["page"].object_list) == 10
    make(1)
    assert_same_queries(client, p.song, reverse(URL) + "?status=pending", lambda: make(2))
