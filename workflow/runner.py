"""The transition runner: the pieces every reviewable kind's transitions are made of (hours/transitions.py).
Each transition has one shape: in one transaction, re-read the row with a lock, check who may act,
transition, save, record the step. The state field is protected, and ConcurrentTransitionMixin makes
a stale save fail, so two clerks (or a double click) produce exactly one winner."""
from dataclasses import dataclass

from django.conf import settings
from django_fsm import ConcurrentTransition

from accounts.models import Organisation, OrganisationKind
from core import sms
from core.commits import after_commit

from .delivery import deliver
from .models import Notification, State


class WorkflowError(Exception):
    """A refused transition, with the Chinese message the user sees."""

    def __init__(self, message, code="invalid"):
        super().__init__(message)
        self.message = message
        self.code = code


STALE_MESSAGE = "该申报已被他人处理，请刷新后查看最新状态。"


@dataclass(frozen=True)
class Actor:
    user: object
    role: str
    organisation: Organisation | None
    ip: str | None = None


def next_level_choices(obj, holder):
    """Where a reviewer at `holder` may send the item: a superior unit above it in the tree, or the
    bureau (经办机构). A first-level unit (nothing above it) can only choose the bureau."""
    superiors = [org for org in Organisation.objects.get_ancestors(holder) if org.kind != OrganisationKind.BUREAU]
    return superiors, obj.organisation.bureau


def target_for(obj, holder, next_org):
    superiors, bureau = next_level_choices(obj, holder)
    if next_org is None:
        raise WorkflowError("请选择上级审核单位或经办机构。", "next_level_required")
    if next_org.pk == bureau.pk:
        return State.BUREAU_REVIEW
    if any(org.pk == next_org.pk for org in superiors):
        return State.SUPERIOR_REVIEW
    if not superiors:
        raise WorkflowError("本单位为一级单位，只能选择经办机构（人社部门）。", "first_level")
    raise WorkflowError("所选单位不是本单位的上级单位，请重新选择。", "bad_next_level")


def lock(obj):
    """Lock the item's row only (`of=("self",)`): PostgreSQL refuses FOR UPDATE on the nullable
    side of the outer join to current_org, and the organisation rows must stay free for others.
    FOR NO KEY UPDATE: it still excludes every other transition, but lets other transactions write
    rows that point at the item (hours' summary names the declaration under review)."""
    try:
        return (
            type(obj).objects.select_for_update(of=("self",), no_key=True).select_related("organisation", "current_org").get(pk=obj.pk)
        )
    except type(obj).DoesNotExist:
        raise WorkflowError(f"该{obj.noun}已被删除。", "missing")


def save(locked, actor, *, action, from_state, next_org=None, opinion="", details=None):
    try:
        locked.save()
    except ConcurrentTransition:
        raise WorkflowError(STALE_MESSAGE, "stale")
    # `steps` is the audit relation every Reviewable model provides.
    locked.steps.create(
        action=action,
        from_state=from_state,
        to_state=locked.state,
        actor=actor.user,
        actor_role=actor.role,
        organisation=actor.organisation,
        next_org=next_org,
        opinion=opinion,
        details=details or {},
        ip_address=actor.ip,
    )
    if locked.is_pending:
        for hook in _ARRIVAL_HOOKS.get(type(locked), ()):
            # After commit, so a slow or failing hook never holds the lock nor undoes the decision.
            after_commit(hook, locked.pk)
    return locked


_ARRIVAL_HOOKS = {}


def on_arrival(model, hook):
    """Run `hook(pk)` after commit whenever an item of `model` arrives at a review level (submitted
    or sent on). Registered by the layers above in their AppConfig.ready(), as job handlers are:
    review records the automatic checks' verdict for the 待办列表 (review/apps.py)."""
    hooks = _ARRIVAL_HOOKS.setdefault(model, [])
    if hook not in hooks:  # ready() may run twice (tests, management commands): the hook still runs once
        hooks.append(hook)


OPINION_MAX_LENGTH = 500  # ReviewStep.opinion and Reviewable.rejection_reason


def check_opinion(text):
    """Refuse an over-long opinion before anything is locked or written (PostgreSQL would fail the
    INSERT, SQLite would silently keep it)."""
    text = (text or "").strip()
    if len(text) > OPINION_MAX_LENGTH:
        raise WorkflowError(f"审核意见不能超过{OPINION_MAX_LENGTH}字（现为{len(text)}字）。", "too_long")
    return text


def channels_for(user, *, outside=True):
    """The channels a notice to `user` goes out on: the portal, and (with `outside`) those others of
    settings.NOTIFY_CHANNELS for which an address (e-mail) or a mobile number (SMS) is on file."""
    wanted = settings.NOTIFY_CHANNELS if outside else ()
    channels = ["portal"]
    if "email" in wanted and user.email:
        channels.append("email")
    if "sms" in wanted and sms.is_mobile(user.phone):
        channels.append("sms")
    return channels


def notify(user, title, body, *, subject=None, email=True):
    """Tell someone in the portal (我的消息) and, unless `email` is False, by e-mail and SMS as
    channels_for() says. The copies leave after commit by a background task (workflow.delivery), so a
    mail server or SMS gateway that is slow or down never holds up nor undoes a decision, and a
    rolled-back one sends nothing."""
    notification = Notification.objects.create(user=user, subject=subject, title=title, body=body)
    outside = [channel for channel in channels_for(user, outside=email) if channel != "portal"]
    if outside:
        after_commit(deliver.enqueue, notification.pk, outside)
    return notification


def not_allowed(locked, verb):
    return WorkflowError(f"该{locked.noun}当前为“{locked.get_state_display()}”，不能{verb}。", "wrong_state")
