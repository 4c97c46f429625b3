"""The reviewers' daily digest of 督办 cases, sent by `manage.py send_reminders` through
workflow.reminders.remind (once per reviewer and day): for each organisation holding declarations
that have waited at a level beyond its supervision limit (workflow.periods), the people who hold the
level's role there hear how many, in one message however many organisations and levels they serve."""
from collections import defaultdict
from datetime import datetime

from django.db.models import Count
from django.utils import timezone

from accounts.models import Organisation, RoleGrant
from hours import summary
from hours.models import Declaration
from workflow.levels import BY_STATE
from workflow.models import ReminderReason, State
from workflow.reminders import remind


def overdue_holdings(today):
    """{(state, organisation): number of cases overdue there} on `today` (at the present time of day),
    by the rule 查询统计's count uses (hours.summary.overdue_q), in one grouped query."""
    now = timezone.make_aware(datetime.combine(today, timezone.localtime().time()))
    counts = (
        Declaration.objects.filter(summary.overdue_q(now), state__in=BY_STATE)
        .values_list("state", "current_org").annotate(n=Count("id")).order_by()
    )
    counts = list(counts)
    organisations = Organisation.objects.in_bulk({org_id for _, org_id, _ in counts})
    return {(state, organisations[org_id]): n for state, org_id, n in counts}


def send_overdue_digests(today):
    """The number of digests sent."""
    overdue = overdue_holdings(today)
    lines = defaultdict(list)
    for (state, organisation), count in sorted(overdue.items(), key=lambda entry: (entry[0][1].path, entry[0][0])):
        level = BY_STATE[state]
        grants = RoleGrant.objects.filter(role=level.role, organisation=organisation, user__is_active=True).select_related("user")
        for grant in grants:
            lines[grant.user].append((organisation, level, count))
    sent = 0
    for user, held in lines.items():
        total = sum(count for _, _, count in held)
        body = (
            f"截至{today:%Y年%m月%d日}，以下申报等待审核已超过督办时限：" + "；".join(
                f"{organisation.name}{State(level.state).label}{count}件" for organisation, level, count in held
            ) + "。请及时办理。"
        )
        if remind(
            user=user, reason=ReminderReason.OVERDUE_DIGEST, period=today.isoformat(),
            title=f"督办提醒：{total}件申报超过办理时限", body=body,
        ):
            sent += 1
    return sent
