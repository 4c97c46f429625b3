"""Every state change of a declaration or a unit training filing goes through this module. Each service has one shape:
in one transaction, re-read the row with a lock, check who may act, transition, save, record
the step. The state field is protected, and ConcurrentTransitionMixin makes a stale save fail,
so two clerks (or a double click) produce exactly one winner."""
from dataclasses import dataclass

from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django_fsm import ConcurrentTransition, TransitionNotAllowed

from accounts.models import Organisation, OrganisationKind, Role
from accounts.roles import organisations_for, roles_of

from . import periods
from .models import Action, Notification, State

REVIEWER_ROLE = {
    State.UNIT_REVIEW: Role.UNIT_ADMIN,
    State.SUPERIOR_REVIEW: Role.DEPT_ADMIN,
    State.BUREAU_REVIEW: Role.BUREAU_CLERK,
}


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


def _target_for(obj, holder, next_org):
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


def _lock(obj):
    """Lock the item's row only (`of=("self",)`): PostgreSQL refuses FOR UPDATE on the nullable
    side of the outer join to current_org, and the organisation rows must stay free for others."""
    try:
        return (
            type(obj).objects.select_for_update(of=("self",)).select_related("organisation", "current_org").get(pk=obj.pk)
        )
    except type(obj).DoesNotExist:
        raise WorkflowError(f"该{obj.noun}已被删除。", "missing")


def _save(locked, actor, *, action, from_state, next_org=None, opinion="", details=None):
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
    return locked


OPINION_MAX_LENGTH = 500  # ReviewStep.opinion and Reviewable.rejection_reason


def _check_opinion(text):
    """Refuse an over-long opinion before anything is locked or written (PostgreSQL would fail the
    INSERT, SQLite would silently keep it)."""
    text = (text or "").strip()
    if len(text) > OPINION_MAX_LENGTH:
        raise WorkflowError(f"审核意见不能超过{OPINION_MAX_LENGTH}字（现为{len(text)}字）。", "too_long")
    return text


def _notify(locked, title, body):
    """Tell the applicant in the portal, and by e-mail after commit when an address is on file."""
    Notification.objects.create(user=locked.applicant, declaration=locked, title=title, body=body)
    email = locked.applicant.email
    if email:
        transaction.on_commit(lambda: send_mail(title, body, None, [email], fail_silently=True))


def _not_allowed(locked, verb):
    return WorkflowError(f"该{locked.noun}当前为“{locked.get_state_display()}”，不能{verb}。", "wrong_state")


def _submitter(locked, user):
    """Who may submit or withdraw: the applicant, or the unit or department administrator who declared it."""
    if locked.declared_by_id is None:
        if locked.applicant_id == user.pk and Role.APPLICANT in roles_of(user):
            return Role.APPLICANT, locked.organisation
        return None
    if locked.declared_by_id != user.pk:
        return None
    for role in (Role.UNIT_ADMIN, Role.DEPT_ADMIN):
        for org in organisations_for(user, role):
            if locked.organisation.path.startswith(org.path):
                return role, org
    return None


def administers_own_unit(user, declaration):
    return any(org.pk == declaration.organisation_id for org in organisations_for(user, Role.UNIT_ADMIN))


def _reviewer(locked, user):
    if locked.applicant_id == user.pk:
        return None  # nobody reviews their own declaration, even as their unit's administrator
    return _reviewer_at(locked.state, locked.current_org_id, user)


def _reviewer_at(state, org_id, user):
    role = REVIEWER_ROLE.get(state)
    if role is None or org_id is None:
        return None
    if any(org.pk == org_id for org in organisations_for(user, role)):
        return role
    return None


def _review_refused(declaration, locked, user):
    """Why `user` may not review the locked row. If the copy the caller read (before waiting for the
    lock) was theirs to review and the row has moved on since, someone else acted first — a second
    click on 审核通过 at the unit says so, rather than “not in your scope” or “wrong state”."""
    seen = (declaration.__dict__.get("state"), declaration.__dict__.get("current_org_id"))
    if seen != (locked.state, locked.current_org_id) and _reviewer_at(*seen, user):
        return WorkflowError(STALE_MESSAGE, "stale")
    if locked.state not in REVIEWER_ROLE:
        return _not_allowed(locked, "审核")
    if locked.applicant_id == user.pk:
        return WorkflowError("不能审核本人的申报，请由单位其他管理员或上级单位审核。", "own_declaration")
    return WorkflowError("该申报不在您的审核范围内。", "forbidden")


def declaration_submit(*, declaration, user, pledge, next_org=None, ip=None, problems=()):
    """Applicants send it to their unit; a declaration made on a person's behalf starts one level up,
    at the superior unit or bureau the declaring administrator chooses."""
    if not pledge:
        raise WorkflowError("请勾选“本人承诺以上信息真实有效”后再提交。", "pledge_required")
    with transaction.atomic():
        locked = _lock(declaration)
        who = _submitter(locked, user)
        if who is None:
            raise WorkflowError("您无权提交该申报。", "forbidden")
        if locked.state not in (State.DRAFT, State.REJECTED):
            raise _not_allowed(locked, "提交")
        refusal = periods.submission_refusal(locked.organisation)
        if refusal:
            raise WorkflowError(refusal, "closed")
        problems = list(problems(locked) if callable(problems) else problems)
        if problems:
            raise WorkflowError("申报尚不完整：" + "；".join(problems), "incomplete")
        role, org = who
        now = timezone.now()
        if role == Role.APPLICANT and not administers_own_unit(user, locked):
            target, holder = State.UNIT_REVIEW, locked.organisation
        else:
            # Made for someone else, or by their own unit's administrator (who may not review it):
            # it starts one level up, where the declarer chooses.
            org = org if role != Role.APPLICANT else locked.organisation
            target = _target_for(locked, org, next_org)
            holder = next_org
        from_state = locked.state
        try:
            locked.submit(target=target, org=holder, now=now)
        except TransitionNotAllowed:
            raise _not_allowed(locked, "提交")
        locked.pledged_at = now
        return _save(
            locked, Actor(user, role, org, ip), action=Action.SUBMIT, from_state=from_state, next_org=holder,
            details={"pledge": "本人承诺以上信息真实有效"},
        )


def declaration_withdraw(*, declaration, user, ip=None):
    with transaction.atomic():
        locked = _lock(declaration)
        who = _submitter(locked, user)
        if who is None:
            raise WorkflowError("您无权撤销该申报。", "forbidden")
        from_state = locked.state
        try:
            locked.withdraw()
        except TransitionNotAllowed:
            raise _not_allowed(locked, "撤销")
        role, org = who
        return _save(locked, Actor(user, role, org, ip), action=Action.WITHDRAW, from_state=from_state)


def _lock_for_review(declaration, user, expected_state):
    """The locked row and the reviewer's role, or the reason this user may not decide it now."""
    locked = _lock(declaration)
    if expected_state and locked.state != expected_state:
        raise WorkflowError(STALE_MESSAGE, "stale")
    role = _reviewer(locked, user)
    if role is None:
        raise _review_refused(declaration, locked, user)
    return locked, role


def declaration_accept(*, declaration, user):
    """受理: a bureau clerk takes the case on, so the to-do list shows who handles it. Not a state
    change (no step); any clerk of the bureau may still decide it."""
    with transaction.atomic():
        locked = _lock(declaration)
        if locked.state != State.BUREAU_REVIEW or _reviewer(locked, user) != Role.BUREAU_CLERK:
            raise WorkflowError("只有该申报所在人社部门的经办人可以受理。", "forbidden")
        if locked.accepted_by_id and locked.accepted_by_id != user.pk:
            raise WorkflowError(f"该申报已由{locked.accepted_by.name}受理。", "taken")
        type(locked).objects.filter(pk=locked.pk).update(accepted_by=user)
        locked.accepted_by = user
        return locked


def declaration_approve(*, declaration, user, next_org=None, opinion="", details=None, ip=None, expected_state=None,
                        effects=None):
    """审核通过: a unit or superior passes it to the level it chooses; the bureau's approval is final.

    ``effects(declaration=locked)``, given by what the workflow serves, runs under the lock once
    the reviewer is checked and before the transition (e.g. the hours a reviewer determines); it
    may refuse with a WorkflowError, and what it returns is recorded in the step's details."""
    opinion = _check_opinion(opinion)
    with transaction.atomic():
        locked, role = _lock_for_review(declaration, user, expected_state)
        if effects is not None:
            details = {**(details or {}), **effects(declaration=locked)}
        holder = locked.current_org
        from_state = locked.state
        now = timezone.now()
        actor = Actor(user, role, holder, ip)
        if from_state == State.BUREAU_REVIEW:
            locked.approve(now=now)
            _save(locked, actor, action=Action.APPROVE, from_state=from_state, opinion=opinion, details=details)
            _notify(
                locked,
                f"学时核认申报{locked.business_no}审核通过",
                f"您的{locked.years_label}年度学时核认申报已由{holder}审核通过，可在“学时证书打印”中下载学时认定单。",
            )
            return locked
        target = _target_for(locked, holder, next_org)
        locked.forward(target=target, org=next_org, now=now)
        return _save(
            locked, actor, action=Action.APPROVE, from_state=from_state, next_org=next_org, opinion=opinion,
            details=details,
        )


def declaration_reject(*, declaration, user, reason, details=None, ip=None, expected_state=None):
    """审核不通过 at any level: back to the applicant with the reason, editable and resubmittable."""
    reason = _check_opinion(reason)
    if not reason:
        raise WorkflowError("审核不通过时必须填写原因。", "reason_required")
    with transaction.atomic():
        locked, role = _lock_for_review(declaration, user, expected_state)
        holder = locked.current_org
        from_state = locked.state
        locked.reject(reason=reason, now=timezone.now())
        _save(
            locked, Actor(user, role, holder, ip), action=Action.REJECT, from_state=from_state, opinion=reason,
            details=details,
        )
        _notify(
            locked,
            f"学时核认申报{locked.business_no}审核不通过",
            f"您的{locked.years_label}年度学时核认申报经{holder}审核不通过，原因：{reason}。请修改后重新提交。",
        )
        return locked


# --- unit training filings (继续教育培训备案): the same machinery, one level of review ------------------


def filing_destination(filing):
    """专业科目 go to the supervising department (the nearest department above the unit, else its
    superior unit); 公需科目, and units with nothing above them, go to the HR bureau."""
    unit = filing.organisation
    if filing.course_type == "professional":
        above = [o for o in Organisation.objects.get_ancestors(unit) if o.kind != OrganisationKind.BUREAU]
        departments = [o for o in above if o.kind == OrganisationKind.DEPARTMENT]
        if departments or above:
            return State.SUPERIOR_REVIEW, (departments or above)[-1]
    return State.BUREAU_REVIEW, unit.bureau


def _filing_admin(locked, user):
    if any(org.pk == locked.organisation_id for org in organisations_for(user, Role.UNIT_ADMIN)):
        return Role.UNIT_ADMIN
    return None


def _tell_filer(locked, title, body):
    Notification.objects.create(user=locked.created_by, title=title, body=body)


def filing_submit(*, filing, user, ip=None):
    with transaction.atomic():
        locked = _lock(filing)
        role = _filing_admin(locked, user)
        if role is None:
            raise WorkflowError("只有举办单位的管理员可以提交备案。", "forbidden")
        from_state = locked.state
        target, holder = filing_destination(locked)
        try:
            locked.submit(target=target, org=holder, now=timezone.now())
        except TransitionNotAllowed:
            raise _not_allowed(locked, "提交")
        return _save(locked, Actor(user, role, locked.organisation, ip), action=Action.SUBMIT, from_state=from_state, next_org=holder)


def filing_withdraw(*, filing, user, ip=None):
    with transaction.atomic():
        locked = _lock(filing)
        role = _filing_admin(locked, user)
        if role is None:
            raise WorkflowError("只有举办单位的管理员可以撤销备案。", "forbidden")
        from_state = locked.state
        try:
            locked.withdraw()
        except TransitionNotAllowed:
            raise _not_allowed(locked, "撤销")
        return _save(locked, Actor(user, role, locked.organisation, ip), action=Action.WITHDRAW, from_state=from_state)


def _lock_filing_for_review(filing, user):
    locked = _lock(filing)
    role = _reviewer_at(locked.state, locked.current_org_id, user)
    if role is None:
        if locked.state not in REVIEWER_ROLE:
            raise _not_allowed(locked, "审核")
        raise WorkflowError("该备案不在您的审核范围内。", "forbidden")
    return locked, role


def filing_approve(*, filing, user, opinion="", ip=None):
    """备案通过: the department or bureau holding it records it; its roster may then be uploaded."""
    opinion = _check_opinion(opinion)
    with transaction.atomic():
        locked, role = _lock_filing_for_review(filing, user)
        holder, from_state = locked.current_org, locked.state
        locked.record(now=timezone.now())
        _save(locked, Actor(user, role, holder, ip), action=Action.APPROVE, from_state=from_state, opinion=opinion)
        _tell_filer(locked, f"培训备案“{locked.name}”已备案", f"{holder}已同意“{locked.name}”备案，培训结束后请上传参训人员名单。")
        return locked


def filing_reject(*, filing, user, reason, ip=None):
    reason = _check_opinion(reason)
    if not reason:
        raise WorkflowError("审核不通过时必须填写原因。", "reason_required")
    with transaction.atomic():
        locked, role = _lock_filing_for_review(filing, user)
        holder, from_state = locked.current_org, locked.state
        locked.reject(reason=reason, now=timezone.now())
        _save(locked, Actor(user, role, holder, ip), action=Action.REJECT, from_state=from_state, opinion=reason)
        _tell_filer(locked, f"培训备案“{locked.name}”未通过", f"{holder}退回了“{locked.name}”的备案，原因：{reason}。请修改后重新提交。")
        return locked
