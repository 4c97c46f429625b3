"""学时档案 in Chromium: 李雪梅 finds it in the menu with her approved year and the one under review,
then follows “申报该年度” and “申报本年度” to the new declaration with the year already chosen. Every
page is checked with axe-core (see conftest.py)."""
import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.e2e.pages import LI, demo_people, open_menu
from tests.hours.fixtures_views import at_state
from workflow.models import State

pytestmark = pytest.mark.e2e


def test_record_and_declare_a_year(journey, demo_data):
    p = demo_people(demo_data)
    done = at_state(p, State.APPROVED, applicant=p.li, start_year=2022, end_year=2022)  # 16 public hours: short
    waiting = at_state(p, State.UNIT_REVIEW, applicant=p.li, start_year=2023, end_year=2023)
    this_year = timezone.localdate().year

    page = journey.sign_in(LI)
    expect(page.get_by_role("link", name="学时档案", exact=True).first).to_be_visible()
    open_menu(journey, page, "学时档案", shot="record")
    expect(page.get_by_role("heading", name="学时档案", level=1)).to_be_visible()
    approved_row = page.locator("tbody tr", has_text=done.business_no)
    expect(approved_row).to_contain_text(str(done.start_year))
    expect(approved_row).to_contain_text("短缺")
    pending_row = page.locator("tbody tr", has_text=waiting.business_no)
    expect(pending_row).to_contain_text("审核中")
    expect(pending_row.get_by_role("link", name="申报该年度")).to_have_count(0)

    # A year with nothing declared: its own link opens the new declaration on that year.
    empty_year = this_year - 1 if this_year - 1 not in (*done.years, *waiting.years) else this_year
    row = page.locator("tbody tr", has=page.locator("strong", has_text=str(empty_year)))
    journey.navigate(page, lambda: row.get_by_role("link", name=f"申报{empty_year}年度学时").click(), shot="declare-year")
    expect(page.get_by_label("申报起始年度")).to_have_value(str(empty_year))
    expect(page.get_by_label("申报终止年度")).to_have_value(str(empty_year))

    # Back on the record, “declare this year” does the same for this year.
    page.go_back()
    journey.look(page)
    journey.navigate(page, lambda: page.get_by_role("link", name=f"申报{this_year}年度学时").first.click())
    expect(page.get_by_label("申报起始年度")).to_have_value(str(this_year))
    journey.finish()
