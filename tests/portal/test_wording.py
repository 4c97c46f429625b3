"""Sentences put together from parts read as one sentence: a reason that ends with its own “。” is
not followed by another (core/wording.py, the `sentence` filter), refusals joined from several
messages read “甲；乙。”, and the draft page asks for the 学时上传 material in words."""
import re

import pytest

from accounts.models import Membership, MembershipStatus, User
from accounts.services import membership_reject
from core.wording import joined, sentence
from hours import transitions
from tests.helpers import text_of
from tests.hours.fixtures_views import at_state, draft, people
from workflow.models import Notification, State

pytestmark = pytest.mark.django_db

DOUBLED = re.compile(r"[。，；：、！？][。，；：、]")


def test_a_sentence_gets_its_full_stop_only_when_missing():
    ends = {"结业证书不清晰": "。", "结业证书不清晰。": "。", "结业证书不清晰。 ": "。", "结业证书不清晰，": "。", "结业证书不清晰；": "。"}
    for text, end in ends.items():
        assert sentence(text) == "结业证书不清晰" + end, text
    assert [sentence(t) for t in ("请重新上传！", "哪一年？", "", "  ")] == ["请重新上传！", "哪一年？", "", ""]


def test_messages_joined_read_as_one_sentence():
    assert joined(["这个密码太短。", "这个密码太常见了。"]) == "这个密码太短；这个密码太常见了。"
    assert joined(["只有一条。"]) == "只有一条。"
    assert joined(["没有句号", "", "  "]) == "没有句号"  # one message is said as it is
    assert joined(["甲", "乙"]) == "甲；乙。"
    assert joined([]) == ""


def test_a_rejection_reason_ending_with_a_full_stop_is_not_doubled(client, demo):
    p = people(demo)
    declaration = at_state(p, State.BUREAU_REVIEW)
    transitions.declaration_reject(declaration=declaration, user=p.hn_clerk, reason="结业证书不清晰，请重新上传。")
    client.force_login(p.song)
    text = text_of(client.get(f"/hours/{declaration.pk}/edit/"))
    assert "审核不通过意见：结业证书不清晰，请重新上传。请修改后重新提交。" in text
    assert not DOUBLED.search(text), DOUBLED.search(text)
    body = Notification.objects.filter(user=p.song).latest("id").body
    assert body.endswith("原因：结业证书不清晰，请重新上传。请修改后重新提交。") and not DOUBLED.search(body)
    # Without its own full stop the reason still reads as a sentence.
    again = at_state(p, State.BUREAU_REVIEW, applicant=p.zhao)
    transitions.declaration_reject(declaration=again, user=p.hn_clerk, reason="佐证材料不清晰")
    client.force_login(p.zhao)
    assert "审核不通过意见：佐证材料不清晰。请修改后重新提交。" in text_of(client.get(f"/hours/{again.pk}/edit/"))


def test_a_units_refusal_of_a_member_is_not_doubled_on_the_home_page(client, demo):
    he_lei = Membership.objects.get(person__name="何磊", status=MembershipStatus.PENDING)
    membership_reject(membership=he_lei, actor=demo.account("applicant_unit_admin"), reason="本单位无此人员。")
    client.force_login(User.objects.get(name="何磊"))
    text = text_of(client.get("/"))
    assert "未确认您的申请：本单位无此人员。请在 我的信息 中重新选择单位。" in text
    assert not DOUBLED.search(text)


def test_the_draft_asks_for_the_hours_material_in_words(client, demo):
    p = people(demo)
    declaration = draft(p.song)
    client.force_login(p.song)
    text = text_of(client.get(f"/hours/{declaration.pk}/edit/"))
    assert "请上传学时证明材料（学时上传）" in text
    assert "请上传学时上传" not in text
