"""Issue 20's “done when”, in Chromium: 湖南大学继续教育学院 pushes a completed course for 李雪梅 through
the real HTTP API with a key the bureau made; she opens 学时档案 and sees the year's hours waiting,
from the base, opens a new declaration of that year, finds the record in 确认选择 with the base, its
record number and dates, and ticks it in: an item needing no evidence (hunan-2024 recognises the
bases' hours). Every page is checked with axe-core (see conftest.py)."""
import json
import urllib.request
from datetime import date

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from api import services as api_services
from tests.e2e.pages import LI, demo_people, flash, open_menu, year_article
from tests.conftest import Demo

pytestmark = pytest.mark.e2e

BASE = "湖南大学继续教育学院（省级专业技术人员继续教育基地）"


def push(base_url, key, record):
    request = urllib.request.Request(
        f"{base_url}/api/v1/records", data=json.dumps({"records": [record]}).encode(), method="POST",
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=15) as response:
        return response.status, json.loads(response.read())


def test_a_pushed_record_reaches_the_record_and_is_ticked_into_a_declaration(journey, demo_data):
    p = demo_people(demo_data)
    base = Demo(demo_data).org(BASE)
    year = timezone.localdate().year - 1
    _, key = api_services.key_create(
        user=p.hn_clerk, organisation=base, name="学员管理系统", subjects=["public", "professional"], source="training_base",
        bureau=base.bureau,
    )
    status, answer = push(journey.base_url, key, {
        "record_id": "HNU-E2E-0001", "id_number": p.li.id_number, "name": p.li.name, "title": "岩土工程新技术研修班",
        "subject": "professional", "hours": "16", "start_date": date(year, 9, 14).isoformat(),
        "end_date": date(year, 9, 15).isoformat(), "certificate_no": "HNU-ZS-2001",
    })
    assert status == 200 and answer["accepted"] == 1, answer

    page = journey.sign_in(LI)
    open_menu(journey, page, "学时档案", shot="record-waiting")
    row = page.locator("tbody tr", has=page.locator("strong", has_text=str(year)))
    waiting = row.locator("td[data-label='未选入的培训记录']")
    expect(waiting).to_contain_text("1条，16学时")
    expect(waiting).to_contain_text(f"来自{BASE}")

    journey.navigate(page, lambda: row.get_by_role("link", name=f"申报{year}年度学时").click())
    page.get_by_label("拟申报职称").select_option("中级")
    page.get_by_label("申报大类").select_option("工程技术")
    page.get_by_label("子专业名称").fill("地质勘查")
    journey.navigate(page, lambda: page.get_by_role("button", name="下一步").click(), shot="claim-offered")
    expect(flash(page)).to_contain_text("已暂存")

    block = year_article(page, year)
    claim = block.locator("form.claim")
    expect(claim).to_contain_text("岩土工程新技术研修班")
    for shown in (BASE, "平台记录编号 HNU-E2E-0001", "证书编号 HNU-ZS-2001", f"{year}-09-14至{year}-09-15"):
        expect(claim).to_contain_text(shown)
    claim.get_by_label("岩土工程新技术研修班").check()
    claim.get_by_role("button", name="确认选择").click()
    item = block.locator("li.item").filter(has_text="岩土工程新技术研修班")
    expect(item).to_contain_text("继续教育基地记录，按规定直接认定，无需上传")
    expect(item).to_contain_text("专业科目 16 学时")
    expect(block.locator("form.claim")).to_have_count(0)
    journey.look(page, shot="claimed", state="claimed")
    journey.finish()
