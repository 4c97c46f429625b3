"""校验 in the 待办列表 and in 批量审核: the automatic checks' verdict is kept on the declaration when
it arrives at a level (after commit), shown in the 校验 column and filtered on by a database query;
a batch approval runs the checks again and refuses, case by case, what fails them — even a case the
list still showed as clean."""
import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from hours import services as hours_services, transitions
from hours.models import Declaration, EvidenceCategory
from review import checks, services
from review.forms import BatchForm
from workflow.models import State
from tests.helpers import hidden_fields, text_of
from tests.hours.fixtures_views import *  # noqa: F401,F403
from tests.hours.fixtures_views import approved, at_state, complete, draft, fresh, frozen_now, png, row_of, submitted
from tests.review.fixtures_batch import clean_at_bureau, clean_draft, flagged_at_bureau, flagged_draft, share_a_scan, to_bureau
from tests.review.test_reviewer_hours import OTHER, henan_year

pytestmark = pytest.mark.usefixtures("media")

TODO, BATCH = "review:bureau_todo", "review:bureau_batch"
REFUSED = "校验未通过，请逐件办理：佐证材料重复使用"


@pytest.fixture
def arriving(django_capture_on_commit_callbacks):
    """Run what waits for the commit (the verdict is kept after the arrival commits), as a request does."""
    def run(make, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return make(*args, **kwargs)
    return run


def shown(client, **query):
    response = client.get(reverse(TODO), query)
    assert response.status_code == 200
    return {d.pk for d in response.context["page"].object_list}


def results(response):
    return {r.pk: (r.ok, r.message) for r in response.context["results"]}


def test_arriving_at_a_level_keeps_the_verdict(p, arriving):
    clean = arriving(clean_at_bureau, p, p.song)
    flagged = arriving(flagged_at_bureau, p, p.li, shared_with=draft(p.wang))
    short = arriving(at_state, p, State.BUREAU_REVIEW, applicant=p.zhao)  # 16 of 90 hours: 短缺, not a fault
    clean, flagged, short = fresh(clean), fresh(flagged), fresh(short)
    assert (clean.checks_failed, clean.checks_summary, clean.checks_passed) == (0, "", True)
    assert (flagged.checks_failed, flagged.checks_summary, flagged.checks_passed) == (1, "佐证材料重复使用", False)
    assert short.checks_passed is True
    assert clean.checked_at >= clean.waiting_since


def test_a_verdict_from_an_earlier_level_is_no_verdict(p, arriving):
    d = arriving(transitions.declaration_submit, declaration=complete(clean_draft(p.song)), user=p.song, pledge=True)
    assert fresh(d).checks_passed is True  # checked at the unit
    d = transitions.declaration_approve(declaration=d, user=p.chen, next_org=p.hn)  # its arrival's check never ran
    assert fresh(d).checks_failed == 0 and fresh(d).checks_passed is None


def test_a_verdict_kept_at_the_unit_is_under_neither_tab_of_the_todo_list(client, p, arriving):
    """Checked as they reached their unit, one clean and one flagged, then sent on to the bureau
    whose own check has not run: the unit's verdict is not the bureau's, both are 未校验."""
    made = [(clean_draft(p.song), p.song), (flagged_draft(p.li, shared_with=draft(p.wang)), p.li)]
    at_unit = [arriving(transitions.declaration_submit, declaration=complete(d), user=who, pledge=True) for d, who in made]
    assert [fresh(d).checks_failed for d in at_unit] == [0, 1]
    at_bureau = [transitions.declaration_approve(declaration=d, user=p.chen, next_org=p.hn) for d in at_unit]
    assert [fresh(d).checks_failed for d in at_bureau] == [0, 1]  # kept, but from before its arrival
    client.force_login(p.hn_clerk)
    assert shown(client, checks="passed") == set()
    assert shown(client, checks="failed") == set()
    assert shown(client, checks="unchecked") == {d.pk for d in at_bureau}
    response = client.get(reverse(TODO))
    assert all("未校验" in row_of(response, d.business_no) for d in at_bureau)


def test_the_todo_list_filters_on_the_verdict(client, p, arriving):
    clean = [arriving(clean_at_bureau, p, person) for person in (p.song, p.zhao)]
    flagged = arriving(flagged_at_bureau, p, p.li, shared_with=draft(p.wang))
    unchecked = at_state(p, State.BUREAU_REVIEW, applicant=p.li)  # the callbacks never ran: 未校验
    client.force_login(p.hn_clerk)
    assert shown(client, checks="passed") == {d.pk for d in clean}
    assert shown(client, checks="failed") == {flagged.pk}
    assert shown(client, checks="unchecked") == {unchecked.pk}
    assert shown(client) == {d.pk for d in [*clean, flagged, unchecked]}
    response = client.get(reverse(TODO))
    assert "全部通过" in row_of(response, clean[0].business_no)
    assert "1项未通过" in row_of(response, flagged.business_no) and "佐证材料重复使用" in row_of(response, flagged.business_no)
    assert "未校验" in row_of(response, unchecked.business_no)
    # The tabs keep the other filters and drop the page.
    html = client.get(reverse(TODO), {"applicant": "李雪梅", "page": "1", "checks": "failed"}).content.decode()
    assert 'href="?applicant=%E6%9D%8E%E9%9B%AA%E6%A2%85&amp;checks=passed"' in html
    assert 'aria-current="page" class="active">校验未通过</a>' in html


def test_batch_approval_refuses_a_case_that_fails_a_check(client, p, arriving):
    clean = [arriving(clean_at_bureau, p, person) for person in (p.song, p.zhao)]
    flagged = arriving(flagged_at_bureau, p, p.li, shared_with=draft(p.wang))
    client.force_login(p.hn_clerk)
    response = client.post(reverse(BATCH), {"ids": [clean[0].pk, flagged.pk, clean[1].pk], "decision": "approve"})
    assert results(response) == {clean[0].pk: (True, "审核通过"), flagged.pk: (False, REFUSED), clean[1].pk: (True, "审核通过")}
    page = text_of(response)
    assert "共 3 件：成功 2 件，未处理 1 件。未处理的请逐件办理。" in page
    assert f"{flagged.business_no} 李雪梅 {REFUSED} 办理" in page
    assert reverse("review:case", args=[flagged.pk]) in response.content.decode()
    assert fresh(flagged).state == State.BUREAU_REVIEW and not flagged.steps.filter(from_state=State.BUREAU_REVIEW).exists()
    assert {fresh(d).state for d in clean} == {State.APPROVED}
    # Rejecting it is still a batch's to do: the checks stop approvals only.
    response = client.post(reverse(BATCH), {"ids": [flagged.pk], "decision": "reject", "reason": "佐证材料与他人重复"})
    assert results(response) == {flagged.pk: (True, "审核不通过，已退回申请人")}


def test_the_checks_run_again_when_the_batch_decides(client, p, arriving):
    """The list's verdict is as of the arrival: a file another applicant uploads later turns it, and
    the batch finds that out, refuses the case and keeps the new verdict."""
    d = arriving(clean_at_bureau, p, p.song)
    client.force_login(p.hn_clerk)
    assert shown(client, checks="passed") == {d.pk}
    mine = d.evidence.filter(category=EvidenceCategory.HOURS).get()
    other = draft(p.wang)
    hours_services.evidence_add(declaration=other, user=p.wang, category=EvidenceCategory.DECLARATION,
                                upload=png("学时证明.png", mine.file.read()))
    assert shown(client, checks="passed") == {d.pk}  # still as it arrived
    response = client.post(reverse(BATCH), {"ids": [d.pk], "decision": "approve"})
    assert results(response) == {d.pk: (False, REFUSED)}
    assert fresh(d).state == State.BUREAU_REVIEW
    assert shown(client, checks="passed") == set() and shown(client, checks="failed") == {d.pk}


def test_a_filtered_batch_of_clean_cases_approves_only_what_still_passes(client, p, arriving):
    clean = [arriving(clean_at_bureau, p, person) for person in (p.song, p.zhao)]
    flagged = arriving(flagged_at_bureau, p, p.li, shared_with=draft(p.wang))
    client.force_login(p.hn_clerk)
    form = {"scope": "filtered", "filters": "checks=passed", "decision": "approve"}
    confirm = client.post(reverse(BATCH), form)
    assert "全部 2 件申报批量 审核通过" in text_of(confirm) and "每件申报都会再次自动校验" in text_of(confirm)
    done = client.post(reverse(BATCH), hidden_fields(confirm))
    assert set(results(done)) == {d.pk for d in clean}
    assert fresh(flagged).state == State.BUREAU_REVIEW
    # The same confirmation sent again finds nothing left to decide: back to the list, nothing twice.
    again = client.post(reverse(BATCH), hidden_fields(confirm), follow=True)
    assert "筛选结果中没有待审核的申报。" in text_of(again)
    assert all(d.steps.filter(from_state=State.BUREAU_REVIEW).count() == 1 for d in clean)


def test_checks_refresh_gives_the_waiting_cases_their_verdict(p):
    clean = clean_at_bureau(p, p.song)  # no callbacks ran: as a case waiting since before the upgrade
    flagged = flagged_at_bureau(p, p.li, shared_with=draft(p.wang))
    assert fresh(clean).checks_passed is None
    out = StringIO()
    call_command("checks_refresh", stdout=out)
    assert "已校验 2 件：全部通过 1 件，未通过 1 件。" in out.getvalue()
    assert (fresh(clean).checks_passed, fresh(flagged).checks_passed) == (True, False)
    out = StringIO()
    call_command("checks_refresh", stdout=out)
    assert "已校验 0 件" in out.getvalue()
    call_command("checks_refresh", "--all", stdout=out)
    assert "已校验 2 件" in out.getvalue()


def test_the_verdict_is_kept_only_for_a_case_still_waiting(p):
    d = approved(p)
    assert services.declaration_checks_record(d.pk) is None
    assert services.declaration_checks_record(999999) is None
    assert Declaration.objects.get(pk=d.pk).checked_at is None


def test_a_case_waiting_at_another_bureau_is_neither_checked_nor_decided(client, p):
    city = transitions.declaration_approve(declaration=submitted(p.wu), user=p.csyy_admin, next_org=p.cs)
    client.force_login(p.hn_clerk)
    response = client.post(reverse(BATCH), {"ids": [city.pk], "decision": "approve"})
    assert results(response) == {city.pk: (False, "该申报不在您的审核范围内。")}
    assert (fresh(city).state, fresh(city).checked_at, fresh(city).checks_failed) == (State.BUREAU_REVIEW, None, None)


# Henan's 其他类别 item (tests/review/test_reviewer_hours.py): hours the bureau sets, a failed check until then.
UNDETERMINED = "2023年度“其他类别的继续教育形式”学时由审核单位核定"  # 28 characters


def test_the_refusal_names_every_failed_check_and_the_kept_summary_is_cut_to_200_characters(client, p):
    d, record = henan_year(p)
    for n in range(7):  # 7 × 28 characters and 6 separators: 202
        hours_services.item_add(year_record=record, user=p.song, activity="other", facts={"title": f"{OTHER['title']}{n}"})
    d = transitions.declaration_submit(declaration=complete(d), user=p.song, pledge=True)
    d = transitions.declaration_approve(declaration=d, user=p.chen, next_org=p.hn)
    client.force_login(p.hn_clerk)
    response = client.post(reverse(BATCH), {"ids": [d.pk], "decision": "approve"})
    assert results(response) == {d.pk: (False, "校验未通过，请逐件办理：" + "；".join([UNDETERMINED] * 7))}
    kept = fresh(d)
    assert (kept.state, kept.checks_failed, kept.checks_passed) == (State.BUREAU_REVIEW, 7, False)
    assert kept.checks_summary == "；".join([UNDETERMINED] * 6) + "；2023年度“其他类别的继续教育形式”学时由审核单…"
    assert len(kept.checks_summary) == 200


@pytest.mark.parametrize(("labels", "summary"), [
    (["甲" * 200], "甲" * 200),
    (["甲" * 100, "乙" * 99], "甲" * 100 + "；" + "乙" * 99),
    (["甲" * 201], "甲" * 199 + "…"),
])
def test_a_summary_of_200_characters_is_kept_whole_and_a_longer_one_cut(p, monkeypatch, labels, summary):
    d = at_state(p, State.BUREAU_REVIEW)
    monkeypatch.setattr(checks, "failed_checks", lambda declaration: [checks.Check(False, label) for label in labels])
    assert len(services.declaration_checks_record(d.pk)) == len(labels)
    assert (fresh(d).checks_failed, fresh(d).checks_summary) == (len(labels), summary)


def test_a_verdict_is_kept_for_its_own_case_only(client, p, arriving):
    """Two cases reaching the bureau at the same instant (as a coarse clock reads it): the batch
    refusing one keeps its verdict, and leaves the other's."""
    with frozen_now(timezone.now()):
        clean = arriving(clean_at_bureau, p, p.song)
        flagged = arriving(flagged_at_bureau, p, p.li, shared_with=draft(p.wang))
    assert fresh(clean).waiting_since == fresh(flagged).waiting_since
    client.force_login(p.hn_clerk)
    response = client.post(reverse(BATCH), {"ids": [flagged.pk], "decision": "approve"})
    assert results(response) == {flagged.pk: (False, REFUSED)}
    assert shown(client, checks="passed") == {clean.pk} and shown(client, checks="failed") == {flagged.pk}
    assert (fresh(clean).checks_failed, fresh(clean).checks_summary) == (0, "")


def decide_while(p, ids, meanwhile, decision="approve", reason=""):
    """A batch decision (approval unless told) of `ids` during which, once the first is decided,
    `meanwhile()` happens (a colleague and an applicant at work while a long batch runs)."""
    def on_item(result):
        if result.pk == ids[0]:
            meanwhile()
    return services.declaration_batch_decide(user=p.hn_clerk, ids=ids, decision=decision, reason=reason, on_item=on_item)


def turned_down(p, d):
    """Rejected by a colleague at the bureau (the batch still holds it as it read it)."""
    return transitions.declaration_reject(declaration=fresh(d), user=p.hn_clerk, reason="请补充佐证材料")


def test_a_case_sent_back_to_its_unit_meanwhile_gets_no_verdict_from_the_batch(p):
    # The clock reads one instant throughout: the resubmission's arrival time is the one the batch read.
    with frozen_now(timezone.now()) as now:
        first = clean_at_bureau(p, p.song)
        flagged = flagged_at_bureau(p, p.li, shared_with=draft(p.wang))

        def back_at_its_unit():
            return transitions.declaration_submit(declaration=turned_down(p, flagged), user=p.li, pledge=True)

        decided = decide_while(p, [first.pk, flagged.pk], back_at_its_unit)
    assert [(r.pk, r.ok, r.message) for r in decided] == [(first.pk, True, "审核通过"), (flagged.pk, False, REFUSED)]
    at_unit = fresh(flagged)
    assert (at_unit.state, at_unit.waiting_since) == (State.UNIT_REVIEW, now)
    # 未校验: its arrival's own check (after the commit) is still to come.
    assert (at_unit.checked_at, at_unit.checks_failed, at_unit.checks_passed) == (None, None, None)


def test_a_case_back_at_the_bureau_meanwhile_gets_no_verdict_from_the_batch(p):
    first = clean_at_bureau(p, p.song)
    flagged = flagged_at_bureau(p, p.li, shared_with=draft(p.wang))
    decided = decide_while(p, [first.pk, flagged.pk], lambda: to_bureau(p, turned_down(p, flagged), p.li))
    assert [(r.pk, r.ok, r.message) for r in decided] == [(first.pk, True, "审核通过"), (flagged.pk, False, REFUSED)]
    again = fresh(flagged)
    assert again.state == State.BUREAU_REVIEW and again.waiting_since > flagged.waiting_since
    assert (again.checked_at, again.checks_failed, again.checks_passed) == (None, None, None)  # 未校验, as above


def rule_set_reads(captured):
    return [q["sql"] for q in captured.captured_queries if 'FROM "hours_ruleset"' in q["sql"]]


def test_the_checks_read_each_cases_rule_set_with_the_case(p):
    """No query of its own per case: a batch of 600 reads the rule set with its declarations."""
    flagged = [flagged_at_bureau(p, person, shared_with=draft(p.wang)) for person in (p.song, p.li)]
    with CaptureQueriesContext(connection) as captured:
        assert [c.label for c in services.declaration_checks_record(flagged[0].pk)] == ["佐证材料重复使用"]
    assert rule_set_reads(captured) == []
    with CaptureQueriesContext(connection) as captured:
        decided = services.declaration_batch_decide(user=p.hn_clerk, ids=[d.pk for d in flagged], decision="approve")
    assert [(r.ok, r.message) for r in decided] == [(False, REFUSED)] * 2
    assert rule_set_reads(captured) == []


@pytest.mark.parametrize("decision, done", [("approve", "审核通过"), ("reject", "审核不通过，已退回申请人")])
def test_a_case_sent_back_and_resubmitted_meanwhile_is_not_decided_unseen(p, decision, done):
    """The clerk ticked the case as it first arrived; a colleague turns it down and it comes back
    to the bureau, resubmitted, while the batch runs. The batch decides the version it found only:
    the new one is left waiting for someone to look at it."""
    first, second = clean_at_bureau(p, p.song), clean_at_bureau(p, p.li)
    steps_before = second.steps.count()
    decided = decide_while(
        p, [first.pk, second.pk], lambda: to_bureau(p, turned_down(p, second), p.li), decision=decision, reason="请补充佐证材料"
    )
    assert [(r.pk, r.ok, r.message) for r in decided] == [
        (first.pk, True, done), (second.pk, False, "该申报已被他人处理，请刷新后查看最新状态。"),
    ]
    assert fresh(second).state == State.BUREAU_REVIEW
    # Only the colleague's rejection and the way back: nothing of the batch's.
    assert second.steps.count() == steps_before + 4


STALE = "该申报已被他人处理，请刷新后查看最新状态。"


def seen_on(page):
    """The rows' versions the 待办列表's batch form carries (`id@arrival`), as the browser sends them."""
    return re.findall(r'<input type="hidden" name="seen" value="([^"]*)"', page.content.decode())


@pytest.mark.parametrize("decision, done", [("approve", "审核通过"), ("reject", "审核不通过，已退回申请人")])
def test_a_case_resubmitted_after_the_list_was_shown_is_not_decided_from_that_list(client, p, decision, done):
    """The clerk opens the 待办列表 and ticks two cases; before the click a colleague turns one down
    and it comes back resubmitted (other hours, another arrival). The list showed the old version:
    the batch refuses that case instead of deciding the new one unseen."""
    first, second = clean_at_bureau(p, p.song), clean_at_bureau(p, p.li)
    client.force_login(p.hn_clerk)
    page = client.get(reverse(TODO))
    seen = seen_on(page)
    assert sorted(int(entry.split("@")[0]) for entry in seen) == sorted([first.pk, second.pk])
    to_bureau(p, turned_down(p, second), p.li)
    steps_before = second.steps.count()
    response = client.post(reverse(BATCH), {
        "ids": [first.pk, second.pk], "seen": seen, "decision": decision, "reason": "请补充佐证材料",
    })
    assert results(response) == {first.pk: (True, done), second.pk: (False, STALE)}
    assert fresh(second).state == State.BUREAU_REVIEW and second.steps.count() == steps_before
    # The list shown again offers the new version, which the batch then decides.
    again = client.post(reverse(BATCH), {"ids": [second.pk], "seen": seen_on(client.get(reverse(TODO))), "decision": decision,
                                         "reason": "请补充佐证材料"})
    assert results(again) == {second.pk: (True, done)}


def test_a_seen_value_that_does_not_read_leaves_the_case_to_be_decided_as_found(client, p):
    d = clean_at_bureau(p, p.song)
    client.force_login(p.hn_clerk)
    for altered in [f"{d.pk}@", f"{d.pk}@yesterday", f"{d.pk}@2026-12-01T08:00:00", "x@2026-12-01T08:00:00+00:00", "@@"]:
        form = BatchForm({"ids": [str(d.pk)], "seen": [altered], "decision": "approve"})
        assert form.is_valid(), altered
        assert form.cleaned_data["seen"] == {}
    response = client.post(reverse(BATCH), {"ids": [d.pk], "seen": [f"{d.pk}@2026-12-01T08:00:00"], "decision": "approve"})
    assert results(response) == {d.pk: (True, "审核通过")}


def test_a_filtered_batch_asks_again_when_a_case_was_resubmitted_after_the_confirmation(client, p):
    first, second = clean_at_bureau(p, p.song), clean_at_bureau(p, p.li)
    client.force_login(p.hn_clerk)
    form = {"scope": "filtered", "filters": "", "decision": "approve"}
    confirm = client.post(reverse(BATCH), form)
    assert "确认批量审核通过（2 件）" in text_of(confirm)
    to_bureau(p, turned_down(p, second), p.li)
    response = client.post(reverse(BATCH), {**form, **hidden_fields(confirm), "confirmed": "on"})
    assert "筛选结果已变化（确认时为 2 件，现为 2 件），请核对后重新确认。" in text_of(response)
    assert "results" not in response.context
    assert {fresh(first).state, fresh(second).state} == {State.BUREAU_REVIEW}
    decided = client.post(reverse(BATCH), {**form, **hidden_fields(response), "confirmed": "on"})
    assert results(decided) == {first.pk: (True, "审核通过"), second.pk: (True, "审核通过")}


def test_a_background_batch_keeps_the_versions_the_clerk_saw(p):
    first, second = clean_at_bureau(p, p.song), clean_at_bureau(p, p.li)
    as_listed = {first.pk: first.waiting_since, second.pk: second.waiting_since}
    to_bureau(p, turned_down(p, second), p.li)
    job = services.declaration_batch_enqueue(user=p.hn_clerk, ids=[first.pk, second.pk], decision="approve", seen=as_listed)
    assert job.params["seen"] == {str(first.pk): first.waiting_since.isoformat(), str(second.pk): second.waiting_since.isoformat()}
    job.refresh_from_db()
    assert [(item["pk"], item["ok"], item["message"]) for item in job.result["report"]] == [
        (first.pk, True, "审核通过"), (second.pk, False, STALE),
    ]


def test_a_case_resubmitted_since_the_list_is_reported_stale_and_not_checked(client, p):
    """Resubmitted with a scan another applicant also holds, it would fail a check; but the batch
    names the true reason (the clerk saw another version) and keeps no verdict for the new one."""
    d = clean_at_bureau(p, p.li)
    client.force_login(p.hn_clerk)
    seen = seen_on(client.get(reverse(TODO)))
    to_bureau(p, share_a_scan(turned_down(p, d), shared_with=draft(p.wang)), p.li)
    response = client.post(reverse(BATCH), {"ids": [d.pk], "seen": seen, "decision": "approve"})
    assert results(response) == {d.pk: (False, STALE)}
    [row] = response.context["results"]
    assert (row.business_no, row.name) == (d.business_no, "李雪梅")  # the report names the case
    assert (fresh(d).state, fresh(d).checked_at, fresh(d).checks_failed) == (State.BUREAU_REVIEW, None, None)


def test_a_background_batch_keeps_only_the_ticked_cases_arrivals(p):
    first, second = clean_at_bureau(p, p.song), clean_at_bureau(p, p.li)
    job = services.declaration_batch_enqueue(
        user=p.hn_clerk, ids=[first.pk], decision="approve", seen={first.pk: first.waiting_since, second.pk: second.waiting_since},
    )
    assert job.params["seen"] == {str(first.pk): first.waiting_since.isoformat()}
