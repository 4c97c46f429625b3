"""The decision panel of 办理: 审核通过 / 审核不通过 as two buttons (no radio to forget, no confirmation
before the server's checks), the direct superior preselected, 是否在编 / 审核原则 remembered per
unit, errors shown on the case page after a redirect (once), the message saying where the case
went, and 受理 explained."""
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from core.repeats import REPEATED
from hours import transitions
from hours.models import Item, ReviewStep, YearRecord
from review import selectors
from workflow.models import Action, State
from tests.helpers import text_of
from tests.hours.fixtures_views import *  # noqa: F401,F403 - the fixtures (p, media)
from tests.hours.fixtures_views import at_state, complete_draft, fresh, frozen_now, messages_of, steps, submitted
from tests.review.case_pages import case_url, check_lines, refused

pytestmark = pytest.mark.usefixtures("media")

UNIT_DETAILS = {"nature": "institution", "on_staff": "否", "principle": "按单位备案培训认定"}


def panel_of(response):
    html = response.content.decode()
    return html[html.index('id="decision"'):]


def buttons(panel):
    return re.findall(r'<button type="submit" name="decision" value="(\w+)"[^>]*>([^<]+)</button>', panel)


def test_two_buttons_and_the_choice_of_next_level_folded(client, p):
    d = submitted(p.song)
    client.force_login(p.chen)
    response = client.get(case_url(d))
    panel = panel_of(response)
    assert buttons(panel) == [("approve", "审核通过"), ("reject", "审核不通过")]  # the only one waiting: no next
    submitted(p.zhao)
    assert buttons(panel_of(client.get(case_url(d)))) == [
        ("approve", "审核通过"), ("approve_next", "审核通过并打开下一件"), ("reject", "审核不通过"),
    ]
    assert 'name="decision" type="radio"' not in panel and "提交审核结果" not in panel
    assert "data-confirm" not in panel  # the confirmation comes after the checks (static/js/case.js)
    assert '<details class="next-level">' in panel  # folded: the direct superior is chosen already
    assert "审核通过后送： 湖南省地质院 （更改）" in text_of(response)
    assert "审核意见 审核不通过时必填，将告知申请人" in text_of(response)
    assert '<script src="/static/js/case.js" defer></script>' in response.content.decode()


@pytest.mark.parametrize(
    "reviewer, state, next_type, next_org",
    [
        ("chen", State.UNIT_REVIEW, "superior", "dzy"),  # 湖南省地质研究所 → its parent, not the department above
        ("dzy_admin", State.SUPERIOR_REVIEW, "superior", "zrzy"),
        ("zrzy_admin", "department", "bureau", None),  # a first-level department: the bureau only
    ],
)
def test_the_direct_superior_is_preselected(client, p, reviewer, state, next_type, next_org):
    d = at_state(p, State.SUPERIOR_REVIEW if state == "department" else state)
    if state == "department":
        d = transitions.declaration_approve(declaration=d, user=p.dzy_admin, next_org=p.zrzy)
    client.force_login(getattr(p, reviewer))
    form = client.get(case_url(d)).context["form"]
    assert form.initial["next_type"] == next_type
    assert form.initial.get("next_org") == (getattr(p, next_org).pk if next_org else None)
    # approving as shown sends it there
    data = {"decision": "approve", "next_type": next_type, "expected_state": fresh(d).state, **({"next_org": form.initial["next_org"]} if next_org else {})}
    assert client.post(case_url(d), data).status_code == 302
    assert fresh(d).current_org == (getattr(p, next_org) if next_org else p.hn)


def test_the_unit_fields_are_remembered_per_unit(client, p):
    first, second = submitted(p.song), submitted(p.zhao)
    client.force_login(p.chen)
    form = client.get(case_url(first)).context["form"]
    assert (form.initial.get("on_staff"), form.initial.get("principle")) == (None, None)
    assert form.initial["nature"] == p.dzyjs.nature  # the unit's own, before any decision
    client.post(case_url(first), {"decision": "approve", "next_type": "bureau", "expected_state": State.UNIT_REVIEW, **UNIT_DETAILS})
    response = client.get(case_url(second))
    form = response.context["form"]
    assert {k: form.initial[k] for k in UNIT_DETAILS} == UNIT_DETAILS
    assert "按您上次审核本单位申报时的选择预填" in text_of(response)
    # a decision without them (a batch, or one from before they were recorded) does not erase them
    third = submitted(p.li)
    transitions.declaration_reject(declaration=third, user=p.chen, reason="请补充")
    assert {k: client.get(case_url(second)).context["form"].initial[k] for k in UNIT_DETAILS} == UNIT_DETAILS
    # the neighbouring unit's administrator is not prefilled with 陈立新's choices
    theirs = submitted(p.wang)
    client.force_login(p.dzcl_admin)
    assert client.get(case_url(theirs)).context["form"].initial.get("on_staff") is None


def prefilled(client, d):
    """The 单位性质, 是否在编 and 审核原则 the case page's panel offers the signed-in reviewer."""
    form = client.get(case_url(d)).context["form"]
    return {k: form.initial.get(k) for k in UNIT_DETAILS}


OWN_NATURE = {"nature": "institution", "on_staff": None, "principle": None}  # 湖南省地质研究所's own, nothing remembered


def test_the_unit_fields_are_the_reviewers_own_at_this_unit(client, p):
    """Another administrator of the same unit, and the same administrator moved to another unit,
    start from the unit's own 单位性质: 陈立新's choices for 湖南省地质研究所 are his there only."""
    from accounts.models import Role, RoleGrant
    from accounts.roles import forget
    from tests.helpers import make_staff

    assert p.dzyjs.nature == OWN_NATURE["nature"]
    first, second = submitted(p.song), submitted(p.zhao)
    client.force_login(p.chen)
    client.post(case_url(first), {"decision": "approve", "next_type": "bureau", "expected_state": State.UNIT_REVIEW, **UNIT_DETAILS})
    assert prefilled(client, second) == UNIT_DETAILS
    colleague = make_staff(username="dzyjs_admin2", role=Role.UNIT_ADMIN, organisation=p.dzyjs, name="周敏")
    client.force_login(colleague)
    assert prefilled(client, second) == OWN_NATURE
    # 陈立新 moves to 湖南省地质测绘院 (a 事业单位 too): its first case starts without his institute's choices
    dzcl = p.dzcl_admin.role_grants.get().organisation
    RoleGrant.objects.filter(user=p.chen, role=Role.UNIT_ADMIN).update(organisation=dzcl)
    forget(p.chen)
    client.force_login(p.chen)
    assert prefilled(client, submitted(p.wang)) == {**OWN_NATURE, "nature": dzcl.nature}


def test_the_latest_decision_is_remembered_by_its_time_then_its_order(client, p):
    """Two decisions of one instant: the later made. A decision stamped earlier (a clock set back)
    made after: not the latest."""
    now = timezone.now()
    later = {"nature": "institution", "on_staff": "是", "principle": "按折算细则核定"}
    earlier = {"nature": "state_owned", "on_staff": "否", "principle": "其他"}
    with frozen_now(now):
        transitions.declaration_approve(declaration=submitted(p.song), user=p.chen, next_org=p.dzy, details=earlier)
        transitions.declaration_approve(declaration=submitted(p.zhao), user=p.chen, next_org=p.dzy, details=later)
    with frozen_now(now - timedelta(hours=1)):
        transitions.declaration_approve(declaration=submitted(p.song), user=p.chen, next_org=p.dzy, details=earlier)
    client.force_login(p.chen)
    assert prefilled(client, submitted(p.li)) == later


def test_a_remembered_value_no_longer_offered_is_not_prefilled(p):
    d = submitted(p.song)
    transitions.declaration_approve(declaration=d, user=p.chen, next_org=p.dzy, details={"on_staff": "是", "principle": "已停用的原则"})
    assert selectors.remembered_unit_details(user=p.chen, organisation=p.dzyjs) == {"on_staff": "是", "principle": "已停用的原则"}
    from review.views import _decision_form

    form = _decision_form(submitted(p.zhao), p.chen)
    assert form.initial["on_staff"] == "是" and "principle" not in form.initial


@pytest.mark.parametrize(
    "reviewer, state, data, said",
    [
        ("chen", State.UNIT_REVIEW, {"next_type": "superior", "next_org": "dzy"}, "已审核通过，已送湖南省地质院审核。"),
        ("chen", State.UNIT_REVIEW, {"next_type": "bureau"}, "已审核通过，已送人社部门审核。"),
        ("dzy_admin", State.SUPERIOR_REVIEW, {"next_type": "superior", "next_org": "zrzy"}, "已审核通过，已送湖南省自然资源厅审核。"),
        ("hn_clerk", State.BUREAU_REVIEW, {}, "已审核通过，审核办结。"),
    ],
)
def test_the_message_says_where_the_case_went(client, p, reviewer, state, data, said):
    d = at_state(p, state)
    if "next_org" in data:
        data = {**data, "next_org": getattr(p, data["next_org"]).pk}
    client.force_login(getattr(p, reviewer))
    response = client.post(case_url(d), {"decision": "approve", "expected_state": state, **data}, follow=True)
    assert f"申报 {d.business_no}（宋庆涛）{said}" in messages_of(response)


def test_a_refused_decision_is_shown_once_beside_its_fields(client, p):
    d = submitted(p.song)
    client.force_login(p.chen)
    typed = {"decision": "reject", "opinion": " ", "on_staff": "否", "expected_state": State.UNIT_REVIEW}
    page = refused(client, d, typed)
    html = page.content.decode()
    assert '<div class="form-errors" id="decision-errors" role="alert" tabindex="-1">' in html
    assert '<a href="#id_opinion">审核意见：审核不通过时必须填写原因。</a>' in html
    assert page.context["form"]["on_staff"].value() == "否"  # what was chosen stays chosen
    assert fresh(d).state == State.UNIT_REVIEW and steps(d) == 1
    assert not client.get(case_url(d)).context["form"].is_bound  # once: a reload shows the page as it is
    # an over-long opinion is refused the same way, and what was typed comes back cut to the field's bound
    page = refused(client, d, {**typed, "opinion": "意" * 3000})
    assert page.context["form"].errors["opinion"] == ["最多填写500个字符（现为3000个）。"]


def test_a_refused_decision_of_someone_no_longer_holding_it_is_dropped(client, p):
    d = submitted(p.song)
    client.force_login(p.chen)
    refused(client, d, {"decision": "reject", "expected_state": State.UNIT_REVIEW})
    client.post(case_url(d), {"decision": "reject", "expected_state": State.UNIT_REVIEW})  # refused again, kept for the next view
    transitions.declaration_approve(declaration=d, user=p.chen, next_org=p.dzy)  # decided in another tab
    response = client.get(case_url(d))
    assert response.context["form"] is None and "decision-errors" not in response.content.decode()


def test_a_decision_sent_twice_is_made_once(client, p):
    d = submitted(p.song)
    client.force_login(p.chen)
    data = {"decision": "reject", "opinion": "缺少培训通知", "expected_state": State.UNIT_REVIEW}
    assert client.post(case_url(d), data).status_code == 302
    response = client.post(case_url(d), data, follow=True)
    assert REPEATED in messages_of(response)
    assert steps(d, action=Action.REJECT) == 1


def test_the_rejection_keeps_what_the_declaration_held(p):
    d = complete_draft(p.song)
    d = transitions.declaration_submit(declaration=d, user=p.song, pledge=True)
    transitions.declaration_reject(declaration=d, user=p.chen, reason="请补充", details={"on_staff": "是"})
    step = ReviewStep.objects.get(declaration=d, action=Action.REJECT)
    item = d.year_records.get().items.get()
    assert step.details["on_staff"] == "是"
    assert step.details["snapshot"]["items"] == {str(item.pk): "2023年度“培训班、研修班、进修班”"}
    assert sorted(step.details["snapshot"]["files"].values()) == sorted(d.evidence.values_list("original_name", flat=True))


def test_accepting_is_explained_where_it_is_offered(client, p):
    d = at_state(p, State.BUREAU_REVIEW)
    client.force_login(p.hn_clerk)
    page = text_of(client.get(case_url(d)))
    assert "受理人：未受理 受理 受理表示由您负责办理此件，待办列表的“受理人”显示您的姓名，便于分工；不受理也可以直接审核。" in page
    client.post(reverse("review:case_accept", args=[d.pk]))
    page = text_of(client.get(case_url(d)))
    assert f"受理人：{p.hn_clerk.name}" in page and "受理表示" not in page


def test_stored_data_the_rules_cannot_compute_is_a_failed_check_with_its_reason(client, p):
    """A months-away figure the rule set cannot prorate (kept from before the rules changed): the
    校验 list says so among its failed checks, before the reviewer decides."""
    d = at_state(p, State.BUREAU_REVIEW)
    YearRecord.objects.filter(declaration=d).update(months_away=13)
    client.force_login(p.hn_clerk)
    assert check_lines(client.get(case_url(d)))[0] == "✘ 申报数据按折算细则计算：2023年度学时要求无法按不在岗13个月折算：离岗月数须为 0 到 12 的整数，收到 13"


def test_hours_stored_otherwise_than_the_rules_give_are_a_failed_check_with_both_figures(client, p):
    """An item's hours changed behind the form's back (or kept from an older rule set): the 校验
    list shows what was declared beside what the rules give for its facts."""
    d = at_state(p, State.BUREAU_REVIEW)
    client.force_login(p.hn_clerk)
    assert check_lines(client.get(case_url(d)))[0] == "✔ 2023年度“培训班、研修班、进修班”学时折算"
    Item.objects.filter(year_record__declaration=d).update(public_hours=24)
    assert check_lines(client.get(case_url(d)))[0] == "✘ 2023年度“培训班、研修班、进修班”学时折算：申报 24.0/0.0，按折算细则应为 16/0"


def test_facts_the_rules_refuse_are_a_failed_check_with_the_reason(client, p):
    d = at_state(p, State.BUREAU_REVIEW)
    Item.objects.filter(year_record__declaration=d).update(facts={"subject": "public", "days": -2, "half_days": 0, "year": 2023})
    client.force_login(p.hn_clerk)
    lines = check_lines(client.get(case_url(d)))
    assert [line for line in lines if "学时折算" in line] == ["✘ 2023年度“培训班、研修班、进修班”学时折算：“整天数”（days）不能小于 0，收到 -2"]
