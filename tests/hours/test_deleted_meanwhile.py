"""A declaration or a training filing deleted in another tab (or by the first of a double click)
while this request works on it: the request found it when it started, the service's locked re-read
finds nothing. The answer is a message — "该申报已被删除" — on the list, never a server error; and
a second delete sent after the first is a 404 page that says, in Chinese, that the record is gone.

The race is made here one step after the other: the page's look-up is given the object as it was
read before the other tab deleted it. (Two deletes at once on PostgreSQL: test_deleted_meanwhile_postgres.py.)"""
import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from hours import filing_views, filings, services, views
from hours.models import Declaration, TrainingFiling
from tests.helpers import another_browser, text_of
from tests.hours.fixtures_views import *  # noqa: F401,F403
from tests.hours.test_filing_views import form_data as filing_form
from tests.hours.test_filings import new_filing

GONE = "该申报已被删除。"
FILING_GONE = "该备案已被删除。"


@pytest.fixture
def stale(monkeypatch):
    """stale(obj, *others): the views find `obj` (and the year or item among `others`) as they
    were read before another tab deleted them."""

    def make(obj, *others):
        monkeypatch.setattr(views, "_owned", lambda request, pk, **options: obj)
        monkeypatch.setattr(filing_views, "_own_filing", lambda request, pk: obj)
        found = {type(other): other for other in others}
        monkeypatch.setattr(views, "get_object_or_404", lambda queryset, **lookup: found[queryset.model])
        return obj

    return make


def deleted_meanwhile(declaration, user):
    services.declaration_delete(declaration=Declaration.objects.get(pk=declaration.pk), user=user)
    return declaration


def filing_deleted_meanwhile(filing, user):
    filings.filing_delete(filing=TrainingFiling.objects.get(pk=filing.pk), user=user)
    return filing


# --- the services -------------------------------------------------------------------------------------


def test_every_editing_service_says_the_declaration_is_gone(p, media):
    d = draft(p.song)
    record, item = year_with_training(d, p.song)
    deleted_meanwhile(d, p.song)
    calls = [
        lambda: services.declaration_delete(declaration=d, user=p.song),
        lambda: services.declaration_update(declaration=d, user=p.song, data=PROFILE, start_year=2023, end_year=2023),
        lambda: services.year_record_add(declaration=d, user=p.song, year=2023),
        lambda: services.year_record_delete(year_record=record, user=p.song),
        lambda: services.item_add(year_record=record, user=p.song, activity="training", facts=TRAINING),
        lambda: services.item_delete(item=item, user=p.song),
        lambda: services.evidence_add(declaration=d, user=p.song, category="education", upload=pdf()),
        lambda: services.training_records_claim(year_record=record, user=p.song, record_ids=[1]),
    ]
    for call in calls:
        with pytest.raises(ValidationError) as caught:
            call()
        assert (caught.value.messages, caught.value.code) == ([GONE], "gone")


def test_an_item_added_to_a_year_deleted_in_another_tab_is_refused(p):
    d = draft(p.song)
    record = services.year_record_add(declaration=d, user=p.song, year=2023)
    services.year_record_delete(year_record=record, user=p.song)
    with pytest.raises(ValidationError) as caught:
        services.item_add(year_record=record, user=p.song, activity="training", facts=TRAINING)
    assert caught.value.messages == ["该年度明细已被删除，请刷新页面。"]
    with pytest.raises(ValidationError) as caught:
        services.training_records_claim(year_record=record, user=p.song, record_ids=[1])
    assert caught.value.messages == ["该年度明细已被删除，请刷新页面。"]


def test_a_file_for_an_item_deleted_in_another_tab_is_refused(p, media):
    d = draft(p.song)
    _, item = year_with_training(d, p.song)
    services.item_delete(item=item, user=p.song)
    with pytest.raises(ValidationError) as caught:
        services.evidence_add(declaration=d, user=p.song, category="item", item=item, material="training_notice", upload=png())
    assert caught.value.messages == ["该学习项目已被删除，请刷新页面。"]


def test_a_filing_deleted_meanwhile_is_gone_for_every_editing_service(p, media):
    filing = filing_deleted_meanwhile(new_filing(p), p.chen)
    for call in (
        lambda: filings.filing_delete(filing=filing, user=p.chen),
        lambda: filings.filing_update(filing=filing, user=p.chen, data={f: getattr(filing, f) for f in filings.FIELDS}),
    ):
        with pytest.raises(ValidationError) as caught:
            call()
        assert (caught.value.messages, caught.value.code) == ([FILING_GONE], "gone")


# --- the pages ------------------------------------------------------------------------------------------


def test_deleting_a_draft_deleted_meanwhile_answers_on_the_list(client, p, stale):
    d = stale(deleted_meanwhile(draft(p.song), p.song))
    client.force_login(p.song)
    response = client.post(reverse("hours:declaration_delete", args=[d.pk]), follow=True)
    assert response.redirect_chain == [(reverse("hours:declaration_list"), 302)]
    assert GONE in messages_of(response)


def test_a_proxy_draft_deleted_meanwhile_answers_on_the_proxy_list(client, p, stale):
    d = stale(deleted_meanwhile(draft(p.chen, p.zhao), p.chen))
    client.force_login(p.chen)
    response = client.post(reverse("hours:declaration_delete", args=[d.pk]), follow=True)
    assert response.redirect_chain == [(reverse("hours:proxy_list"), 302)]
    assert GONE in messages_of(response)


@pytest.mark.parametrize(
    "url_name, extra, data",
    [
        ("hours:declaration_applicant_edit", {}, form_data_for_new()),
        ("hours:year_add", {}, {"year": "2023", "months_away": "0"}),
        ("hours:item_add", {"year_pk": 0}, {"activity": "training", **TRAINING}),
        ("hours:year_delete", {"year_pk": 0}, {}),
        ("hours:item_delete", {"item_pk": 0}, {}),
        ("hours:evidence_upload", {}, {"category": "education"}),
        ("hours:training_claim", {"year_pk": 0}, {"records": ["1"]}),
        ("hours:declaration_submit", {}, {"pledge": "on"}),
    ],
)
def test_working_on_a_declaration_deleted_in_another_tab_answers_on_the_list(client, p, stale, media, url_name, extra, data):
    d = draft(p.song)
    record, item = year_with_training(d, p.song)
    args = {"pk": d.pk, "year_pk": record.pk, "item_pk": item.pk}
    url = reverse(url_name, kwargs={k: args[k] for k in ("pk", *extra)})
    if url_name == "hours:evidence_upload":
        data = {**data, "files": pdf()}
    stale(d, record, item)
    deleted_meanwhile(d, p.song)
    client.force_login(p.song)
    response = client.post(url, data, follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1] == (reverse("hours:declaration_list"), 302), response.redirect_chain
    assert GONE in messages_of(response), messages_of(response)


def test_a_second_delete_after_the_first_is_a_chinese_404(client, p):
    d = draft(p.song)
    client.force_login(p.song)
    url = reverse("hours:declaration_delete", args=[d.pk])
    assert client.post(url).status_code == 302
    second = another_browser(p.song).post(url)  # in the same browser the repeated-POST guard answers
    assert second.status_code == 404
    assert "您访问的页面或记录不存在，或已被删除。" in text_of(second)


@pytest.mark.parametrize(
    "view, data",
    [("hours:filing_delete", dict), ("hours:filing_edit", lambda: filing_form(notice="", schedule="")), ("hours:filing_submit", dict)],
    ids=["delete", "save", "submit"],
)
def test_a_filing_deleted_meanwhile_answers_on_the_list(client, p, stale, media, view, data):
    filing = stale(filing_deleted_meanwhile(new_filing(p), p.chen))
    client.force_login(p.chen)
    response = client.post(reverse(view, args=[filing.pk]), data(), follow=True)
    assert response.redirect_chain == [(reverse("hours:filing_list"), 302)]
    assert FILING_GONE in messages_of(response)
    assert not TrainingFiling.objects.exists()
