"""The applicant's home page: this year's meter (approved and under review against the requirement,
公需 and 专业 apart) and how many of the five years before this one are met, with the links to
学时档案, “declare this year” and “print this span”; the figures agree with 学时档案's."""
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from certificates import records
from hours import services
from hours.transitions import declaration_approve, declaration_submit
from tests.hours.fixtures_views import add_item, complete, draft, p  # noqa: F401 - p is a fixture

pytestmark = pytest.mark.django_db

THIS_YEAR = timezone.localdate().year
START, END = THIS_YEAR - 5, THIS_YEAR - 1
FULL_YEAR = (("public", 4, 0), ("professional", 7, 1))  # 32 public, 60 professional: met


def declared(p, year, trainings, *, approve=True):
    """宋庆涛's declaration of `year` with (subject, days, half days) trainings, submitted and, unless
    told, approved at each level."""
    d = draft(p.song, start_year=year, end_year=year)
    record = services.year_record_add(declaration=d, user=p.song, year=year)
    for subject, days, halves in trainings:
        add_item(d, p.song, record, facts={"subject": subject, "days": days, "half_days": halves})
    d = declaration_submit(declaration=complete(d), user=p.song, pledge=True)
    if approve:
        d = declaration_approve(declaration=d, user=p.chen, next_org=p.dzy, opinion="同意")
        d = declaration_approve(declaration=d, user=p.dzy_admin, next_org=p.hn, opinion="同意")
        d = declaration_approve(declaration=d, user=p.hn_clerk, opinion="同意")
    return d


def test_the_meter_and_the_five_years(client, p):  # noqa: F811
    declared(p, START, FULL_YEAR)
    declared(p, START + 1, FULL_YEAR)
    declared(p, START + 2, (("public", 4, 0),))  # short
    declared(p, START - 5, FULL_YEAR)  # outside the span: not counted
    declared(p, THIS_YEAR, (("public", 2, 0), ("professional", 5, 0)))  # 16 + 40 approved
    declared(p, THIS_YEAR, (("public", 2, 0),), approve=False)  # 16 public under review

    standing = records.home_standing(applicant=p.song)
    assert standing.span == (START, END) and standing.met_years == 2 and standing.short_years == 3
    assert (standing.current.approved.public, standing.current.pending.public) == (Decimal(16), Decimal(16))
    by_year = {r.year: r for r in records.applicant_record(applicant=p.song).rows}
    assert standing.current == by_year[THIS_YEAR]
    assert standing.met_years == sum(by_year[y].met for y in range(START, END + 1))

    client.force_login(p.song)
    html = client.get(reverse("portal:home")).content.decode()
    assert f"近五年（{START}–{END}年）已达标 <strong>2</strong> 年，3 年未达标。" in html
    assert "已认定 16 ＋ 审核中 16 ／ 要求 30 学时" in html  # 公需
    assert "已认定 40 ／ 要求 60 学时" in html  # 专业: nothing of it under review
    assert 'aria-label="公需科目：已认定16学时，审核中16学时，要求30学时"' in html
    assert f'href="{reverse("certificates:record")}"' in html
    assert f'href="{reverse("hours:declaration_new")}?year={THIS_YEAR}"' in html
    assert f'href="{reverse("certificates:print")}?start_year={START}&amp;end_year={END}"' in html


def test_nothing_declared(client, p):  # noqa: F811
    client.force_login(p.zhao)
    html = client.get(reverse("portal:home")).content.decode()
    assert f"近五年（{START}–{END}年）已达标 <strong>0</strong> 年，5 年未达标。" in html
    assert "已认定 0 ／ 要求 30 学时" in html and "已认定 0 ／ 要求 60 学时" in html


def test_not_on_a_home_page_without_the_applicant_role(client, p):  # noqa: F811
    client.force_login(p.dzcl_admin)
    assert "近五年" not in client.get(reverse("portal:home")).content.decode()
