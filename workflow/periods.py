"""Filing windows (集中办理时间) and the supervision limit (督办): per bureau, the nearest bureau up
the tree that has set one for the year applies."""
from datetime import datetime, time, timedelta

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone
from treebeard.mp_tree import nodes_deleted, path_updated

from accounts.models import Organisation, OrganisationKind

from .models import FilingPeriod

DEFAULT_SUPERVISION_DAYS = 5

# The pages show the window on every applicant's list and 督办 on the 待办列表, the case and home pages,
# and the windows change a few times a year: they read the bureaus' tree and the year's windows from
# the cache, small tuples (two keys, one round trip; the keys name the tuples' layout). A saved or
# deleted window or organisation, or a move in the tree (treebeard writes the paths by update()),
# drops its key, again after the commit (a page reading meanwhile may have put the old one back).
# The timeout bounds what no signal reports: bulk writes (the synthetic seeder's), a window read
# inside a transaction rolled back later.
# Submitting itself (submission_refusal) reads the database.
BUREAUS_KEY = "filing-periods:v1:bureaus"
YEAR_KEY = "filing-periods:v1:{}"
CACHE_SECONDS = 300
_FIELDS = ("id", "bureau_id", "year", "opens_on", "closes_on", "supervision_days")


def _bureau_id(organisation):
    return organisation.pk if organisation.kind == OrganisationKind.BUREAU else organisation.bureau_id


def _prefixes(path):
    """The tree paths of the node at `path` and of every node above it, nearest first."""
    return [path[:i] for i in range(len(path), 0, -Organisation.steplen)]


def _chain(bureau_path, bureau_ids_by_path):
    """The ids of the bureau at `bureau_path` and of the bureaus above it, nearest first."""
    return [bureau_ids_by_path[p] for p in _prefixes(bureau_path) if p in bureau_ids_by_path]


def _nearest(chain, periods):
    return next((periods[b] for b in chain if b in periods), None)


def period_for(organisation, year=None):
    """The window that applies to `organisation` in `year`: its bureau's, or the nearest bureau's above."""
    year = year or timezone.localdate().year
    bureau_id = _bureau_id(organisation)
    if bureau_id is None:
        return None
    year_key = YEAR_KEY.format(year)
    found = cache.get_many([BUREAUS_KEY, year_key])
    paths = found.get(BUREAUS_KEY)
    if paths is None:
        paths = dict(Organisation.objects.filter(kind=OrganisationKind.BUREAU).values_list("id", "path"))
        cache.set(BUREAUS_KEY, paths, CACHE_SECONDS)
    windows = found.get(year_key)
    if windows is None:
        windows = {row[1]: row for row in FilingPeriod.objects.filter(year=year).values_list(*_FIELDS)}
        cache.set(year_key, windows, CACHE_SECONDS)
    if bureau_id not in paths:
        return None
    row = _nearest(_chain(paths[bureau_id], {path: pk for pk, path in paths.items()}), windows)
    return FilingPeriod(**dict(zip(_FIELDS, row))) if row else None


def _period_from_database(organisation, year):
    bureau = organisation if organisation.kind == OrganisationKind.BUREAU else organisation.bureau
    if bureau is None:
        return None
    bureaus = dict(
        Organisation.objects.filter(path__in=_prefixes(bureau.path), kind=OrganisationKind.BUREAU).values_list("path", "id")
    )
    chain = _chain(bureau.path, bureaus)
    return _nearest(chain, {p.bureau_id: p for p in FilingPeriod.objects.filter(bureau__in=chain, year=year)})


def submission_refusal(organisation, today=None):
    """Why submitting is refused today, or None when the window is open (or none is set); from the
    database, not the pages' cache: a window just changed applies at once."""
    today = today or timezone.localdate()
    return _refusal(_period_from_database(organisation, today.year), today)


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


def _forget(*keys):
    cache.delete_many(keys)
    transaction.on_commit(lambda: cache.delete_many(keys))


@receiver([post_save, post_delete], sender=FilingPeriod, dispatch_uid="periods-window-changed")
def _window_changed(sender, instance, **kwargs):
    _forget(YEAR_KEY.format(instance.year))


@receiver([post_save, post_delete], sender=Organisation, dispatch_uid="periods-tree-changed")
@receiver([path_updated, nodes_deleted], sender=Organisation, dispatch_uid="periods-tree-moved")
def _tree_changed(sender, **kwargs):
    _forget(BUREAUS_KEY)  # any organisation: one that stops being a bureau leaves the tree too
