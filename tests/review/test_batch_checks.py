"""校验 in the 待办列表 and in 批量审核: the automatic checks' verdict is kept on the declaration when
it arrives at a level (after commit), shown in the 校验 column and filtered on by a database query;
a batch approval runs the checks again and refuses, case by case, what fails them — even a case the
list still showed as clean."""
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from hours import services as hours_services, transitions
from hours.models import Declaration, EvidenceCategory
from review import services
from workflow.models import State
from tests.helpers import hidden_fields, text_of
from tests.hours.fixtures_views import *  # noqa: F401,F403
from tests.hours.fixtures_views import approved, at_state, complete, draft, fresh, png, row_of
from tests.review.fixtures_batch import clean_at_bureau, clean_draft, flagged_at_bureau

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
