"""The years the portal takes: declarations from FIRST_YEAR to this year, and what an earlier
学时认定单 can be said to cover. Plain rules with no database: the forms, the services and the
pages' selectors all ask here."""
from django.utils import timezone

FIRST_YEAR = 2000


def allowed_years():
    return range(FIRST_YEAR, timezone.localdate().year + 1)


# An earlier 学时认定单 waives the materials of every year it covers (2024 notice 三(三)), so what
# it covers is bounded by what a certificate can be: years already past or this one, none before
# the portal's FIRST_YEAR, and no more than a title evaluation's span of five years (the notice:
# 2019–2023; its own example: a 2018–2022 certificate).
PREVIOUS_CERTIFICATE_MAX_YEARS = 5


def previous_certificate_problem(start, end):
    """Why an earlier certificate cannot be said to cover start–end, or None."""
    this_year = timezone.localdate().year
    if not (FIRST_YEAR <= start <= this_year and FIRST_YEAR <= end <= this_year):
        return f"以前年度学时认定单所覆盖的年度应在{FIRST_YEAR}年至{this_year}年之间。"
    if end < start:
        return "终止年度不能早于起始年度。"
    if end - start + 1 > PREVIOUS_CERTIFICATE_MAX_YEARS:
        return f"一份学时认定单最多覆盖{PREVIOUS_CERTIFICATE_MAX_YEARS}个年度（如2019–2023年），请核对起止年度。"
    return None
