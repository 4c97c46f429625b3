"""2024 notice 三(三): an earlier 学时认定单 is the evidence for every year it covers."""
import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from hours import selectors, services, years
from hours.models import Evidence, EvidenceCategory
from hours import transitions
from tests.helpers import text_of
from tests.hours.fixtures_views import *  # noqa: F401,F403
from tests.hours.fixtures_views import draft, pdf, year_with_training

pytestmark = pytest.mark.django_db


def test_certificate_covers_its_years_and_only_those(p, media):
    d = draft(p.song, start_year=2019, end_year=2023)
    year_with_training(d, p.song, 2019)
    year_with_training(d, p.song, 2022)
    before = selectors.declaration_workspace(d)
    assert all(entry["missing"] for y in before["years"] for entry in y["items"])

    services.evidence_add(
        declaration=d, user=p.song, category=EvidenceCategory.PREVIOUS_CERTIFICATE,
        upload=pdf("2018-2021学时认定单.pdf"), year=2018, year_to=2021,
    )

    after = {y["record"].year: y for y in selectors.declaration_workspace(d)["years"]}
    assert after[2019]["covered_by_certificate"] and after[2019]["items"][0]["missing"] == []
    assert not after[2022]["covered_by_certificate"] and after[2022]["items"][0]["missing"]
    problems = selectors.submission_problems(d)
    assert not any(p.startswith("2019年度") for p in problems)
    assert any(p.startswith("2022年度") for p in problems)


def test_certificate_needs_the_years_it_covers(p, media):
    d = draft(p.song, start_year=2019, end_year=2023)
    for start, stop in ((None, 2021), (2021, None), (2021, 2019)):
        with pytest.raises(ValidationError) as caught:
            services.evidence_add(
                declaration=d, user=p.song, category=EvidenceCategory.PREVIOUS_CERTIFICATE,
                upload=pdf("认定单.pdf"), year=start, year_to=stop,
            )
        assert "起始年度和终止年度" in caught.value.messages[0]
    assert not d.evidence.exists()


def test_upload_page_asks_for_the_years(client, p, media):
    d = draft(p.song, start_year=2019, end_year=2023)
    client.force_login(p.song)
    url = reverse("hours:evidence_upload", args=[d.pk])
    response = client.post(url, {"category": "previous_certificate", "files": pdf("认定单.pdf")}, follow=True)
    assert response.redirect_chain == [(reverse("hours:declaration_edit", args=[d.pk]) + "#materials", 302)]
    assert messages_of(response) == ["认定单起始年度：请填写该学时认定单的起始年度；认定单终止年度：请填写该学时认定单的终止年度。"]
    response = client.post(
        url, {"category": "previous_certificate", "cover_from": 2018, "cover_to": 2022, "files": pdf("认定单.pdf")}
    )
    assert response.status_code == 302
    page = client.get(reverse("hours:declaration_edit", args=[d.pk])).content.decode()
    assert "以前年度学时认定单【1】" in page and "（覆盖2018–2022年度）" in page


# --- what a certificate can cover: past years, from FIRST_YEAR, five at most ---------------------------


@pytest.mark.parametrize(
    "start, stop, message",
    [
        (1990, 2100, "以前年度学时认定单所覆盖的年度应在2000年至{this_year}年之间。"),
        (1999, 2003, "以前年度学时认定单所覆盖的年度应在2000年至{this_year}年之间。"),
        ("this_year", "next_year", "以前年度学时认定单所覆盖的年度应在2000年至{this_year}年之间。"),
        (2014, 2023, "一份学时认定单最多覆盖5个年度（如2019–2023年），请核对起止年度。"),
    ],
)
def test_a_cover_beyond_a_plausible_certificate_is_refused(client, p, media, start, stop, message):
    this_year = timezone.localdate().year
    start = {"this_year": this_year}.get(start, start)
    stop = {"next_year": this_year + 1}.get(stop, stop)
    message = message.format(this_year=this_year)
    d = draft(p.song, start_year=2019, end_year=2023)
    with pytest.raises(ValidationError) as caught:
        services.evidence_add(
            declaration=d, user=p.song, category=EvidenceCategory.PREVIOUS_CERTIFICATE, upload=pdf("认定单.pdf"),
            year=start, year_to=stop,
        )
    assert caught.value.messages == [message]
    client.force_login(p.song)
    response = client.post(
        reverse("hours:evidence_upload", args=[d.pk]),
        {"category": "previous_certificate", "cover_from": start, "cover_to": stop, "files": pdf("认定单.pdf")}, follow=True,
    )
    assert messages_of(response) == [f"认定单终止年度：{message}"]
    assert not d.evidence.exists()


def test_a_cover_stored_before_the_bounds_waives_nothing_and_the_reviewers_see_why(client, p, media):
    d = draft(p.song, start_year=2022, end_year=2022)
    year_with_training(d, p.song, 2022)
    evidence = services.evidence_add(
        declaration=d, user=p.song, category=EvidenceCategory.PREVIOUS_CERTIFICATE, upload=pdf("认定单.pdf"),
        year=2018, year_to=2022,
    )
    Evidence.objects.filter(pk=evidence.pk).update(year=1990, year_to=2100)  # as the portal accepted it before
    workspace = selectors.declaration_workspace(d)
    assert not workspace["years"][0]["covered_by_certificate"] and workspace["years"][0]["items"][0]["missing"]
    d = transitions.declaration_submit(declaration=complete(d), user=p.song, pledge=True)
    client.force_login(p.chen)
    page = text_of(client.get(reverse("review:case", args=[d.pk])))
    assert "认定单.pdf （所填覆盖年度1990–2100年不合理，未作为佐证）" in page


def test_the_reviewers_see_the_years_a_certificate_covers(client, p, media):
    d = draft(p.song, start_year=2021, end_year=2022)
    year_with_training(d, p.song, 2021)
    year_with_training(d, p.song, 2022)
    services.evidence_add(
        declaration=d, user=p.song, category=EvidenceCategory.PREVIOUS_CERTIFICATE, upload=pdf("2017-2021认定单.pdf"),
        year=2017, year_to=2021,
    )
    d = transitions.declaration_submit(declaration=complete(d), user=p.song, pledge=True)
    client.force_login(p.chen)
    page = text_of(client.get(reverse("review:case", args=[d.pk])))
    assert "2017-2021认定单.pdf （覆盖2017–2021年度）" in page
    assert "2021年度的学习项目以以前年度学时认定单“2017-2021认定单.pdf”（2017–2021年度）为佐证" in page
    assert "2022年度的学习项目以以前年度学时认定单" not in page


# --- the bounds themselves, on a fixed day: the years the portal takes, and a certificate's within them ---


@pytest.fixture
def in_2025(monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: dt.date(2025, 3, 1))


def test_the_portal_takes_the_years_from_2000_to_this_one(in_2025):
    assert years.allowed_years() == range(2000, 2026)


@pytest.mark.parametrize("start, end", [
    (2000, 2000), (2000, 2004),  # from the first year
    (2025, 2025), (2021, 2025),  # up to this one
    (2019, 2023),  # five years
])
def test_a_plausible_certificate_is_accepted(in_2025, start, end):
    assert years.previous_certificate_problem(start, end) is None


@pytest.mark.parametrize("start, end, message", [
    (1999, 2003, "以前年度学时认定单所覆盖的年度应在2000年至2025年之间。"),
    (2022, 2026, "以前年度学时认定单所覆盖的年度应在2000年至2025年之间。"),
    (2021, 2019, "终止年度不能早于起始年度。"),
    (2015, 2020, "一份学时认定单最多覆盖5个年度（如2019–2023年），请核对起止年度。"),  # six years
])
def test_an_implausible_certificate_is_refused(in_2025, start, end, message):
    assert years.previous_certificate_problem(start, end) == message
