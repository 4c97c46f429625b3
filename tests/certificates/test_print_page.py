"""学时证书打印 (steps 10–13): the menu entry, the span the page opens on, 查询 with each year's
approved hours, 下载 (with the confirmation a span with short years needs), the messages for bad
input, and who may download a certificate."""
import logging
import re

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from certificates import services
from certificates.models import Certificate, CertificateEvent
from tests.helpers import SESSION_QUERIES, assert_database_query_count, menu_links, text_of

from .conftest import FULL_YEAR, admin_events, stored_bytes

pytestmark = pytest.mark.django_db

PRINT = "/certificates/"


def query(client, start, end, **extra):
    return client.get(PRINT, {"start_year": start, "end_year": end, **extra})


def messages_of(response):
    return [str(m) for m in response.context["messages"]] if response.context else []


def download_bytes(response):
    return b"".join(response.streaming_content)


def test_the_menu_has_the_entry_right_after_the_declaration_list(client, p):
    client.force_login(p.song)
    labels = [label for label, _ in menu_links(client.get(reverse("portal:home")))]
    assert labels[labels.index("学时核认申报") + 1] == "学时证书打印"
    assert dict(menu_links(client.get(reverse("portal:home"))))["学时证书打印"] == PRINT


def test_the_page_offers_the_last_five_years_before_any_query(client, p):
    client.force_login(p.song)
    response = client.get(PRINT)
    last = timezone.localdate().year - 1
    assert response.status_code == 200
    assert response.context["form"]["start_year"].value() == last - 4
    assert response.context["form"]["end_year"].value() == last
    assert "暂无数据" in text_of(response)  # no certificate issued yet


def test_query_shows_each_years_approved_hours_and_whether_it_meets_the_requirement(client, p, approve):
    approve(p.song, {2019: FULL_YEAR, 2020: (("public", 2, 0), ("professional", 8, 0))}, 2019, 2020)
    client.force_login(p.song)
    response = query(client, 2019, 2021)
    text = text_of(response)
    assert "2019–2021年度审核通过的学时" in text
    assert "2019 32 60 92 30/60/90 达到" in text
    assert "2020 16 64 80 30/60/90 未达到 差 公需14 学时" in text
    assert "2021 0 0 0 30/60/90 未达到 无审核通过记录" in text
    assert "合计 48 124 172 1/3个年度达到要求" in text
    assert "下载学时认定单" in text


def test_download_issues_the_certificate_and_serves_the_stored_file(client, p, approve):
    approve(p.song, {2019: FULL_YEAR}, 2019, 2019)
    client.force_login(p.song)
    response = client.post(reverse("certificates:issue"), {"start_year": 2019, "end_year": 2019})
    certificate = Certificate.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/certificates/{certificate.number}/download/"
    response = client.get(response["Location"])
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"] and certificate.number in response["Content-Disposition"]
    assert response["Cache-Control"] == "private, no-store"
    assert download_bytes(response) == stored_bytes(certificate)
    # 下载 again: the same certificate and the same file.
    again = client.post(reverse("certificates:issue"), {"start_year": 2019, "end_year": 2019})
    assert again["Location"] == f"/certificates/{certificate.number}/download/"
    assert download_bytes(client.get(again["Location"])) == stored_bytes(certificate)
    assert Certificate.objects.count() == 1
    assert list(CertificateEvent.objects.values_list("action", flat=True)) == ["issue", "download", "download"]
    # The list shows it, with 下载 and 查验.
    text = text_of(query(client, 2019, 2019))
    assert f"已出具编号 {certificate.number}" in text and "有效" in text


@pytest.mark.parametrize(
    "start, end, message",
    [
        (2023, 2019, "终止年度不能早于起始年度，请重新选择。"),
        (2019, timezone.localdate().year + 1, f"不能选择未来的年度：今年是{timezone.localdate().year}年"),
        ("", 2019, "请选择起始年度。"),
        ("abc", 2019, "请选择起始年度。"),
    ],
)
def test_bad_spans_get_a_clear_message_on_query_and_on_download(client, p, approve, start, end, message):
    approve(p.song, {2019: FULL_YEAR}, 2019, 2019)
    client.force_login(p.song)
    response = query(client, start, end)
    assert response.status_code == 200 and message in text_of(response)
    assert "下载学时认定单" not in text_of(response)
    response = client.post(reverse("certificates:issue"), {"start_year": start, "end_year": end}, follow=True)
    assert response.status_code == 200 and message in text_of(response)
    assert not Certificate.objects.exists()


def test_a_span_without_approved_hours_says_so(client, p, approve):
    approve(p.song, {2019: FULL_YEAR}, 2019, 2019)
    client.force_login(p.song)
    text = text_of(query(client, 2015, 2017))
    assert "所选年度（2015–2017年）内没有审核通过的学时，暂不能出具学时认定单" in text
    assert "下载学时认定单" not in text
    response = client.post(reverse("certificates:issue"), {"start_year": 2015, "end_year": 2017}, follow=True)
    assert messages_of(response) == ["2015–2017年度内没有审核通过的学时，无法出具学时认定单。"]


def test_only_applicants_open_the_page(client, p):
    for user in (p.hn_clerk, p.dzy_admin):
        client.force_login(user)
        assert client.get(PRINT).status_code == 403
        assert client.post(reverse("certificates:issue"), {"start_year": 2019, "end_year": 2019}).status_code == 403
    client.logout()
    assert client.get(PRINT)["Location"].startswith(reverse("accounts:login"))


@pytest.mark.parametrize(
    "who, allowed",
    [
        ("song", True),  # the owner
        ("chen", True),  # administrator of his unit
        ("dzy_admin", True),  # superior unit above it
        ("zrzy_admin", True),  # supervising department above that
        ("hn_clerk", True),  # the bureau whose jurisdiction holds his unit
        ("zhao", False),  # a colleague
        ("dzcl_admin", False),  # a sibling unit's administrator
        ("cs_clerk", False),  # another bureau
        ("sysadmin", False),
    ],
)
def test_only_the_owner_and_reviewers_of_the_jurisdiction_may_download(client, p, song_certificate, who, allowed):
    client.force_login(getattr(p, who))
    response = client.get(reverse("certificates:download", args=[song_certificate.number]))
    if allowed:
        assert response.status_code == 200
        assert download_bytes(response) == stored_bytes(song_certificate)
    else:
        assert response.status_code == 404  # whether it exists is not revealed


def test_download_urls_of_unknown_or_malformed_numbers_are_404(client, p, song_certificate):
    client.force_login(p.song)
    # A wrong check character: any last character but the real one (a fixed "Z" is the real one once in 32 runs).
    wrong_last = "Z" if song_certificate.number[-1] != "Z" else "Y"
    for number in ["XS2024-0000-0000-0000", "nonsense", song_certificate.number[:-1] + wrong_last]:
        assert client.get(reverse("certificates:download", args=[number])).status_code == 404
    client.logout()
    response = client.get(reverse("certificates:download", args=[song_certificate.number]))
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))


def test_a_lower_case_number_still_downloads(client, p, song_certificate):
    client.force_login(p.song)
    response = client.get(reverse("certificates:download", args=[song_certificate.number.lower()]))
    assert response.status_code == 200


def test_the_query_runs_a_fixed_number_of_queries(client, p, approve, issue):
    approve(p.song, {2019: FULL_YEAR, 2020: FULL_YEAR}, 2019, 2020)
    approve(p.song, {2021: FULL_YEAR}, 2021, 2021)
    issue(p.song, 2019, 2021)
    issue(p.song, 2019, 2020)
    client.force_login(p.song)
    query(client, 2019, 2023)  # warm the rule-set policy cache
    # (session,) approved year records, current certificate, issued list
    with assert_database_query_count(SESSION_QUERIES + 3):
        response = query(client, 2019, 2023)
    assert response.status_code == 200


# --- the span the page opens on, and the years short of the requirement (issue 22) ----------------


def test_the_page_opens_on_the_years_with_approved_hours(client, p, approve):
    """No 查询 needed: the earliest to the latest year with approved hours, each year's hours shown."""
    approve(p.song, {2019: FULL_YEAR, 2020: FULL_YEAR}, 2019, 2020)
    approve(p.song, {2022: FULL_YEAR}, 2022, 2022)
    client.force_login(p.song)
    response = client.get(PRINT)
    assert response.context["form"]["start_year"].value() == 2019
    assert response.context["form"]["end_year"].value() == 2022
    text = text_of(response)
    assert "2019–2022年度审核通过的学时" in text and "3/4个年度达到要求" in text
    assert "下载学时认定单" in text


def test_the_span_opened_on_is_at_most_the_five_years_ending_with_the_latest_approved(client, p, approve):
    approve(p.song, {2016: FULL_YEAR, 2018: FULL_YEAR}, 2016, 2018)
    approve(p.song, {2023: FULL_YEAR}, 2023, 2023)
    client.force_login(p.song)
    text = text_of(client.get(PRINT))
    assert "2019–2023年度审核通过的学时" in text
    # Another span is still one 查询 away.
    assert "2016–2023年度审核通过的学时" in text_of(query(client, 2016, 2023))


def short_span(p, approve):
    """宋庆涛: 2019 compliant, 2020 short of professional hours, 2021 nothing approved."""
    approve(p.song, {2019: FULL_YEAR, 2020: (("public", 4, 0), ("professional", 5, 0))}, 2019, 2020)


def test_a_span_with_short_years_names_them_and_asks_for_a_confirmation(client, p, approve):
    short_span(p, approve)
    client.force_login(p.song)
    response = query(client, 2019, 2021)
    text = text_of(response)
    assert "2020、2021年度学时未达到要求（短缺），认定单将如实载明。" in text
    assert "我已知晓2020、2021年度学时短缺，仍出具2019–2021年度的学时认定单" in text
    box = re.search(r'<input type="checkbox" name="confirm_short"[^>]*>', response.content.decode())[0]
    assert 'value="2020,2021"' in box and "required" in box
    # A span without short years asks nothing.
    text = text_of(query(client, 2019, 2019))
    assert "下载学时认定单" in text and "短缺" not in text


def test_no_certificate_is_sealed_for_a_span_with_short_years_without_their_confirmation(client, p, approve):
    short_span(p, approve)
    client.force_login(p.song)
    for confirmed in [None, "", "2020", "2021", "abc"]:  # nothing, or not every short year
        data = {"start_year": 2019, "end_year": 2021} | ({} if confirmed is None else {"confirm_short": confirmed})
        response = client.post(reverse("certificates:issue"), data)
        assert response.status_code == 302
        assert response["Location"] == f"{PRINT}?start_year=2019&end_year=2021&unconfirmed=1", confirmed
        assert not Certificate.objects.exists()
    page = client.get(response["Location"])
    html = page.content.decode()
    assert "请先勾选确认：所选年度中2020、2021年度学时短缺。" in text_of(page)
    box = re.search(r'<input type="checkbox" name="confirm_short"[^>]*>', html)[0]
    assert 'aria-invalid="true"' in box and "confirm-short-error" in box
    # Confirmed: sealed and served.
    response = client.post(reverse("certificates:issue"), {"start_year": 2019, "end_year": 2021, "confirm_short": "2020,2021"})
    certificate = Certificate.objects.get()
    assert response["Location"] == f"/certificates/{certificate.number}/download/"
    assert [y["compliant"] for y in certificate.facts["years"]] == [True, False, False]


def test_the_service_refuses_a_short_span_without_the_confirmation(p, approve):
    short_span(p, approve)
    with pytest.raises(ValidationError) as refused:
        services.certificate_request(user=p.song, start_year=2019, end_year=2021, base_url="http://testserver", confirmed_short_years={2020})
    assert refused.value.code == services.SHORT_UNCONFIRMED
    assert refused.value.messages == ["2020、2021年度学时未达到要求（短缺）。请勾选确认后再下载，或调整起始、终止年度。"]
    assert not Certificate.objects.exists()


def test_the_issued_list_can_be_refreshed_in_place_after_a_download(client, p, approve):
    """The page's script (static/js/certificates.js) waits for the download's cookie, then swaps in
    the parts the form names from the page fetched again: the cookie, the ids and the script are
    the server's half of it (the browser's half is in tests/e2e/test_journeys.py)."""
    approve(p.song, {2019: FULL_YEAR}, 2019, 2019)
    client.force_login(p.song)
    html = query(client, 2019, 2019).content.decode()
    refresh = re.search(r'<form method="post" action="/certificates/issue/" class="download-form" data-refresh="([^"]+)"', html)[1]
    assert refresh.split() == ["issued", "download-note"]
    assert all(f'id="{part}"' in html for part in refresh.split())
    assert 'src="/static/js/certificates.js"' in html
    location = client.post(reverse("certificates:issue"), {"start_year": 2019, "end_year": 2019})["Location"]
    response = client.get(location)
    certificate = Certificate.objects.get()
    cookie = response.cookies["certificate_downloaded"]
    assert cookie.value == certificate.number and cookie["path"] == PRINT and cookie["samesite"] == "Strict"
    assert not cookie["httponly"]  # the page's script reads it
    # The page fetched again lists it.
    assert certificate.number in text_of(query(client, 2019, 2019)).split("已出具的学时认定单", 1)[1]


def test_each_download_is_recorded_with_who_and_from_where_for_the_administrator(client, p, song_certificate):
    reviewer = Client(REMOTE_ADDR="203.0.113.7")
    reviewer.force_login(p.chen)
    assert reviewer.get(f"/certificates/{song_certificate.number}/download/").status_code == 200
    client.force_login(p.sysadmin)
    assert admin_events(client, song_certificate) == ["出具 宋庆涛 - -", "下载 陈立新 203.0.113.7 -"]


def test_a_bureau_still_serves_the_certificates_it_issued_after_the_unit_moves_to_another_bureau(client, p, approve, issue):
    """孙浩's unit lay in 长沙's area when 长沙市人社局 issued his certificate; then it was put under the
    province's bureau. The certificate stays 长沙's (it issued it), and the province's clerk now
    reaches it through the unit."""
    approve(p.sun, {2023: FULL_YEAR}, 2023, 2023)
    certificate, created = issue(p.sun, 2023, 2023)
    assert created and certificate.bureau_id == p.cs.pk
    unit = p.sun.organisation
    unit.bureau = p.hn
    unit.save(update_fields=["bureau"])
    for clerk in (p.cs_clerk, p.hn_clerk):
        client.force_login(clerk)
        response = client.get(reverse("certificates:download", args=[certificate.number]))
        assert response.status_code == 200, clerk.username
        assert download_bytes(response) == stored_bytes(certificate)
    client.force_login(p.dzcl_admin)  # an administrator of another unit
    assert client.get(reverse("certificates:download", args=[certificate.number])).status_code == 404


def test_a_certificate_whose_stored_file_is_missing_answers_not_found_and_logs_it(client, p, song_certificate, caplog):
    """A restore without the media, a volume not mounted: the person sees the not-found page, not a
    server error, and the operators' log names the file."""
    name = song_certificate.pdf.name
    song_certificate.pdf.storage.delete(name)
    client.force_login(p.song)
    with caplog.at_level(logging.ERROR, logger="core.storage"):
        response = client.get(reverse("certificates:download", args=[song_certificate.number]))
    assert response.status_code == 404 and "页面不存在" in text_of(response)
    assert f"stored file missing: {name}" in caplog.text
