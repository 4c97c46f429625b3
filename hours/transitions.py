"""Every state change of a declaration or a unit training filing: the kinds' transitions, built from
the runner's pieces (workflow/runner.py). The rules a transition needs are its own conditions —
the pledge, the window (集中办理时间), completeness, who may act, nobody reviewing their own, the
hours a reviewer must determine — never arguments a caller might leave out."""
from django.db import transaction
from django.utils import timezone
from django_fsm import TransitionNotAllowed

from accounts.models import OrganisationKind, Role, User
from core.wording import sentence
from workflow import jurisdiction, periods
from workflow.levels import BY_STATE
from workflow.models import Action, State
from workflow.runner import (
    STALE_MESSAGE, Actor, WorkflowError, check_opinion, lock, next_level_choices, not_allowed, notify, save, target_for,
)

from . import summary
from .models import Revocation, RevocationReason, TrainingRecord, YearRecord
from .selectors import approving_bureau, rejection_snapshot, submission_problems
from .signals import years_revoked
from .services import determined_hours_set


def _review_refused(declaration, locked, user):
    """Why `user` may not review the locked row. If the copy the caller read (before waiting for the
    lock) was theirs to review and the row has moved on since, someone else acted first — a second
    click on 审核通过 at the unit says so, rather than “not in your scope” or “wrong state”."""
    seen = (declaration.__dict__.get("state"), declaration.__dict__.get("current_org_id"))
    if seen != (locked.state, locked.current_org_id) and jurisdiction.reviewer_at(*seen, user):
        return WorkflowError(STALE_MESSAGE, "stale")
    if locked.state not in BY_STATE:
        return not_allowed(locked, "审核")
    if locked.applicant_id == user.pk:
        return WorkflowError("不能审核本人的申报，请由单位其他管理员或上级单位审核。", "own_declaration")
    return WorkflowError("该申报不在您的审核范围内。", "forbidden")


def declaration_submit(*, declaration, user, pledge, next_org=None, ip=None):
    """Applicants send it to their unit; a declaration made on a person's behalf starts one level up,
    at the superior unit or bureau the declaring administrator chooses."""
    if not pledge:
        raise WorkflowError("请勾选“本人承诺以上信息真实有效”后再提交。", "pledge_required")
    with transaction.atomic():
        locked = lock(declaration)
        who = jurisdiction.submitter(locked, user)
        if who is None:
            raise WorkflowError("您无权提交该申报。", "forbidden")
        if locked.state not in (State.DRAFT, State.REJECTED):
            raise not_allowed(locked, "提交")
        refusal = periods.submission_refusal(locked.organisation)
        if refusal:
            raise WorkflowError(refusal, "closed")
        problems = submission_problems(locked)
        if problems:
            raise WorkflowError("申报尚不完整：" + "；".join(problems), "incomplete")
        role, org = who
        now = timezone.now()
        if role == Role.APPLICANT and not jurisdiction.administers_unit(user, locked.organisation_id):
            target, holder = State.UNIT_REVIEW, locked.organisation
        else:
            # Made for someone else, or by their own unit's administrator (who may not review it):
            # it starts one level up, where the declarer chooses.
            org = org if role != Role.APPLICANT else locked.organisation
            target = target_for(locked, org, next_org)
            holder = next_org
        from_state = locked.state
        try:
            locked.submit(target=target, org=holder, now=now)
        except TransitionNotAllowed:
            raise not_allowed(locked, "提交")
        locked.pledged_at = now
        save(
            locked, Actor(user, role, org, ip), action=Action.SUBMIT, from_state=from_state, next_org=holder,
            details={"pledge": "本人承诺以上信息真实有效"},
        )
        summary.declaration_moved(locked, from_state=from_state)
        return locked


def declaration_withdraw(*, declaration, user, ip=None):
    with transaction.atomic():
        locked = lock(declaration)
        who = jurisdiction.submitter(locked, user)
        if who is None:
            raise WorkflowError("您无权撤销该申报。", "forbidden")
        from_state = locked.state
        try:
            locked.withdraw()
        except TransitionNotAllowed:
            raise not_allowed(locked, "撤销")
        role, org = who
        save(locked, Actor(user, role, org, ip), action=Action.WITHDRAW, from_state=from_state)
        summary.declaration_moved(locked, from_state=from_state)
        return locked


def _lock_for_review(declaration, user, expected_state, expected_since):
    """The locked row and the reviewer's role, or the reason this user may not decide it now. The
    case the reviewer saw is its state and its arrival at that level (`waiting_since`): rejected,
    resubmitted and back at the same level meanwhile, it is another version, and refused as stale."""
    locked = lock(declaration)
    if (expected_state and locked.state != expected_state) or (expected_since and locked.waiting_since != expected_since):
        raise WorkflowError(STALE_MESSAGE, "stale")
    role = jurisdiction.reviewer(locked, user)
    if role is None:
        raise _review_refused(declaration, locked, user)
    return locked, role


def declaration_accept(*, declaration, user):
    """受理: a bureau clerk takes the case on, so the to-do list shows who handles it. Not a state
    change (no step); any clerk of the bureau may still decide it."""
    with transaction.atomic():
        locked = lock(declaration)
        if locked.state != State.BUREAU_REVIEW or jurisdiction.reviewer(locked, user) != Role.BUREAU_CLERK:
            raise WorkflowError("只有该申报所在人社部门的经办人可以受理。", "forbidden")
        if locked.accepted_by_id and locked.accepted_by_id != user.pk:
            raise WorkflowError(f"该申报已由{locked.accepted_by.name}受理。", "taken")
        type(locked).objects.filter(pk=locked.pk).update(accepted_by=user)
        locked.accepted_by = user
        return locked


def declaration_approve(*, declaration, user, next_org=None, opinion="", details=None, ip=None, expected_state=None,
                        expected_since=None, determined_hours=None):
    """审核通过: a unit or superior passes it to the level it chooses; the bureau's approval is final.
    The hours the reviewer determines ({item id: hours}, 由审核单位核定) are set under the lock before
    the transition, and every approval checks them: at the final level each such item must have hours."""
    opinion = check_opinion(opinion)
    with transaction.atomic():
        locked, role = _lock_for_review(declaration, user, expected_state, expected_since)
        details = {**(details or {}), **determined_hours_set(declaration=locked, hours=determined_hours or {})}
        holder = locked.current_org
        from_state = locked.state
        now = timezone.now()
        actor = Actor(user, role, holder, ip)
        if BY_STATE[from_state].final:
            locked.approve(now=now)
            save(locked, actor, action=Action.APPROVE, from_state=from_state, opinion=opinion, details=details)
            summary.declaration_moved(locked, from_state=from_state)
            _records_moved(year_record__declaration=locked)
            notify(
                locked.applicant,
                f"学时核认申报{locked.business_no}审核通过",
                f"您的{locked.years_label}年度学时核认申报已由{holder}审核通过，可在“学时证书打印”中下载学时认定单。",
                subject=locked,
            )
            return locked
        target = target_for(locked, holder, next_org)
        locked.forward(target=target, org=next_org, now=now)
        save(
            locked, actor, action=Action.APPROVE, from_state=from_state, next_org=next_org, opinion=opinion,
            details=details,
        )
        summary.declaration_moved(locked, from_state=from_state)
        return locked


def declaration_reject(*, declaration, user, reason, details=None, ip=None, expected_state=None, expected_since=None):
    """审核不通过 at any level: back to the applicant with the reason, editable and resubmittable."""
    reason = check_opinion(reason)
    if not reason:
        raise WorkflowError("审核不通过时必须填写原因。", "reason_required")
    with transaction.atomic():
        locked, role = _lock_for_review(declaration, user, expected_state, expected_since)
        holder = locked.current_org
        from_state = locked.state
        # What it held when turned down: after a resubmission the case page marks what changed since.
        details = {**(details or {}), "snapshot": rejection_snapshot(locked)}
        locked.reject(reason=reason, now=timezone.now())
        save(
            locked, Actor(user, role, holder, ip), action=Action.REJECT, from_state=from_state, opinion=reason,
            details=details,
        )
        summary.declaration_moved(locked, from_state=from_state)
        notify(
            locked.applicant,
            f"学时核认申报{locked.business_no}审核不通过",
            f"您的{locked.years_label}年度学时核认申报经{holder}审核不通过，原因：{sentence(reason)}请修改后重新提交。",
            subject=locked,
        )
        return locked


REVOKE_FORBIDDEN = "只有审批该申报的人社部门或其上级人社部门的经办人可以撤销认定。"


def _records_moved(**items):
    """The pushed training records ticked into these items changed status (认定, 撤销): a platform
    polling its records with updated_since (api/) finds them."""
    TrainingRecord.objects.filter(**{f"item__{k}": v for k, v in items.items()}).update(updated_at=timezone.now())


def declaration_revoke(*, declaration, user, years, reason, reason_text, ip=None):
    """撤销认定: the approving bureau (or one above it) takes back the approval of `years` of an
    approved declaration. Their year records stop counting (summary, new certificates), the
    certificates stating them become 已撤销 (years_revoked), the case's 办理进度 shows it, and the
    applicant and the reviewers who approved it are told. A second request for a year already
    revoked (a double click, two clerks at once) is refused and changes nothing."""
    reason_text = check_opinion(reason_text)
    if not reason_text:
        raise WorkflowError("请填写撤销原因。", "reason_required")
    if reason not in RevocationReason.values:
        raise WorkflowError("请选择撤销原因类别。", "reason_required")
    years = sorted(set(years))
    if not years:
        raise WorkflowError("请选择要撤销认定的年度。", "years_required")
    with transaction.atomic():
        locked = lock(declaration)
        if locked.state != State.APPROVED:
            raise not_allowed(locked, "撤销认定")
        bureau = approving_bureau(locked)
        who = jurisdiction.revoker(bureau, user)
        if who is None:
            raise WorkflowError(REVOKE_FORBIDDEN, "forbidden")
        records = {r.year: r for r in locked.year_records.filter(year__in=years)}
        if len(records) != len(years):
            raise WorkflowError(f"该申报不含{'、'.join(str(y) for y in years if y not in records)}年度。", "bad_year")
        done = [y for y in years if records[y].revocation_id]
        if done:
            raise WorkflowError(f"{'、'.join(map(str, done))}年度的认定已经撤销，无需再次撤销。", "already_revoked")
        role, org = who
        revocation = Revocation.objects.create(
            declaration=locked, years=years, reason=reason, reason_text=reason_text, actor=user, organisation=org,
        )
        # Only records still unrevoked: where row locks do nothing (SQLite), a second clerk's
        # transaction that read them before ours committed cannot revoke them again.
        marked = YearRecord.objects.filter(pk__in=[r.pk for r in records.values()], revocation__isnull=True).update(
            revocation=revocation
        )
        _records_moved(year_record__revocation=revocation)
        if marked != len(years):
            raise WorkflowError(STALE_MESSAGE, "stale")
        label = RevocationReason(reason).label
        save(
            locked, Actor(user, role, org, ip), action=Action.REVOKE, from_state=State.APPROVED,
            opinion=f"撤销{revocation.years_label}年度认定（{label}）：{reason_text}",
            details={"revocation": revocation.pk, "years": years, "reason": reason},
        )
        summary.person_refresh(locked.applicant_id, years)
        years_revoked.send(sender=Revocation, revocation=revocation)
        what = f"学时核认申报{locked.business_no}（{locked.name}，{locked.years_label}年度）的{revocation.years_label}年度学时认定"
        notify(
            locked.applicant, f"学时核认申报{locked.business_no}撤销认定",
            f"您的{what}已由{org}撤销，原因：{label}，{sentence(reason_text)}这些年度的学时不再计入，载有这些学时的学时认定单（如已出具）同时撤销；"
            "如有异议请联系该人社部门，也可重新申报这些年度。",
            subject=locked,
        )
        approvers = locked.steps.filter(action=Action.APPROVE).exclude(actor=user).values_list("actor_id", flat=True)
        for reviewer in User.objects.filter(pk__in=approvers).exclude(pk=locked.applicant_id).order_by("pk"):
            notify(reviewer, f"学时核认申报{locked.business_no}撤销认定", f"您审核通过的{what}已由{org}撤销，原因：{label}。",
                   subject=locked)
        return revocation


# --- unit training filings (继续教育培训备案): the same machinery, one level of review ------------------


def filing_destination(filing):
    """专业科目 go to the supervising department (the nearest department above the unit, else its
    superior unit); 公需科目, and units with nothing above them, go to the HR bureau."""
    unit = filing.organisation
    if filing.course_type == "professional":
        above, _ = next_level_choices(filing, unit)
        departments = [o for o in above if o.kind == OrganisationKind.DEPARTMENT]
        if departments or above:
            return State.SUPERIOR_REVIEW, (departments or above)[-1]
    return State.BUREAU_REVIEW, unit.bureau


def _filing_admin(locked, user, verb):
    if not jurisdiction.administers_unit(user, locked.organisation_id):
        raise WorkflowError(f"只有举办单位的管理员可以{verb}备案。", "forbidden")
    return Role.UNIT_ADMIN


def filing_submit(*, filing, user, ip=None):
    with transaction.atomic():
        locked = lock(filing)
        role = _filing_admin(locked, user, "提交")
        from_state = locked.state
        target, holder = filing_destination(locked)
        try:
            locked.submit(target=target, org=holder, now=timezone.now())
        except TransitionNotAllowed:
            raise not_allowed(locked, "提交")
        return save(locked, Actor(user, role, locked.organisation, ip), action=Action.SUBMIT, from_state=from_state, next_org=holder)


def filing_withdraw(*, filing, user, ip=None):
    with transaction.atomic():
        locked = lock(filing)
        role = _filing_admin(locked, user, "撤销")
        from_state = locked.state
        try:
            locked.withdraw()
        except TransitionNotAllowed:
            raise not_allowed(locked, "撤销")
        return save(locked, Actor(user, role, locked.organisation, ip), action=Action.WITHDRAW, from_state=from_state)


def _lock_filing_for_review(filing, user):
    locked = lock(filing)
    role = jurisdiction.reviewer(locked, user)
    if role is None:
        if locked.state not in BY_STATE:
            raise not_allowed(locked, "审核")
        raise WorkflowError("该备案不在您的审核范围内。", "forbidden")
    return locked, role


def filing_approve(*, filing, user, opinion="", ip=None):
    """备案通过: the department or bureau holding it records it; its roster may then be uploaded."""
    opinion = check_opinion(opinion)
    with transaction.atomic():
        locked, role = _lock_filing_for_review(filing, user)
        holder, from_state = locked.current_org, locked.state
        locked.record(now=timezone.now())
        save(locked, Actor(user, role, holder, ip), action=Action.APPROVE, from_state=from_state, opinion=opinion)
        notify(locked.created_by, f"培训备案“{locked.name}”已备案", f"{holder}已同意“{locked.name}”备案，培训结束后请上传参训人员名单。", subject=locked,
               email=False)  # a unit's filer is told in the portal only
        return locked


def filing_reject(*, filing, user, reason, ip=None):
    reason = check_opinion(reason)
    if not reason:
        raise WorkflowError("审核不通过时必须填写原因。", "reason_required")
    with transaction.atomic():
        locked, role = _lock_filing_for_review(filing, user)
        holder, from_state = locked.current_org, locked.state
        locked.reject(reason=reason, now=timezone.now())
        save(locked, Actor(user, role, holder, ip), action=Action.REJECT, from_state=from_state, opinion=reason)
        notify(locked.created_by, f"培训备案“{locked.name}”未通过", f"{holder}退回了“{locked.name}”的备案，原因：{sentence(reason)}请修改后重新提交。", subject=locked,
               email=False)
        return locked
