"""学时证书打印 (steps 10–13): the menu entry, 查询 with each year's approved hours, 下载, the
messages for bad input, and who may download a certificate."""
import pytest
from django.urls import reverse
from django.utils import timezone

from certificates.models import Certificate, CertificateEvent
from tests.helpers import SESSION_QUERIES, assert_database_query_count, menu_links, text_of

from .conftest import FULL_YEAR, stored_bytes

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
    # (session,) user, role grants, approved year records, current certificate, issued list
    with assert_database_query_count(SESSION_QUERIES + 5):
        response = query(client, 2019, 2023)
    assert response.status_code == 200
