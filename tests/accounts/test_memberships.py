"""A unit's administrator confirms or rejects the people who say they work there; moving units."""
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from accounts import services
from accounts.models import Membership, MembershipStatus, User
from core.repeats import REPEATED
from tests.helpers import another_browser, make_person, text_of

pytestmark = pytest.mark.django_db

QUEUE_URL = reverse("accounts:membership_queue")


def confirm_url(membership):
    return reverse("accounts:membership_confirm", args=[membership.pk])


def reject_url(membership):
    return reverse("accounts:membership_reject", args=[membership.pk])


@pytest.fixture
def he_lei(demo):
    """何磊, waiting for 湖南省地质研究所 (administrator 陈立新) to confirm him."""
    return Membership.objects.get(person__name="何磊", status=MembershipStatus.PENDING)


@pytest.fixture
def institute_admin(demo, client):
    client.force_login(demo.account("applicant_unit_admin"))
    return client


def test_the_queue_lists_the_units_pending_people(institute_admin, he_lei):
    response = institute_admin.get(QUEUE_URL)
    assert response.status_code == 200
    page = text_of(response)
    assert "以下人员申请加入“湖南省地质研究所”" in page
    assert "何磊" in page and "4301**********1372" in page and "188****9011" in page
    assert "430121198810111372" not in page  # full ID numbers never appear in lists
    assert "罗娟" not in page  # she asked 长沙市第一医院
    assert "共1条" in page


def test_confirming_makes_the_person_staff_of_the_unit(institute_admin, he_lei, demo):
    response = institute_admin.post(confirm_url(he_lei), follow=True)
    assert response.redirect_chain == [(QUEUE_URL, 302)]
    page = text_of(response)
    assert "已确认 何磊 为本单位人员。" in page
    assert "暂无待确认的人员。" in page
    he_lei.refresh_from_db()
    assert he_lei.status == MembershipStatus.ACTIVE
    assert he_lei.decided_by == demo.account("applicant_unit_admin")
    assert he_lei.decided_at is not None
    assert User.objects.get(name="何磊").organisation.name == "湖南省地质研究所"


def test_the_confirmed_person_sees_the_unit_on_the_home_page(institute_admin, he_lei, client, demo):
    institute_admin.post(confirm_url(he_lei))
    client.force_login(User.objects.get(name="何磊"))
    page = text_of(client.get(reverse("portal:home")))
    assert "您的工作单位：湖南省地质研究所。" in page
    assert "等待" not in page


def test_confirming_twice_says_so_and_changes_nothing(demo, institute_admin, he_lei):
    institute_admin.post(confirm_url(he_lei))
    he_lei.refresh_from_db()
    decided_at = he_lei.decided_at

    response = institute_admin.post(confirm_url(he_lei), follow=True)  # a double click
    assert response.status_code == 200
    assert REPEATED in text_of(response)
    # The same from another browser: the membership's own state answers.
    response = another_browser(demo.account("applicant_unit_admin")).post(confirm_url(he_lei), follow=True)
    assert "该申请已是“已确认”状态，无需再次处理。" in text_of(response)
    he_lei.refresh_from_db()
    assert (he_lei.status, he_lei.decided_at) == (MembershipStatus.ACTIVE, decided_at)
    assert Membership.objects.filter(person=he_lei.person).count() == 1


def test_rejecting_needs_a_reason(institute_admin, he_lei):
    for reason in ["", "   "]:
        response = institute_admin.post(reject_url(he_lei), {"reason": reason}, follow=True)
        assert response.status_code == 200
        assert "请填写不通过的原因。" in text_of(response)
    he_lei.refresh_from_db()
    assert he_lei.status == MembershipStatus.PENDING


def test_rejecting_with_a_reason_tells_the_person(institute_admin, he_lei, client):
    response = institute_admin.post(reject_url(he_lei), {"reason": "本单位无此人员"}, follow=True)
    assert "已退回 何磊 的申请。" in text_of(response)
    he_lei.refresh_from_db()
    assert (he_lei.status, he_lei.reason) == (MembershipStatus.REJECTED, "本单位无此人员")
    assert he_lei.person.organisation is None

    client.force_login(he_lei.person)
    page = text_of(client.get(reverse("portal:home")))
    assert "“湖南省地质研究所”未确认您的申请：本单位无此人员。" in page


def test_a_rejected_request_cannot_then_be_confirmed(institute_admin, he_lei):
    institute_admin.post(reject_url(he_lei), {"reason": "本单位无此人员"})
    response = institute_admin.post(confirm_url(he_lei), follow=True)
    assert "该申请已是“单位未通过”状态，无需再次处理。" in text_of(response)
    he_lei.refresh_from_db()
    assert he_lei.status == MembershipStatus.REJECTED


@pytest.mark.parametrize("admin", ["dzcl_admin", "dzy_admin", "csyy_admin"])
def test_another_units_admin_gets_404(demo, client, he_lei, admin):
    """Even the administrator of the unit above (湖南省地质院) cannot decide for 湖南省地质研究所."""
    client.force_login(demo.user(admin))
    assert client.post(confirm_url(he_lei)).status_code == 404
    response = client.post(reject_url(he_lei), {"reason": "不是本单位"})
    assert response.status_code == 404
    assert "页面不存在" in text_of(response)
    he_lei.refresh_from_db()
    assert he_lei.status == MembershipStatus.PENDING
    assert "何磊" not in text_of(client.get(QUEUE_URL))


def test_unknown_membership_gives_404(institute_admin):
    assert institute_admin.post(reverse("accounts:membership_confirm", args=[999999])).status_code == 404


def test_confirm_and_reject_take_post_only(institute_admin, he_lei):
    assert institute_admin.get(confirm_url(he_lei)).status_code == 405
    assert institute_admin.get(reject_url(he_lei)).status_code == 405
    he_lei.refresh_from_db()
    assert he_lei.status == MembershipStatus.PENDING


def test_services_refuse_someone_who_is_not_the_units_admin(demo, he_lei):
    with pytest.raises(PermissionDenied):
        services.membership_confirm(membership=he_lei, actor=demo.user("dzcl_admin"))
    with pytest.raises(ValidationError) as caught:
        services.membership_reject(membership=he_lei, actor=demo.account("applicant_unit_admin"), reason=" ")
    assert caught.value.messages == ["请填写不通过的原因。"]


# --- moving to another unit --------------------------------------------------------------------


def test_moving_to_another_unit(demo, client):
    song = demo.account("applicant")
    old = Membership.objects.get(person=song, status=MembershipStatus.ACTIVE)
    client.force_login(song)
    response = client.post(reverse("accounts:membership_move"), {"move-organisation": "湖南省地质测绘院"}, follow=True)
    assert response.redirect_chain == [(reverse("accounts:profile"), 302)]
    page = text_of(response)
    assert "已向“湖南省地质测绘院”提交调入申请，请等待单位管理员确认。" in page
    assert "等待“湖南省地质测绘院”的单位管理员确认" in page
    song.refresh_from_db()
    assert song.organisation.name == "湖南省地质研究所"  # still the old unit until the new one confirms

    new = Membership.objects.get(person=song, status=MembershipStatus.PENDING)
    client.force_login(demo.user("dzcl_admin"))
    client.post(confirm_url(new))

    song.refresh_from_db()
    old.refresh_from_db()
    new.refresh_from_db()
    assert song.organisation.name == "湖南省地质测绘院"
    assert new.status == MembershipStatus.ACTIVE
    assert old.status == MembershipStatus.ENDED and old.ended_at is not None
    assert Membership.objects.filter(person=song).count() == 2

    client.force_login(song)
    page = text_of(client.get(reverse("accounts:profile")))
    assert "湖南省地质测绘院 已确认" in page
    assert "湖南省地质研究所 已调离" in page


def test_a_person_cannot_ask_twice_or_for_their_own_unit(demo, client):
    song = demo.account("applicant")
    client.force_login(song)
    move = reverse("accounts:membership_move")
    response = client.post(move, {"move-organisation": "湖南省地质研究所"}, follow=True)
    assert "您已是该单位的人员，无需重复申请。" in text_of(response)
    client.post(move, {"move-organisation": "湖南省地质测绘院"})
    response = client.post(move, {"move-organisation": "湖南师范大学"}, follow=True)
    assert "您已有一个待单位确认的申请，请等待确认或撤回后再申请。" in text_of(response)
    assert Membership.objects.filter(person=song, status=MembershipStatus.PENDING).count() == 1


def test_a_bureau_cannot_be_chosen_as_the_new_unit(demo, client):
    song = demo.account("applicant")
    client.force_login(song)
    response = client.post(reverse("accounts:membership_move"), {"move-organisation": "湖南省人力资源和社会保障厅"}, follow=True)
    assert "未找到该单位，请输入完整的单位名称或统一社会信用代码，或从提示中选择。" in text_of(response)
    with pytest.raises(ValidationError) as caught:
        services.membership_request(person=song, organisation=demo.org("湖南省人力资源和社会保障厅"))
    assert caught.value.messages == ["请选择用人单位，人社部门不能作为工作单位。"]
    assert not Membership.objects.filter(person=song, status=MembershipStatus.PENDING).exists()


def test_withdrawing_a_pending_request(demo, client, he_lei):
    client.force_login(he_lei.person)
    url = reverse("accounts:membership_withdraw", args=[he_lei.pk])
    response = client.post(url, follow=True)
    assert "申请已撤回。" in text_of(response)
    assert not Membership.objects.filter(pk=he_lei.pk).exists()
    # someone else's request is not found
    other = Membership.objects.get(person__name="罗娟")
    assert client.post(reverse("accounts:membership_withdraw", args=[other.pk])).status_code == 404


def test_a_rejected_person_may_ask_again(demo, he_lei):
    admin = demo.account("applicant_unit_admin")
    services.membership_reject(membership=he_lei, actor=admin, reason="信息不符")
    again = services.membership_request(person=he_lei.person, organisation=demo.org("湖南省地质研究所"))
    services.membership_confirm(membership=again, actor=admin)
    assert list(Membership.objects.filter(person=he_lei.person).values_list("status", flat=True)) == [
        MembershipStatus.ACTIVE,
        MembershipStatus.REJECTED,
    ]


def test_queue_pages_at_fifteen(demo, client):
    unit = demo.org("湖南省地质测绘院")
    for i in range(16):
        make_person(organisation=unit, name=f"人员{i:02d}")
    client.force_login(demo.user("dzcl_admin"))
    page = text_of(client.get(QUEUE_URL))
    assert "共16条，显示1-15条" in page and "人员14" in page and "人员15" not in page
    page = text_of(client.get(QUEUE_URL, {"page": 2}))
    assert "显示16-16条" in page and "人员15" in page


# --- a request withdrawn while the administrator decides it (two tabs, two people) ------------------


def test_confirming_or_rejecting_a_request_withdrawn_meanwhile_says_so(demo, he_lei):
    admin = demo.account("applicant_unit_admin")
    services.membership_withdraw(membership=he_lei, actor=he_lei.person)
    for decide in (
        lambda: services.membership_confirm(membership=he_lei, actor=admin),
        lambda: services.membership_reject(membership=he_lei, actor=admin, reason="不是本单位人员"),
    ):
        with pytest.raises(ValidationError) as caught:
            decide()
        assert caught.value.messages == ["该申请已被申请人撤回。"]


def test_withdrawing_twice_at_once_says_the_second_is_already_withdrawn(demo, he_lei):
    services.membership_withdraw(membership=he_lei, actor=he_lei.person)
    with pytest.raises(ValidationError) as caught:
        services.membership_withdraw(membership=he_lei, actor=he_lei.person)
    assert caught.value.messages == ["该申请已撤回。"]


def test_the_administrators_page_answers_a_withdrawn_request_with_a_message(institute_admin, he_lei, monkeypatch):
    from accounts import views

    monkeypatch.setattr(views, "_membership_for_admin", lambda request, pk: he_lei)  # read before it was withdrawn
    services.membership_withdraw(membership=he_lei, actor=he_lei.person)
    response = institute_admin.post(confirm_url(he_lei), follow=True)
    assert response.redirect_chain == [(QUEUE_URL, 302)]
    assert "该申请已被申请人撤回。" in text_of(response)
