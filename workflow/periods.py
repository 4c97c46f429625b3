"""Filing windows (集中办理时间) and the supervision limit (督办): per bureau, the nearest bureau up
the tree that has set one for the year applies."""
from datetime import datetime, time, timedelta

from django.utils import timezone

from accounts.models import Organisation, OrganisationKind

from .models import FilingPeriod

DEFAULT_SUPERVISION_DAYS = 5


def _bureau_chain(organisation):
    """The organisation's own bureau and the bureaus above it, nearest first (paths are prefixes)."""
    bureau = organisation if organisation.kind == OrganisationKind.BUREAU else organisation.bureau
    if bureau is None:
        return []
    steplen = Organisation.steplen
    prefixes = [bureau.path[:i] for i in range(len(bureau.path), 0, -steplen)]
    found = {o.path: o for o in Organisation.objects.filter(path__in=prefixes, kind=OrganisationKind.BUREAU)}
    return [found[p] for p in prefixes if p in found]


def period_for(organisation, year=None):
    year = year or timezone.localdate().year
    chain = _bureau_chain(organisation)
    periods = {p.bureau_id: p for p in FilingPeriod.objects.filter(bureau__in=chain, year=year)}
    return next((periods[b.pk] for b in chain if b.pk in periods), None)


def submission_refusal(organisation, today=None):
    """Why submitting is refused today, or None when the window is open (or none is set)."""
    today = today or timezone.localdate()
    return _refusal(period_for(organisation, today.year), today)


def days_left(organisation, today=None):
    today = today or timezone.localdate()
    return _days_left(period_for(organisation, today.year), today)


def window(organisation, today=None):
    """(submission_refusal, days_left) from one look-up of the window: the declarations list,
    the busiest page at the peak, shows both."""
    today = today or timezone.localdate()
    period = period_for(organisation, today.year)
    return _refusal(period, today), _days_left(period, today)


def _refusal(period, today):
    if period is None or period.opens_on <= today <= period.closes_on:
        return None
    return (
        f"{today.year}年学时核认集中办理时间为{period.opens_on:%Y年%m月%d日}至{period.closes_on:%Y年%m月%d日}，"
        "当前不在申报期内，不能提交。"
    )


def _days_left(period, today):
    if period is None or not period.opens_on <= today <= period.closes_on:
        return None
    return (period.closes_on - today).days


def working_days_before(days, now=None):
    """The moment `days` working days (Monday–Friday) before now."""
    now = now or timezone.now()
    day = timezone.localtime(now).date()
    remaining = days
    while remaining > 0:
        day -= timedelta(days=1)
        if day.weekday() < 5:
            remaining -= 1
    return timezone.make_aware(datetime.combine(day, timezone.localtime(now).time()))


def supervision_days(organisation):
    period = period_for(organisation)
    return period.supervision_days if period else DEFAULT_SUPERVISION_DAYS


def overdue_before(organisation):
    return working_days_before(supervision_days(organisation))


def start_of(day):
    return timezone.make_aware(datetime.combine(day, time.min))
