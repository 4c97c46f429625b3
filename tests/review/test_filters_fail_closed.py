"""Filters fail closed: an invalid filter shows its error and no rows, never everything, and
批量审核 of 全部筛选结果 decides exactly what its confirmation page counted."""
import pytest
from django.urls import reverse

from hours.models import Declaration
from workflow.models import State
from tests.helpers import hidden_fields, text_of
from tests.hours.fixtures_views import *  # noqa: F401,F403
from tests.portal.jobs_support import waiting_declarations

TODO, BATCH = "review:bureau_todo", "review:bureau_batch"

INVALID_TODO_FILTERS = [
    {"received_from": "2024-06-02", "received_to": "2024-06-01"},  # the end before the start
    {"id_number": "4301211988050410151"},  # 19 characters
    {"received_from": "0001-01-01"},
    {"received_to": "9999-12-31"},
    {"applicant": "宋庆涛\x07"},  # a control character pasted from Word
    {"supervision": "everything"},
    {"checks": "all"},  # 校验: only 校验全部通过, 校验未通过, 未校验
    {"order": "random"},
]


@pytest.fixture
def waiting(p):
    return waiting_declarations(p, 3)


@pytest.mark.parametrize("query", INVALID_TODO_FILTERS)
def test_an_invalid_todo_filter_shows_its_error_and_no_rows(client, p, waiting, query):
    client.force_login(p.hn_clerk)
    response = client.get(reverse(TODO), query)
    assert response.status_code == 400
    assert response.context["form"].errors
    assert list(response.context["page"].object_list) == []
    assert "全选筛选结果" not in text_of(response) and "暂无待办事项" in text_of(response)


@pytest.mark.parametrize("query", INVALID_TODO_FILTERS)
def test_an_invalid_filter_exports_nothing(client, p, waiting, query):
    client.force_login(p.hn_clerk)
    response = client.get(reverse(TODO), {**query, "export": "xlsx"})
    assert response.status_code == 400 and not response.get("Content-Disposition")
    assert "筛选条件有误，请修改后再导出。" in text_of(response)


@pytest.mark.parametrize("query", INVALID_TODO_FILTERS)
def test_a_batch_on_an_invalid_filter_decides_nothing(client, p, waiting, query):
    """The filter the batch form carries is validated again: it never widens to the whole list."""
    from urllib.parse import urlencode

    client.force_login(p.hn_clerk)
    form = {"scope": "filtered", "filters": urlencode(query), "decision": "approve", "confirmed": "1"}
    response = client.post(reverse(BATCH), form, follow=True)
    assert "筛选条件有误，未进行批量审核" in text_of(response)
    assert Declaration.objects.filter(state=State.BUREAU_REVIEW).count() == 3


@pytest.mark.parametrize("url_name, user, query", [
    ("review:unit_queue", "chen", {"year": "99999"}),
    ("review:unit_queue", "chen", {"id_number": "x" * 19}),
    ("review:superior_queue", "dzy_admin", {"status": "everything"}),
    ("hours:filing_queue", "zrzy_admin", {"year": "1e309"}),
    ("hours:proxy_list", "chen", {"q": "宋\x00"}),
])
def test_other_lists_fail_closed_too(client, p, url_name, user, query):
    submitted(p.song)
    client.force_login(getattr(p, user))
    response = client.get(reverse(url_name), query)
    assert response.status_code in (200, 400)
    context = response.context
    rows = context["staff"] if url_name == "hours:proxy_list" else context["page"]
    assert list(rows.object_list) == []
    assert "aria-invalid" in response.content.decode()


def test_a_confirmed_batch_runs_only_on_what_the_confirmation_counted(client, p, waiting):
    client.force_login(p.hn_clerk)
    form = {"scope": "filtered", "filters": "", "decision": "approve"}
    confirm = client.post(reverse(BATCH), form)
    assert hidden_fields(confirm)["count"] == "3"
    # Before the clerk confirms, another case arrives at the bureau.
    at_state(p, State.BUREAU_REVIEW, applicant=p.zhao)
    again = client.post(reverse(BATCH), hidden_fields(confirm))
    assert "筛选结果已变化（确认时为 3 件，现为 4 件），请核对后重新确认。" in text_of(again)
    assert hidden_fields(again)["count"] == "4"
    assert Declaration.objects.filter(state=State.BUREAU_REVIEW).count() == 4  # nothing decided yet
    done = client.post(reverse(BATCH), hidden_fields(again))
    assert "共 4 件：成功 4 件" in text_of(done)


def test_a_confirmation_without_its_count_is_asked_again_in_chinese(client, p, waiting):
    """A confirmation page without the count (opened before an upgrade, or edited) asks again; the
    message names no count rather than “None”."""
    client.force_login(p.hn_clerk)
    confirm = client.post(reverse(BATCH), {"scope": "filtered", "filters": "", "decision": "approve"})
    sent = {k: v for k, v in hidden_fields(confirm).items() if k not in ("count", "fingerprint")}
    again = client.post(reverse(BATCH), sent)
    assert "筛选结果已变化，请核对后重新确认。" in text_of(again)
    assert "None" not in text_of(again)
    assert Declaration.objects.filter(state=State.BUREAU_REVIEW).count() == 3


@pytest.mark.parametrize("ids", [["99999999999999999999"], ["²"], ["1", "-3"], ["1e3"]])
def test_ticked_ids_that_are_no_ids_refuse_the_batch(client, p, waiting, ids):
    client.force_login(p.hn_clerk)
    response = client.post(reverse(BATCH), {"ids": [*ids, str(waiting[0].pk)], "decision": "approve"}, follow=True)
    assert "所选申报的编号无效，请刷新页面后重新勾选。" in text_of(response)
    assert Declaration.objects.filter(state=State.BUREAU_REVIEW).count() == 3
