"""One open declaration per applicant and span, one open training filing per unit, year and name.

Open means not yet approved: a draft (暂存) and a declaration sent back (审核不通过) are edited and
sent again, one under review is withdrawn to be changed — none is a reason to start another for
the same years. Once approved, a new declaration for the span may follow (the certificate counts
each year from the declaration approved last). Overlapping spans (2023 alone beside 2019–2023) are
different requests — an annual one and a title evaluation's — and stay allowed.

Saving 新增学时核认申报 twice (a double click, the back button and save again) opens the draft
the first save made, with a message, instead of making a second one; so do 单位代为申报 and
新增培训备案. (At the same moment on PostgreSQL: test_one_open_declaration_postgres.py.)"""
import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from hours import filings, services
from hours.models import Declaration, TrainingFiling
from hours import transitions
from workflow.models import State
from tests.helpers import another_browser, text_of
from tests.hours.fixtures_views import *  # noqa: F401,F403
from tests.hours.test_filing_views import form_data as filing_form
from tests.hours.test_filings import new_filing

NEW = "hours:declaration_new"


def post_new(client, user, **overrides):
    client.force_login(user)
    return client.post(reverse(NEW), form_data_for_new(**overrides), follow=True)


def edit_url(d):
    return reverse("hours:declaration_edit", args=[d.pk])


def test_saving_step_6_twice_opens_the_draft_the_first_save_made(client, p):
    first = post_new(client, p.song, start_year="2019", end_year="2023")
    d = Declaration.objects.get(applicant=p.song)
    assert first.redirect_chain == [(edit_url(d), 302)]
    again = post_new(client, p.song, start_year="2019", end_year="2023", specialty="岩土工程")
    assert again.redirect_chain == [(edit_url(d), 302)]
    assert f"您已有2019–2023年度的暂存申报（业务编号 {d.business_no}），已为您打开。" in messages_of(again)
    assert Declaration.objects.filter(applicant=p.song).count() == 1


def test_a_declaration_sent_back_is_opened_to_be_corrected(client, p):
    d = rejected(p)
    response = post_new(client, p.song)
    assert response.redirect_chain == [(edit_url(d), 302)]
    assert f"您已有2023年度审核不通过的申报（业务编号 {d.business_no}），已为您打开。" in messages_of(response)


def test_a_declaration_under_review_is_shown_and_not_declared_again(client, p):
    d = submitted(p.song)
    response = post_new(client, p.song)
    assert response.redirect_chain == [(edit_url(d), 302), (reverse("hours:declaration_detail", args=[d.pk]), 302)]
    assert f"您已有2023年度正在审核的申报（业务编号 {d.business_no}），已为您打开；如需修改请先撤销。" in messages_of(response)
    assert Declaration.objects.filter(applicant=p.song).count() == 1


def test_after_approval_the_span_may_be_declared_again(client, p):
    approved(p)
    asked = post_new(client, p.song)  # said first (tests/hours/test_workspace_in_place.py), then confirmed
    assert asked.context["form"].errors["again"] and not Declaration.objects.filter(applicant=p.song, state=State.DRAFT).exists()
    post_new(client, p.song, again="on")
    assert Declaration.objects.filter(applicant=p.song, state=State.DRAFT).count() == 1


def test_overlapping_spans_are_different_declarations(client, p):
    draft(p.song, start_year=2019, end_year=2023)
    post_new(client, p.song, start_year="2023", end_year="2023")
    assert sorted(Declaration.objects.filter(applicant=p.song).values_list("start_year", "end_year")) == [(2019, 2023), (2023, 2023)]


def test_the_unit_saving_a_proxy_declaration_twice_opens_its_draft(client, p):
    client.force_login(p.chen)
    url = reverse("hours:proxy_new", args=[p.zhao.pk])
    client.post(url, form_data_for_new())
    d = Declaration.objects.get(applicant=p.zhao)
    again = another_browser(p.chen).post(url, form_data_for_new(), follow=True)  # a second computer
    assert again.redirect_chain == [(edit_url(d), 302)]
    assert f"您已有2023年度的暂存申报（业务编号 {d.business_no}），已为您打开。" in messages_of(again)
    assert Declaration.objects.filter(applicant=p.zhao).count() == 1


def test_the_unit_cannot_declare_a_span_the_person_has_open(client, p):
    own = draft(p.zhao)
    client.force_login(p.chen)
    response = client.post(reverse("hours:proxy_new", args=[p.zhao.pk]), form_data_for_new())
    assert response.status_code == 200
    assert f"赵金强已有2023年度的暂存申报（业务编号 {own.business_no}），不能重复申报。" in text_of(response)
    assert Declaration.objects.filter(applicant=p.zhao).count() == 1


def test_a_person_cannot_declare_a_span_the_unit_declares_for_them(client, p):
    proxy = draft(p.chen, p.zhao)
    client.force_login(p.zhao)
    response = client.post(reverse(NEW), form_data_for_new())
    assert response.status_code == 200
    assert f"您已有2023年度的暂存申报（业务编号 {proxy.business_no}，由陈立新代为申报），不能重复申报。" in text_of(response)


def test_moving_a_draft_onto_a_span_already_open_is_refused(client, p):
    draft(p.song, start_year=2022, end_year=2022)
    other = draft(p.song, start_year=2021, end_year=2021)
    client.force_login(p.song)
    response = client.post(
        reverse("hours:declaration_applicant_edit", args=[other.pk]), form_data_for_new(start_year="2022", end_year="2022")
    )
    assert response.status_code == 200
    assert "已有2022年度的暂存申报" in text_of(response)
    other.refresh_from_db()
    assert (other.start_year, other.end_year) == (2021, 2021)


def test_a_second_save_landing_while_the_first_commits_opens_the_first(client, p, monkeypatch):
    """Both requests looked for an open draft before either saved: the database refuses the second."""
    first = draft(p.song)
    looked = []
    real = services._open_declaration

    def first_look_misses(**span):  # the look before saving, while the other request commits
        looked.append(span)
        return None if len(looked) == 1 else real(**span)

    monkeypatch.setattr(services, "_open_declaration", first_look_misses)
    response = post_new(client, p.song)
    assert response.redirect_chain == [(edit_url(first), 302)]
    assert f"您已有2023年度的暂存申报（业务编号 {first.business_no}），已为您打开。" in messages_of(response)


def test_the_database_holds_one_open_declaration_per_applicant_and_span(p):
    d = draft(p.song)
    copy = {f.attname: getattr(d, f.attname) for f in Declaration._meta.concrete_fields if f.attname not in ("id", "business_no")}
    with pytest.raises(IntegrityError), transaction.atomic():
        Declaration.objects.create(**copy)


# --- training filings ------------------------------------------------------------------------------------


def test_saving_a_new_filing_twice_opens_the_first(client, p, media):
    client.force_login(p.chen)
    client.post(reverse("hours:filing_new"), filing_form())
    filing = TrainingFiling.objects.get()
    again = client.post(reverse("hours:filing_new"), filing_form(), follow=True)
    assert again.redirect_chain == [(reverse("hours:filing_detail", args=[filing.pk]), 302)]
    assert f"本单位已有{filing.year}年“公需科目专题讲座”的暂存备案，已为您打开。" in messages_of(again)
    assert TrainingFiling.objects.count() == 1


def test_a_filing_under_review_is_opened_and_not_filed_again(p, media):
    filing = transitions.filing_submit(filing=new_filing(p), user=p.chen)
    with pytest.raises(services.AlreadyOpen) as caught:
        new_filing(p)
    assert caught.value.existing.pk == filing.pk
    assert caught.value.messages == [f"本单位已有{filing.year}年“{filing.name}”正在审核的备案，已为您打开；如需修改请先撤销。"]


def test_an_approved_filing_may_be_followed_by_another_of_the_same_name(p, media):
    filing = transitions.filing_submit(filing=new_filing(p), user=p.chen)
    transitions.filing_approve(filing=filing, user=p.zrzy_admin)
    new_filing(p)
    assert TrainingFiling.objects.count() == 2


def test_renaming_a_filing_onto_an_open_one_is_refused(p, media):
    new_filing(p, name="第一期")
    second = new_filing(p, name="第二期")
    data = {f: getattr(second, f) for f in filings.FIELDS} | {"name": "第一期"}
    with pytest.raises(ValidationError) as caught:
        filings.filing_update(filing=second, user=p.chen, data=data)
    assert caught.value.messages == [f"本单位已有{second.year}年“第一期”的暂存备案，请修改该备案或使用其他培训名称。"]
    second.refresh_from_db()
    assert second.name == "第二期"


def test_the_reviewers_see_a_duplicate_marked_by_the_migration(client, p):
    kept = submitted(p.song)
    marked = submitted(p.song, start_year=2022, end_year=2022)
    # As migration hours 0016 leaves a duplicate made before the constraint.
    Declaration.objects.filter(pk=marked.pk).update(start_year=2023, end_year=2023, duplicate_of=kept)
    client.force_login(p.chen)
    page = text_of(client.get(reverse("review:case", args=[marked.pk])))
    assert f"重复申报 与业务编号 {kept.business_no} 的申报人和申报年度相同" in page
    assert "重复申报" not in text_of(client.get(reverse("review:case", args=[kept.pk])))
