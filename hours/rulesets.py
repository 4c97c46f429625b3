"""Writes to the stored rule sets (学时折算规则). Every write is validated by the rules engine
(load_policy) and recorded in RuleSetChange (who, when, before, after) in the same transaction.

The admin's RuleSet pages call these; nothing else writes RuleSet.data."""
import json

from django.db import transaction

from . import rules, summary
from .models import RuleSet, RuleSetChange
from .policies import default_rule_set_code


def _has_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def rule_set_validate(*, data) -> rules.Policy:
    """The Policy the engine builds from the data, or PolicyDataError with a Chinese message.
    Also refuses what PostgreSQL's jsonb cannot store (NaN, Infinity, the NUL character)."""
    try:
        json.dumps(data, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise rules.PolicyDataError(f"规则数据须为标准 JSON（不能含 NaN、Infinity）：{exc}") from exc
    if _has_nul(data):
        raise rules.PolicyDataError("规则数据不能含有空字符（\\u0000）")
    try:
        return rules.load_policy(data)
    except rules.PolicyDataError:
        raise
    except (TypeError, ValueError, KeyError, AttributeError) as exc:  # data the validator did not foresee
        raise rules.PolicyDataError(f"规则数据无效：{exc}") from exc


def switch_off_problem(rule_set, active):
    """Why `rule_set` may not become `active` as asked, or None: switched off, the rule set new
    declarations use would leave every new and proxy declaration without one."""
    if rule_set.is_active and not active and rule_set.code == default_rule_set_code():
        return f"新增申报正在使用该规则集（DEFAULT_RULE_SET = {rule_set.code}），不能停用；请先在设置中改用其他规则集。"
    return None


def rule_set_create(*, data, user, note: str = "", is_active: bool = True) -> RuleSet:
    """A new rule set from valid rule data; code, name, region and year are taken from the data."""
    policy = rule_set_validate(data=data)
    with transaction.atomic():
        if RuleSet.objects.filter(code=policy.code).exists():
            raise rules.PolicyDataError(f"规则编码 {policy.code} 已存在，请修改原规则集")
        rule_set = RuleSet.objects.create(
            code=policy.code, name=policy.name, region=policy.region, year=policy.year, data=data, is_active=is_active
        )
        RuleSetChange.objects.create(
            rule_set=rule_set, changed_by=user, before=None, after=data, note=(note or "新建规则集")[:200]
        )
    return rule_set


def rule_set_update(*, rule_set: RuleSet, data, user, note: str = "", is_active: bool | None = None) -> RuleSet:
    """Replace a rule set's data (and optionally switch it on or off), recording the change.

    Raises PolicyDataError, and saves nothing, when the data is not a valid rule set or names
    another code. Returns the saved row (a fresh instance); an unchanged save records nothing."""
    policy = rule_set_validate(data=data)
    with transaction.atomic():
        locked = RuleSet.objects.select_for_update().get(pk=rule_set.pk)
        if policy.code != locked.code:
            raise rules.PolicyDataError(
                f"规则数据中的 code 为 {policy.code!r}，与规则编码 {locked.code!r} 不符（规则编码不可修改）"
            )
        active = locked.is_active if is_active is None else is_active
        problem = switch_off_problem(locked, active)
        if problem:
            raise rules.PolicyDataError(problem)
        if locked.data == data and locked.is_active == active:
            return locked
        notes = [note.strip()] if note.strip() else []
        if active != locked.is_active:
            notes.append("启用" if active else "停用")
        if locked.data == data and not note.strip():
            notes.insert(0, "规则数据未变")
        before = locked.data
        locked.data = data
        locked.name, locked.region, locked.year = policy.name, policy.region, policy.year
        locked.is_active = active
        locked.save()
        RuleSetChange.objects.create(
            rule_set=locked, changed_by=user, before=before, after=data, note=("；".join(notes) or "修改规则数据")[:200]
        )
        if before != data:
            summary.rule_set_changed(locked.pk)  # the requirements it sets, in the same transaction
    return locked
