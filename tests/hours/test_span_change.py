"""Changing a draft's 申报年度: a year left empty goes with the old span (the years are made with the
span, so an empty one is not the applicant's work); a year with learning items is refused, named."""
import pytest
from django.core.exceptions import ValidationError

from hours import services
from tests.hours.fixtures_views import *  # noqa: F401,F403
from tests.hours.fixtures_views import PROFILE, draft, year_with_training


def narrowed(d, user, start_year, end_year):
    return services.declaration_update(declaration=d, user=user, data=PROFILE, start_year=start_year, end_year=end_year)


def test_an_empty_year_goes_with_the_span(p):
    d = draft(p.song, start_year=2022, end_year=2023)
    services.year_record_add(declaration=d, user=p.song, year=2022)
    year_with_training(d, p.song, year=2023)
    narrowed(d, p.song, 2023, 2023)
    assert sorted(d.year_records.values_list("year", flat=True)) == [2023]


def test_a_year_with_items_is_refused_and_named(p):
    d = draft(p.song, start_year=2022, end_year=2023)
    services.year_record_add(declaration=d, user=p.song, year=2022)
    year_with_training(d, p.song, year=2023)
    with pytest.raises(ValidationError) as caught:
        narrowed(d, p.song, 2022, 2022)
    assert caught.value.messages == ["已填写2023年度明细，不在新的申报年度范围内，请先删除。"]
    assert sorted(d.year_records.values_list("year", flat=True)) == [2022, 2023]  # nothing deleted by the refusal
