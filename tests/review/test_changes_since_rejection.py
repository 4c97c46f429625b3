"""After 审核不通过 and a resubmission, the case page marks what the applicant changed since the
rejection: items and files added (新增 beside them) or removed (listed by name), from the snapshot
the rejection step keeps; for a rejection recorded before the snapshot existed, the additions by
time. Nothing is marked for a declaration that was never turned down, and reading the marks costs
no query."""
import pytest
from django.urls import reverse

from hours import services, transitions
from hours.models import EvidenceCategory
from workflow.models import State
from tests.helpers import text_of
from tests.hours.fixtures_views import *  # noqa: F401,F403 - the fixtures (p, media)
from tests.hours.fixtures_views import add_item, at_state, attach_item_files, complete_draft, png
from tests.review.case_pages import case_url

pytestmark = pytest.mark.usefixtures("media")

PROFESSIONAL = {"subject": "professional", "days": 3, "half_days": 0}


def turned_down(p, reviewer=None):
    """宋庆涛's declaration with two trainings and their files, submitted and turned down at his unit."""
    d = complete_draft(p.song)
    record = d.year_records.get()
    second = add_item(d, p.song, record, facts=PROFESSIONAL)
    attach_item_files(d, p.song, second)
    d = transitions.declaration_submit(declaration=d, user=p.song, pledge=True)
    return transitions.declaration_reject(declaration=d, user=reviewer or p.chen, reason="结业证书不清晰"), record, second


def test_what_changed_is_marked_after_the_resubmission(client, p):
    d, record, second = turned_down(p)
    first = record.items.order_by("id").first()
    client.force_login(p.chen)
    assert client.get(case_url(d)).context["changes"] is None  # turned down, not yet sent again

    old = first.evidence.get(material="completion_certificate")
    services.evidence_delete(evidence=old, user=p.song)
    clearer = services.evidence_add(declaration=d, user=p.song, category=EvidenceCategory.ITEM, item=first,
                                    material="completion_certificate", upload=png("结业证书-清晰.png"))
    services.item_delete(item=second, user=p.song)
    added = add_item(d, p.song, record, facts={"subject": "professional", "days": 2, "half_days": 0})
    attach_item_files(d, p.song, added)
    d = transitions.declaration_submit(declaration=d, user=p.song, pledge=True)

    response = client.get(case_url(d))
    changes = response.context["changes"]
    assert changes["complete"] and changes["step"].opinion == "结业证书不清晰"
    assert changes["added_items"] == {added.pk}
    assert changes["added_files"] == {clearer.pk} | set(added.evidence.values_list("pk", flat=True))
    assert changes["removed_items"] == ["2023年度“培训班、研修班、进修班”"]
    assert sorted(changes["removed_files"]) == ["completion_certificate.png", "completion_certificate.png", "training_notice.png"]
    page = text_of(response)
    assert "退回后的修改" in page and "审核不通过，原因：结业证书不清晰。申请人修改后重新提交" in page
    for line in ("新增学习项目 1 项（下表标“新增”）", "删除学习项目：2023年度“培训班、研修班、进修班”", "新增材料 3 个（标“新增”）",
                 "删除材料：completion_certificate.png"):
        assert line in page, line
    html = response.content.decode()
    assert html.count('<span class="change-mark">新增</span>') == 1 + 3  # the new item's row and each new file
    assert "结业证书-清晰.png</a> <span class=\"change-mark\">新增</span>" in html
    # the superior unit, and then the bureau, see the same marks
    d = transitions.declaration_approve(declaration=d, user=p.chen, next_org=p.dzy)
    client.force_login(p.dzy_admin)
    assert client.get(case_url(d)).context["changes"]["added_items"] == {added.pk}


def test_nothing_changed_is_said_too(client, p):
    d, _, _ = turned_down(p)
    d = transitions.declaration_submit(declaration=d, user=p.song, pledge=True)
    client.force_login(p.chen)
    assert "学习项目和材料没有变化" in text_of(client.get(case_url(d)))


def test_the_last_rejection_counts(client, p):
    d, record, second = turned_down(p)
    d = transitions.declaration_submit(declaration=d, user=p.song, pledge=True)
    d = transitions.declaration_reject(declaration=d, user=p.chen, reason="仍不清晰")
    extra = services.evidence_add(declaration=d, user=p.song, category=EvidenceCategory.HOURS, upload=png("学时证明2.png"))
    d = transitions.declaration_submit(declaration=d, user=p.song, pledge=True)
    client.force_login(p.chen)
    changes = client.get(case_url(d)).context["changes"]
    assert changes["step"].opinion == "仍不清晰" and changes["added_files"] == {extra.pk}


def test_a_rejection_from_before_the_snapshot_marks_additions_by_time(client, p, monkeypatch):
    monkeypatch.setattr(transitions, "rejection_snapshot", lambda declaration: None)  # as rejections were recorded before
    d, record, second = turned_down(p)
    monkeypatch.undo()
    services.item_delete(item=second, user=p.song)
    added = add_item(d, p.song, record, facts={"subject": "professional", "days": 2, "half_days": 0})
    files = attach_item_files(d, p.song, added)
    d = transitions.declaration_submit(declaration=d, user=p.song, pledge=True)
    client.force_login(p.chen)
    response = client.get(case_url(d))
    changes = response.context["changes"]
    assert not changes["complete"]
    assert changes["added_items"] == {added.pk} and changes["added_files"] == {f.pk for f in files}
    assert changes["removed_items"] == [] and changes["removed_files"] == []
    assert "只能按时间标出新增的项目和材料，删除的无法列出" in text_of(response)


def test_a_declaration_never_turned_down_has_no_marks(client, p):
    d = at_state(p, State.SUPERIOR_REVIEW)
    client.force_login(p.dzy_admin)
    response = client.get(case_url(d))
    assert response.context["changes"] is None and "退回后的修改" not in text_of(response)


def test_the_marks_cost_no_query(client, p):
    """The case page of a resubmitted declaration runs as many queries as one never turned down."""
    plain = transitions.declaration_submit(declaration=complete_draft(p.zhao), user=p.zhao, pledge=True)
    d, _, _ = turned_down(p)
    d = transitions.declaration_submit(declaration=d, user=p.song, pledge=True)
    client.force_login(p.chen)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    for declaration in (plain, d):
        client.get(case_url(declaration))
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("review:case", args=[declaration.pk])).status_code == 200
        counts.append(len(captured.captured_queries))
    assert counts[0] == counts[1]
