"""<input type="date"> fields render their value as YYYY-MM-DD: with zh-hans's 2026/11/01 the
browser shows an empty field, and saving the form again fails for a date that was there."""
import re
from datetime import date

import pytest
from django.urls import reverse
from django.utils import translation

from hours.forms import FilingForm
from review.forms import FilingPeriodForm, TodoFilterForm

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "form, field",
    [
        (FilingPeriodForm(initial={"opens_on": date(2026, 11, 1)}), "opens_on"),
        (FilingForm(initial={"planned_start": date(2026, 11, 1)}), "planned_start"),
        (TodoFilterForm(initial={"received_from": date(2026, 11, 1)}), "received_from"),
    ],
)
def test_date_fields_render_iso_dates_in_chinese(form, field):
    with translation.override("zh-hans"):
        html = str(form[field])
    assert 'value="2026-11-01"' in html and 'type="date"' in html


def test_the_filing_period_page_shows_its_dates(client, demo):
    client.force_login(demo.account("bureau_clerk"))
    html = client.get(reverse("review:filing_periods")).content.decode()
    values = re.findall(r'<input type="date" name="(?:opens_on|closes_on)" value="([^"]*)"', html)
    assert len(values) == 2 and all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", v) for v in values), values
