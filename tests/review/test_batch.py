"""批量审核 (review/views.bureau_batch → review/services.declaration_batch_decide): each ticked
declaration is decided on its own, and the results page says what happened to every one — done,
already handled by someone else, outside the clerk's bureau, or not found."""
from dataclasses import astuple

import pytest
from django.urls import reverse

from accounts.models import Role
from accounts.services import staff_account_create
from core.models import Job, JobKind
from hours.models import Declaration
from hours import transitions
from workflow.models import Action, State
from hours.models import ReviewStep
from review import services
from tests.helpers import DEMO_PASSWORD, text_of
from tests.hours.fixtures_views import *  # noqa: F401,F403

URL = "review:bureau_batch"


def bureau_decisions(d):
    return ReviewStep.objects.filter(declaration_id=d.pk, from_state=State.BUREAU_REVIEW)


def result_rows(response):
    return {r.pk: (r.ok, r.message, r.business_no, r.name) for r in response.context["results"]}


@pytest.fixture
def second_clerk(p):
    return staff_account_create(username="hn_clerk2", name="王晓燕", password=DEMO_PASSWORD, role=Role.BUREAU_CLERK, organisation=p.hn)


def test_batch_approve_reports_every_item(client, p, second_clerk):
    valid = [at_state(p, State.BUREAU_REVIEW, applicant=a) for a in (p.song, p.zhao, p.li)]
    stale = at_state(p, State.BUREAU_REVIEW)
    transitions.declaration_approve(declaration=stale, user=second_clerk, opinion="同意")  # handled by a colleague first
    city = transitions.declaration_approve(declaration=submitted(p.wu), user=p.csyy_admin, next_org=p.cs)
    at_unit = submitted(p.song)

    client.force_login(p.hn_clerk)
    ids = [valid[0].pk, stale.pk, city.pk, valid[1].pk, at_unit.pk, 999999, valid[2].pk, valid[0].pk]
    response = client.post(reverse(URL), {"ids": ids, "decision": "approve"})
    assert response.status_code == 200
    rows = result_rows(response)
    assert list(rows) == [valid[0].pk, stale.pk, city.pk, valid[1].pk, at_unit.pk, 999999, valid[2].pk]  # each once, in order
    for d in valid:
        assert rows[d.pk] == (True, "审核通过", d.business_no, d.name)
    assert rows[stale.pk] == (False, "该申报已被他人处理，请刷新后查看最新状态。", stale.business_no, "宋庆涛")
    assert rows[city.pk][:2] == (False, "该申报不在您的审核范围内。")
    assert rows[at_unit.pk][0] is False
    assert rows[999999] == (False, "申报不存在", "", "")

    page = text_of(response)
    assert "批量审核结果" in page and "共 7 件：成功 3 件，未处理 4 件。" in page
    assert f"{stale.business_no} 宋庆涛 该申报已被他人处理，请刷新后查看最新状态。" in page
    assert f"{city.business_no} 吴涛 该申报不在您的审核范围内。" in page

    for d in valid:
        row = fresh(d)
        assert row.state == State.APPROVED
        decision = bureau_decisions(d).get()  # approved exactly once
        assert (decision.action, decision.to_state, decision.actor, decision.opinion) == (Action.APPROVE, State.APPROVED, p.hn_clerk, "批量审核通过")
    assert bureau_decisions(stale).get().actor == second_clerk
    assert fresh(city).state == State.BUREAU_REVIEW and not bureau_decisions(city).exists()
    assert fresh(at_unit).state == State.UNIT_REVIEW and steps(at_unit) == 1

    # the same batch again: nothing is approved twice
    response = client.post(reverse(URL), {"ids": [d.pk for d in valid], "decision": "approve"})
    assert all(not ok and message == "该申报已被他人处理，请刷新后查看最新状态。" for ok, message, *_ in result_rows(response).values())
    assert all(bureau_decisions(d).count() == 1 for d in valid)


def test_batch_reject_without_a_reason_changes_nothing(client, p):
    waiting = [at_state(p, State.BUREAU_REVIEW) for _ in range(2)]
    client.force_login(p.hn_clerk)
    for reason in ("", "  "):
        response = client.post(reverse(URL), {"ids": [d.pk for d in waiting], "decision": "reject", "reason": reason}, follow=True)
        assert response.redirect_chain[-1][0] == reverse("review:bureau_todo")
        assert messages_of(response) == ["批量审核不通过时必须填写原因。"]
    for d in waiting:
        assert fresh(d).state == State.BUREAU_REVIEW and not bureau_decisions(d).exists()


def test_batch_reject_with_a_reason(client, p):
    waiting = [at_state(p, State.BUREAU_REVIEW) for _ in range(2)]
    client.force_login(p.hn_clerk)
    response = client.post(reverse(URL), {"ids": [d.pk for d in waiting], "decision": "reject", "reason": "学时证明不清晰"})
    assert all(row[:2] == (True, "审核不通过，已退回申请人") for row in result_rows(response).values())
    for d in waiting:
        row = fresh(d)
        assert (row.state, row.rejection_reason) == (State.REJECTED, "学时证明不清晰")
        assert bureau_decisions(d).get().to_state == State.REJECTED


def test_batch_without_ticks(client, p):
    client.force_login(p.hn_clerk)
    response = client.post(reverse(URL), {"decision": "approve"}, follow=True)
    assert messages_of(response) == ["请先勾选要批量审核的申报。"]
    response = client.post(reverse(URL), {"ids": ["abc"], "decision": "approve"}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("review:bureau_todo") and messages_of(response)


def test_a_city_clerk_learns_nothing_about_province_declarations(client, p):
    province = at_state(p, State.BUREAU_REVIEW)
    client.force_login(p.cs_clerk)
    response = client.post(reverse(URL), {"ids": [province.pk], "decision": "approve"})
    assert result_rows(response) == {province.pk: (False, "申报不存在", "", "")}
    page = text_of(response)
    assert province.business_no not in page and "宋庆涛" not in page
    assert fresh(province).state == State.BUREAU_REVIEW


def test_batch_is_for_bureau_clerks_only(client, p):
    d = at_state(p, State.BUREAU_REVIEW)
    for user in (p.song, p.chen, p.dzy_admin, p.zrzy_admin):
        client.force_login(user)
        assert client.post(reverse(URL), {"ids": [d.pk], "decision": "approve"}).status_code == 403
    client.force_login(p.hn_clerk)
    assert client.get(reverse(URL)).status_code == 405
    assert fresh(d).state == State.BUREAU_REVIEW


def test_batch_from_the_todo_page(client, p):
    """The todo page's form posts the ticked rows (ids) with the decision and reason."""
    d = at_state(p, State.BUREAU_REVIEW)
    client.force_login(p.hn_clerk)
    html = client.get(reverse("review:bureau_todo")).content.decode()
    assert f'action="{reverse(URL)}"' in html
    assert f'name="ids" value="{d.pk}"' in html
    assert 'name="decision" value="approve"' in html and 'name="reason"' in html
    response = client.post(reverse(URL), {"ids": [str(d.pk)], "decision": "approve", "reason": ""})
    assert result_rows(response)[d.pk][0] is True
    assert Declaration.objects.get(pk=d.pk).state == State.APPROVED


def test_the_batchs_audit_steps_keep_the_clerks_address(client, p):
    approving, rejecting = at_state(p, State.BUREAU_REVIEW), at_state(p, State.BUREAU_REVIEW, applicant=p.zhao)
    client.force_login(p.hn_clerk)
    client.post(reverse(URL), {"ids": [approving.pk], "decision": "approve"}, REMOTE_ADDR="10.0.0.7")
    client.post(reverse(URL), {"ids": [rejecting.pk], "decision": "reject", "reason": "学时证明不清晰"}, REMOTE_ADDR="10.0.0.8")
    assert bureau_decisions(approving).values_list("action", "ip_address").get() == (Action.APPROVE, "10.0.0.7")
    assert bureau_decisions(rejecting).values_list("action", "ip_address").get() == (Action.REJECT, "10.0.0.8")


def test_a_batch_rejection_given_no_reason_rejects_nothing(p):
    d = at_state(p, State.BUREAU_REVIEW)
    (result,) = services.declaration_batch_decide(user=p.hn_clerk, ids=[d.pk], decision="reject")
    assert (result.ok, result.message) == (False, "审核不通过时必须填写原因。")
    assert fresh(d).state == State.BUREAU_REVIEW and not bureau_decisions(d).exists()


@pytest.mark.parametrize(("decision", "reason", "message", "state"), [
    ("approve", "", "审核通过", State.APPROVED),
    ("reject", "学时证明不清晰", "审核不通过，已退回申请人", State.REJECTED),
])
def test_a_retried_job_reports_what_it_decided_before_and_decides_it_once(p, decision, reason, message, state):
    """The first attempt decided 宋庆涛's case and stopped; the retry runs the whole batch again."""
    first, second = at_state(p, State.BUREAU_REVIEW), at_state(p, State.BUREAU_REVIEW, applicant=p.zhao)
    job = Job.objects.create(owner=p.hn_clerk, kind=JobKind.BATCH_DECIDE, title="批量审核（2 件）")
    batch = {"user": p.hn_clerk, "decision": decision, "reason": reason, "job": job}
    services.declaration_batch_decide(ids=[first.pk], **batch)
    retried = services.declaration_batch_decide(ids=[first.pk, second.pk], **batch)
    assert [astuple(r) for r in retried] == [
        (first.pk, first.business_no, "宋庆涛", True, "本任务此前的执行中已处理"),
        (second.pk, second.business_no, "赵金强", True, message),
    ]
    for d in (first, second):
        assert fresh(d).state == state
        assert bureau_decisions(d).get().details["batch_job"] == job.pk
