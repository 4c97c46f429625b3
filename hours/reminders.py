"""The applicants' reminders, sent daily by `manage.py send_reminders` through
workflow.reminders.remind (once per person, reason and period, whatever the number of workers):

- the filing window closing: 14 days and 3 days before 集中办理时间 ends, to those with a draft or a
  returned declaration in the window's area;
- from 1 November, the year's shortfall, to the people on a unit's staff who have not met the year.

Each takes `today`, and skips those already reminded for the period (the constraint still decides
between two workers)."""
from decimal import Decimal

from django.db.models import Exists, OuterRef

from accounts.models import Membership, MembershipStatus, Organisation, User
from core.wording import hours as hours_text
from workflow.models import EDITABLE_STATES, FilingPeriod, Reminder, ReminderReason
from workflow.reminders import remind

from . import rules
from .models import Declaration, PersonYear
from .policies import policy_for, reference_rule_set

# (reason, most, fewest days left before the window closes): a range, not a day, so that a job that
# missed a day sends the reminder the next; the first ends where the second begins.
WINDOW_REMINDERS = ((ReminderReason.WINDOW_14, 14, 4), (ReminderReason.WINDOW_3, 3, 0))
SHORTFALL_FROM_MONTH = 11


def _not_reminded(users, reason, period):
    return users.exclude(Exists(Reminder.objects.filter(user=OuterRef("pk"), reason=reason, period=period)))


def _nearest_period(organisation, periods_by_path):
    """The window that applies to a unit: that of the nearest bureau up the tree that has set one
    (as workflow.periods.period_for, here over the periods already read)."""
    path = organisation.bureau.path if organisation.bureau else ""
    prefixes = (path[:i] for i in range(len(path), 0, -Organisation.steplen))
    return next((periods_by_path[p] for p in prefixes if p in periods_by_path), None)


def send_window_reminders(today):
    """集中办理时间 closing: the number of reminders sent."""
    periods = list(FilingPeriod.objects.filter(year=today.year).select_related("bureau"))
    by_path = {p.bureau.path: p for p in periods}
    sent = 0
    for reason, most, least in WINDOW_REMINDERS:
        closing = [p for p in periods if p.opens_on <= today and least <= (p.closes_on - today).days <= most]
        for period in closing:
            sent += _remind_window(period, reason, today, by_path)
    return sent


def _remind_window(period, reason, today, by_path):
    open_declarations = Declaration.objects.filter(
        state__in=EDITABLE_STATES, organisation__bureau__path__startswith=period.bureau.path
    )
    units = Organisation.objects.filter(Exists(open_declarations.filter(organisation=OuterRef("pk")))).select_related("bureau")
    # A bureau below with its own window has its own reminders.
    mine = [unit.pk for unit in units if _nearest_period(unit, by_path) == period]
    # Whoever submits: the applicant, or the administrator who declared for them (代为申报).
    waiting = open_declarations.filter(organisation__in=mine)
    users = _not_reminded(
        User.objects.filter(
            Exists(waiting.filter(applicant=OuterRef("pk"), declared_by__isnull=True))
            | Exists(waiting.filter(declared_by=OuterRef("pk")))
        ),
        reason, str(today.year),
    )
    left = (period.closes_on - today).days
    when = "今天" if left == 0 else f"{left}天后"
    title = f"{today.year}年学时核认集中办理时间{when}截止"
    body = (
        f"{today.year}年学时核认集中办理时间为{period.opens_on:%Y年%m月%d日}至{period.closes_on:%Y年%m月%d日}，"
        "您有尚未提交（或审核不通过待修改）的学时核认申报，请在截止前完成并提交。"
    )
    sent = 0
    for user in users.iterator():
        if remind(user=user, reason=reason, period=str(today.year), title=title, body=body, organisation=period.bureau):
            sent += 1
    return sent


def send_shortfall_reminders(today):
    """The year's shortfall, from 1 November: the number of reminders sent."""
    if today.month < SHORTFALL_FROM_MONTH:
        return 0
    year = today.year
    staff = User.objects.filter(
        Exists(Membership.objects.filter(person=OuterRef("pk"), status=MembershipStatus.ACTIVE)), is_active=True
    ).exclude(Exists(PersonYear.objects.filter(person=OuterRef("pk"), year=year, met=True)))
    staff = _not_reminded(staff, ReminderReason.SHORTFALL, str(year))
    rule_set = reference_rule_set()
    undeclared = rules.requirement(policy_for(rule_set)) if rule_set else None
    sent = 0
    for user in staff.iterator():
        record = PersonYear.objects.filter(person=user, year=year).first()
        if record is None and undeclared is None:
            continue  # no rule set at all: nothing to measure against
        body = shortfall_text(year, record, undeclared)
        if remind(user=user, reason=ReminderReason.SHORTFALL, period=str(year), title=f"{year}年度继续教育学时尚未达标", body=body):
            sent += 1
    return sent



def shortfall_text(year, record, undeclared):
    """What a person still lacks for `year`: from their PersonYear, or (no row: nothing declared)
    the whole requirement."""
    if record is None:
        return (
            f"您{year}年度尚未申报继续教育学时。本年度要求公需科目{hours_text(undeclared.public)}学时、"
            f"专业科目{hours_text(undeclared.professional)}学时，合计{hours_text(undeclared.total)}学时，请及时参加学习并申报。"
        )
    public = max(Decimal(0), record.required_public - record.public)
    professional = max(Decimal(0), record.required_professional - record.professional)
    text = (
        f"您{year}年度已认定公需科目{hours_text(record.public)}学时、专业科目{hours_text(record.professional)}学时，"
        f"尚差公需科目{hours_text(public)}学时、专业科目{hours_text(professional)}学时"
    )
    if record.shortfall > public + professional:
        text += f"（合计尚差{hours_text(record.shortfall)}学时）"
    if record.pending_id:
        text += "；另有申报正在审核中"
    return text + "。请及时参加学习并申报。"
