"""Decisions that span many declarations. Each item is decided in its own transaction through
review/workflow.py, so a batch never leaves an item half-done and reports every item's fate."""
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError

from accounts.models import Role
from accounts.roles import organisations_for
from hours.models import Declaration
from hours.selectors import visible_declarations_q

from . import workflow
from .models import FilingPeriod, State


@dataclass(frozen=True)
class BatchResult:
    pk: int
    business_no: str
    name: str
    ok: bool
    message: str


def declaration_batch_decide(*, user, ids, decision, reason="", ip=None):
    # Only what the clerk may see: an id from outside their jurisdiction reads as missing, so the
    # report never shows another bureau's applicant names or case numbers.
    visible = Declaration.objects.filter(visible_declarations_q(user), pk__in=ids)
    found = {d.pk: d for d in visible.only("pk", "business_no", "name", "state")}
    results = []
    for pk in dict.fromkeys(ids):
        declaration = found.get(pk)
        if declaration is None:
            results.append(BatchResult(pk, "", "", False, "申报不存在"))
            continue
        try:
            if decision == "approve":
                workflow.declaration_approve(declaration=declaration, user=user, ip=ip, expected_state=State.BUREAU_REVIEW, opinion="批量审核通过")
                message = "审核通过"
            else:
                workflow.declaration_reject(declaration=declaration, user=user, reason=reason, ip=ip, expected_state=State.BUREAU_REVIEW)
                message = "审核不通过，已退回申请人"
            results.append(BatchResult(pk, declaration.business_no, declaration.name, True, message))
        except workflow.WorkflowError as exc:
            results.append(BatchResult(pk, declaration.business_no, declaration.name, False, exc.message))
    return results


def filing_period_set(*, bureau, year, opens_on, closes_on, supervision_days, user):
    """Set (or change) a bureau's filing window for a year; only that bureau's clerks may."""
    if bureau not in organisations_for(user, Role.BUREAU_CLERK):
        raise PermissionDenied("只有该人社部门的经办人可以设置集中办理时间。")
    if closes_on < opens_on:
        raise ValidationError("截止日期不能早于开始日期。")
    if not (opens_on.year == year or closes_on.year == year):
        raise ValidationError(f"办理时间应在{year}年内。")
    period, _ = FilingPeriod.objects.update_or_create(
        bureau=bureau, year=year,
        defaults={"opens_on": opens_on, "closes_on": closes_on, "supervision_days": supervision_days, "updated_by": user},
    )
    return period
