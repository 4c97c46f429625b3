"""`load_demo` also gives the demo applicant an approved 2019–2023 history, so 学时证书打印 has
something to print on a fresh `make run`."""
import copy
from decimal import Decimal

import pytest
from django.urls import reverse

from portal.management.commands.load_demo import load
from accounts.models import User
from certificates.selectors import approved_span
from hours.models import Declaration
from workflow.models import Action, State

pytestmark = pytest.mark.django_db


def test_demo_applicant_has_an_approved_five_year_history(demo_data, settings, tmp_path, client):
    settings.MEDIA_ROOT = tmp_path / "media"
    load(copy.deepcopy(demo_data))
    song = User.objects.get(id_number="430121198805041015")
    declaration = Declaration.objects.get(applicant=song)
    assert declaration.state == State.APPROVED
    assert [s.action for s in declaration.steps.all()] == [Action.SUBMIT, Action.APPROVE, Action.APPROVE, Action.APPROVE]
    assert [s.organisation.name for s in declaration.steps.all()][1:] == ["湖南省地质研究所", "湖南省地质院", "湖南省人力资源和社会保障厅"]
    span = approved_span(applicant=song, start_year=2019, end_year=2023)
    assert [(r.year, r.public, r.professional, r.check.compliant) for r in span.rows] == [
        (year, Decimal("32.0"), Decimal("60.0"), True) for year in range(2019, 2024)
    ]
    assert declaration.evidence.count() == 5 * 2 * 2 + 2  # two items a year with two files each, plus 学历信息 and 学时上传

    client.force_login(song)
    page = client.get(reverse("certificates:print"), {"start_year": 2019, "end_year": 2023}).content.decode()
    assert "2019" in page and "2023" in page and "92" in page
