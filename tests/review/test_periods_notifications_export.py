"""Filing window (集中办理时间), 督办 after the bureau's working-day limit, notifications on a
decision, and the Excel export of a queue."""
import io
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from core.inputs import DATE_MAX, DATE_MESSAGE, DATE_MIN
from workflow import periods
from hours import transitions
from workflow.runner import WorkflowError
from review import selectors, services
from workflow.models import FilingPeriod, Notification, State
from tests.hours.fixtures_views import *  # noqa: F401,F403
from tests.hours.fixtures_views import at_state, draft, frozen_now, year_with_training

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


def set_window(p, opens_on, closes_on, days=5):
    return services.filing_period_set(
        bureau=p.hn, year=opens_on.year, opens_on=opens_on, closes_on=closes_on, supervision_days=days, user=p.hn_clerk
    )


def within_year(today, days_before, days_after):
    """A window around today cut to today's year (a year's window lies within it)."""
    return max(today - timedelta(days=days_before), date(today.year, 1, 1)), min(today + timedelta(days=days_after), date(today.year, 12, 31))


def test_submitting_outside_the_window_is_refused_with_its_dates(p):
    with frozen_now(datetime(timezone.localdate().year, 6, 10, 10, 0)):  # room for a window later in the year
        today = timezone.localdate()
        set_window(p, today + timedelta(days=10), today + timedelta(days=40))
        d = draft(p.song)
        year_with_training(d, p.song)
        with pytest.raises(WorkflowError) as caught:
            transitions.declaration_submit(declaration=complete(d), user=p.song, pledge=True)
    assert caught.value.code == "closed"
    assert f"{(today + timedelta(days=10)):%Y年%m月%d日}" in caught.value.message
    assert fresh(d).state == State.DRAFT


def test_city_bureau_units_follow_the_province_window_unless_their_city_sets_one(p):
    today = timezone.localdate()
    set_window(p, today - timedelta(days=5), today + timedelta(days=5))
    assert periods.submission_refusal(p.csyy) is None and periods.days_left(p.csyy) == 5
    cs_clerk = p.cs_clerk
    services.filing_period_set(
        bureau=p.cs, year=today.year, opens_on=today + timedelta(days=1), closes_on=today + timedelta(days=9),
        supervision_days=3, user=cs_clerk,
    )
    assert "不在申报期内" in periods.submission_refusal(p.csyy)
    assert periods.submission_refusal(p.dzyjs) is None  # a province-level unit is not touched


def test_only_the_bureaus_own_clerks_set_its_window(p):
    with pytest.raises(PermissionDenied) as caught:
        services.filing_period_set(
            bureau=p.hn, year=2018, opens_on=date(2018, 6, 1), closes_on=date(2018, 7, 31), supervision_days=5, user=p.cs_clerk
        )
    assert str(caught.value) == "只有该人社部门的经办人可以设置集中办理时间。"
    assert not FilingPeriod.objects.filter(bureau=p.hn, year=2018).exists()


def test_window_page_for_clerks(client, p):
    client.force_login(p.hn_clerk)
    url = reverse("review:filing_periods")
    today = timezone.localdate()
    bad = client.post(url, {"year": today.year, "opens_on": today, "closes_on": today - timedelta(days=1), "supervision_days": 5})
    assert bad.status_code == 400 and "截止日期不能早于开始日期。" in bad.content.decode()
    good = client.post(url, {"year": today.year, "opens_on": today, "closes_on": today + timedelta(days=3), "supervision_days": 4})
    assert good.status_code == 302
    assert FilingPeriod.objects.get(bureau=p.hn, year=today.year).supervision_days == 4
    assert "距截止还有" in client.get(url).content.decode()
    client.force_login(p.song)
    assert client.get(url).status_code == 403


def test_working_days_skip_weekends():
    friday_noon = datetime(2024, 6, 14, 12, 0, tzinfo=SHANGHAI)
    cutoff = periods.working_days_before(5, friday_noon)
    assert timezone.localtime(cutoff).date() == date(2024, 6, 7)
    monday = datetime(2024, 6, 17, 9, 0, tzinfo=SHANGHAI)
    assert timezone.localtime(periods.working_days_before(1, monday)).date() == date(2024, 6, 14)


def test_overdue_declarations_are_marked_and_filtered(client, p):
    today = timezone.localdate()
    set_window(p, *within_year(today, 60, 30), days=2)
    with frozen_now(timezone.now() - timedelta(days=10)):
        old = at_state(p, State.BUREAU_REVIEW)
    recent = at_state(p, State.BUREAU_REVIEW, applicant=p.zhao)
    client.force_login(p.hn_clerk)
    overdue = client.get(reverse("review:bureau_todo"), {"supervision": "overdue"}).content.decode()
    assert old.business_no in overdue and recent.business_no not in overdue
    normal = client.get(reverse("review:bureau_todo"), {"supervision": "normal"}).content.decode()
    assert recent.business_no in normal and old.business_no not in normal
    home = client.get(reverse("portal:home")).content.decode()
    assert "督办" in home


def test_applicant_is_told_of_rejection_with_the_reason_and_by_mail(p, django_capture_on_commit_callbacks):
    p.song.email = "song@example.cn"
    p.song.save(update_fields=["email"])
    d = at_state(p, State.UNIT_REVIEW)
    with django_capture_on_commit_callbacks(execute=True):
        transitions.declaration_reject(declaration=d, user=p.chen, reason="缺少培训签到表")
    note = Notification.objects.get(user=p.song, subject_id=d.pk)
    assert note.subject == d and "审核不通过" in note.title and "缺少培训签到表" in note.body
    assert len(mail.outbox) == 1 and "缺少培训签到表" in mail.outbox[0].body
    assert mail.outbox[0].to == ["song@example.cn"]


def test_applicant_is_told_of_approval_without_mail_when_no_address(p, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        d = at_state(p, State.APPROVED)
    assert Notification.objects.filter(user=p.song, subject_id=d.pk, title__contains="审核通过").count() == 1
    assert mail.outbox == []


def test_queue_export_has_the_columns_shown_and_only_jurisdiction_rows(client, p):
    mine = at_state(p, State.BUREAU_REVIEW)
    client.force_login(p.hn_clerk)
    response = client.get(reverse("review:bureau_todo"), {"export": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = list(load_workbook(io.BytesIO(b"".join(response.streaming_content))).active.iter_rows(values_only=True))
    assert rows[0][:4] == ("序号", "受理编号", "姓名", "身份证号")
    assert [r[1] for r in rows[1:]] == [mine.business_no]
    assert rows[1][3] == "4301**********1015"
    client.force_login(p.cs_clerk)
    rows = list(load_workbook(io.BytesIO(b"".join(client.get(reverse("review:bureau_todo"), {"export": "xlsx"}).streaming_content))).active.iter_rows(values_only=True))
    assert len(rows) == 1


# --- a window within its year ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "opens_on, closes_on",
    [
        (date(1, 1, 1), date(9999, 12, 31)),  # as typed into the date fields
        (date(2024, 6, 1), date(9999, 12, 31)),
        (date(2024, 6, 1), date(2025, 1, 31)),  # into the next year: that year's own window would apply then
        (date(2023, 12, 1), date(2024, 7, 31)),
    ],
)
def test_a_window_outside_its_year_is_refused(client, p, opens_on, closes_on):
    message = "集中办理时间应在2024年内：开始日期和截止日期都应在2024年1月1日至12月31日之间。"
    with pytest.raises(ValidationError) as caught:
        services.filing_period_set(
            bureau=p.hn, year=2024, opens_on=opens_on, closes_on=closes_on, supervision_days=5, user=p.hn_clerk
        )
    assert caught.value.messages == [message]
    client.force_login(p.hn_clerk)
    response = client.post(
        reverse("review:filing_periods"),
        {"year": 2024, "opens_on": opens_on.isoformat(), "closes_on": closes_on.isoformat(), "supervision_days": 5},
    )
    # Dates of another millennium are refused beside the fields already (core/forms.py).
    shown = DATE_MESSAGE if opens_on < DATE_MIN or closes_on > DATE_MAX else message
    assert response.status_code == 400 and shown in response.content.decode()
    assert not FilingPeriod.objects.filter(bureau=p.hn, year=2024).exists()


def test_a_window_may_be_one_day_but_not_close_before_it_opens(p):
    one_day = set_window(p, date(2018, 6, 1), date(2018, 6, 1), days=3)
    assert (one_day.bureau, one_day.year, one_day.opens_on, one_day.closes_on, one_day.supervision_days, one_day.updated_by) == (
        p.hn, 2018, date(2018, 6, 1), date(2018, 6, 1), 3, p.hn_clerk
    )
    with pytest.raises(ValidationError) as caught:
        set_window(p, date(2018, 6, 2), date(2018, 6, 1))
    assert caught.value.messages == ["截止日期不能早于开始日期。"]
    stored = FilingPeriod.objects.get(bureau=p.hn, year=2018)
    assert (stored.opens_on, stored.closes_on, stored.supervision_days) == (date(2018, 6, 1), date(2018, 6, 1), 3)


# --- a window set again ----------------------------------------------------------------------------
# 2018 is before the demo's earliest window (its "windows" start in 2019): the test's rows are the year's only ones.


def test_the_same_window_sent_again_writes_nothing_a_changed_one_updates_the_row(p):
    assert not FilingPeriod.objects.filter(year=2018).exists()
    with frozen_now(datetime(2018, 5, 2, 9, 0)):
        first = set_window(p, date(2018, 6, 1), date(2018, 7, 31), days=5)
    with frozen_now(datetime(2018, 5, 3, 9, 0)):
        again = set_window(p, date(2018, 6, 1), date(2018, 7, 31), days=5)
    assert again.pk == first.pk
    stored = FilingPeriod.objects.get(bureau=p.hn, year=2018)
    assert stored.updated_at == again.updated_at == timezone.make_aware(datetime(2018, 5, 2, 9, 0))
    with frozen_now(datetime(2018, 5, 4, 9, 0)):
        set_window(p, date(2018, 6, 1), date(2018, 7, 31), days=8)
    stored = FilingPeriod.objects.get(bureau=p.hn, year=2018)
    assert (stored.pk, stored.opens_on, stored.closes_on, stored.supervision_days, stored.updated_by) == (
        first.pk, date(2018, 6, 1), date(2018, 7, 31), 8, p.hn_clerk
    )
    assert stored.updated_at == timezone.make_aware(datetime(2018, 5, 4, 9, 0))


def test_another_bureaus_same_window_is_its_own_row(p):
    assert not FilingPeriod.objects.filter(year=2018).exists()
    set_window(p, date(2018, 6, 1), date(2018, 7, 31), days=5)
    city = services.filing_period_set(
        bureau=p.cs, year=2018, opens_on=date(2018, 6, 1), closes_on=date(2018, 7, 31), supervision_days=5, user=p.cs_clerk
    )
    assert (city.bureau, city.year, city.updated_by) == (p.cs, 2018, p.cs_clerk)
    rows = FilingPeriod.objects.filter(year=2018).order_by("bureau__name")
    assert [(r.bureau.name, r.updated_by.username) for r in rows] == [
        ("湖南省人力资源和社会保障厅", "hn_clerk"), ("长沙市人力资源和社会保障局", "cs_clerk")
    ]


def test_a_row_stored_for_another_year_with_the_same_dates_is_not_the_years_window(p):
    # Stored before a window had to lie within its year (the year typed wrong): the same dates set
    # for their own year make that year's row.
    assert not FilingPeriod.objects.filter(bureau=p.cs).exists()
    FilingPeriod.objects.create(
        bureau=p.cs, year=2023, opens_on=date(2024, 6, 1), closes_on=date(2024, 7, 31), supervision_days=5, updated_by=p.cs_clerk
    )
    period = services.filing_period_set(
        bureau=p.cs, year=2024, opens_on=date(2024, 6, 1), closes_on=date(2024, 7, 31), supervision_days=5, user=p.cs_clerk
    )
    assert (period.year, period.opens_on, period.closes_on) == (2024, date(2024, 6, 1), date(2024, 7, 31))
    assert sorted(FilingPeriod.objects.filter(bureau=p.cs).values_list("year", flat=True)) == [2023, 2024]


def test_a_changed_supervision_limit_is_seen_by_the_clerk_who_set_it(p):
    clerk = p.hn_clerk
    with frozen_now(datetime(2026, 6, 10, 10, 0)):  # a Wednesday
        services.filing_period_set(bureau=p.hn, year=2026, opens_on=date(2026, 6, 1),
                                   closes_on=date(2026, 6, 30), supervision_days=5, user=clerk)
        assert selectors.overdue_before(clerk) == timezone.make_aware(datetime(2026, 6, 3, 10, 0))
        services.filing_period_set(bureau=p.hn, year=2026, opens_on=date(2026, 6, 1),
                                   closes_on=date(2026, 6, 30), supervision_days=10, user=clerk)
        assert selectors.overdue_before(clerk) == timezone.make_aware(datetime(2026, 5, 27, 10, 0))


def test_reminders_shown_to_a_city_clerk_follow_the_receiver_or_the_sending_unit(p):
    """消息推送管理: 长沙's clerk sees a reminder to someone in 长沙 sent from outside, and one sent by a
    长沙 unit to someone since moved away; not one between provincial units, even when the clerk also
    administers that unit."""
    from accounts.models import Role, RoleGrant
    from workflow.models import Reminder, ReminderReason

    def remind(person, sender, period):
        return Reminder.objects.create(user=person, reason=ReminderReason.URGE, period=period, organisation=sender)

    remind(p.wu, p.dzyjs, "2026-01-01")  # to 吴涛 (长沙市第一医院), from a provincial unit
    remind(p.wang, p.csyy, "2026-01-02")  # to 王建国 (provincial), from 长沙市第一医院
    remind(p.zhao, p.dzyjs, "2026-01-03")  # within 湖南省地质研究所, which the clerk also administers
    RoleGrant.objects.create(user=p.cs_clerk, role=Role.UNIT_ADMIN, organisation=p.dzyjs)
    seen = {(r.user.name, r.period) for r in selectors.reminders_sent(user=p.cs_clerk, filters={})}
    assert seen == {("吴涛", "2026-01-01"), ("王建国", "2026-01-02")}
