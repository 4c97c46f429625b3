"""2024 notice 三(三): an earlier 学时认定单 is the evidence for every year it covers."""
import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from hours import selectors, services
from hours.models import EvidenceCategory
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
    response = client.post(url, {"category": "previous_certificate", "files": pdf("认定单.pdf")})
    assert response.status_code == 400
    assert "请填写该学时认定单的起始年度。" in response.content.decode()
    response = client.post(
        url, {"category": "previous_certificate", "cover_from": 2018, "cover_to": 2022, "files": pdf("认定单.pdf")}
    )
    assert response.status_code == 302
    page = client.get(reverse("hours:declaration_edit", args=[d.pk])).content.decode()
    assert "以前年度学时认定单【1】" in page and "（2018–2022年度）" in page
