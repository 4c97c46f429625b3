"""The queries the load test's busiest pages run (issue 8: CPU per request), pinned so that a
look-up dropped for speed does not creep back: the 待办列表 reads the filing window once, not once
per use; the case page reads the declaration's files and items once; saving a draft writes only
the year that changed. What the savings must not break, a changed window seen at once by the clerk
who set it, is tested with the windows (tests/review/test_periods_notifications_export.py)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from hours import services as hours_services
from hours.models import Declaration, EvidenceCategory
from hours import transitions
from workflow.models import State
from tests.helpers import SESSION_QUERIES, assert_database_query_count
from tests.hours.fixtures_views import *  # noqa: F401,F403
from tests.hours.fixtures_views import TRAINING, add_item, at_state, draft, pdf, year_with_training

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]


def tables_read(captured, table):
    return sum(f'FROM "{table}"' in q["sql"] for q in captured.captured_queries)


def test_todo_page_reads_the_filing_window_once(client, p):
    for applicant in (p.song, p.zhao, p.li):
        at_state(p, State.BUREAU_REVIEW, applicant=applicant)
    client.force_login(p.hn_clerk)
    # user, role grants; the bureau chain and its window (once, for the filter, the counts and
    # the rows' 督办 marks); the page's count, the counts, the rows.
    with assert_database_query_count(7 + SESSION_QUERIES) as captured:
        response = client.get(reverse("review:bureau_todo") + "?supervision=normal")
    assert response.status_code == 200
    assert tables_read(captured, "review_filingperiod") == 1
    assert response.context["counts"] == {"waiting": 3, "overdue": 0}
    assert len(response.context["page"].object_list) == 3


def test_case_page_reads_files_and_items_once(client, p):
    d = draft(p.song)
    record, item = year_with_training(d, p.song)
    hours_services.evidence_add(declaration=d, user=p.song, category=EvidenceCategory.EDUCATION, upload=pdf("学历.pdf"))
    d = transitions.declaration_submit(declaration=complete(d), user=p.song, pledge=True)
    client.force_login(p.chen)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("review:case", args=[d.pk]))
    assert response.status_code == 200
    # The workspace's read of each; the only other look-up of files is the other applicants' same files.
    assert tables_read(captured, "hours_item") == 1
    assert tables_read(captured, "hours_evidence") == 2
    labels = [c.label for c in response.context["checks"]]
    assert "佐证材料未与他人或其他年度重复" in labels and "成果未与他人冲突" not in labels  # a training has no rank


def test_case_page_still_finds_a_file_used_twice_in_the_declaration(client, p):
    d = draft(p.song, start_year=2022, end_year=2023)
    same = pdf("学时证明.pdf")
    for year in (2022, 2023):
        record, item = year_with_training(d, p.song, year=year)
        hours_services.evidence_add(declaration=d, user=p.song, category=EvidenceCategory.ITEM, item=item,
                                    material="completion_certificate", upload=pdf("学时证明.pdf", same.read()))
        same.seek(0)
    d = transitions.declaration_submit(declaration=complete(d), user=p.song, pledge=True)
    client.force_login(p.chen)
    checks = client.get(reverse("review:case", args=[d.pk])).context["checks"]
    duplicate = next(c for c in checks if c.label == "佐证材料重复使用")
    assert not duplicate.ok and "同时用于2022、2023年度" in duplicate.detail


def year_writes(captured):
    return sum(q["sql"].startswith('UPDATE "hours_yearrecord"') for q in captured.captured_queries)


def test_adding_and_deleting_an_item_writes_only_its_year(client, p):
    d = draft(p.song, start_year=2021, end_year=2023)
    records = [hours_services.year_record_add(declaration=d, user=p.song, year=y) for y in (2021, 2022, 2023)]
    for record in records:
        add_item(d, p.song, record)
    client.force_login(p.song)
    url = reverse("hours:item_add", args=[d.pk, records[1].pk])
    # user, role grants, the declaration, its year; then in a savepoint: the locked declaration,
    # the year still there (another tab may have deleted it), the year's day-based items (a year has
    # only so many days), the insert, the sums, the years,
    # the one changed year, the totals (the flash message is a cookie).
    with assert_database_query_count(14 + SESSION_QUERIES) as captured:
        response = client.post(url, {"activity": "training", **{k: str(v) for k, v in TRAINING.items()}})
    assert response.status_code == 302
    assert year_writes(captured) == 1
    d = Declaration.objects.get(pk=d.pk)
    assert [r.public_hours for r in d.year_records.order_by("year")] == [16, 32, 16]
    assert d.total_public == 64

    added = d.year_records.get(year=2022).items.order_by("-id").first()
    with CaptureQueriesContext(connection) as captured:
        response = client.post(reverse("hours:item_delete", args=[d.pk, added.pk]))
    assert response.status_code == 302
    assert year_writes(captured) == 1
    d = Declaration.objects.get(pk=d.pk)
    assert [r.public_hours for r in d.year_records.order_by("year")] == [16, 16, 16]
    assert d.total_public == 48


def test_deleting_another_declarations_item_is_still_404(client, p):
    mine, theirs = draft(p.song), draft(p.zhao)
    year_with_training(mine, p.song)
    _, item = year_with_training(theirs, p.zhao)
    client.force_login(p.song)
    assert client.post(reverse("hours:item_delete", args=[mine.pk, item.pk])).status_code == 404
    assert client.post(reverse("hours:item_add", args=[mine.pk, theirs.year_records.get().pk]), {"activity": "training"}).status_code == 404
    assert theirs.year_records.get().items.count() == 1


def test_declarations_list_reads_the_organisations_once(client, p):
    draft(p.song)
    client.force_login(p.song)
    # the user with their unit, role grants (a first look: then in the cache); the page's count and
    # rows; the bureaus' tree and the window (集中办理时间 on the page).
    with assert_database_query_count(6 + SESSION_QUERIES) as captured:
        response = client.get(reverse("hours:declaration_list"))
    assert response.status_code == 200
    assert tables_read(captured, "accounts_organisation") == 1  # the bureaus' tree; the unit came joined to the user
    assert p.song.organisation.name in response.content.decode()
