"""The bridge between stored rule sets and the pure engine: every caller (the declaration form,
the reviewers' checks, rules_check) gets its Policy here."""
from django.conf import settings
from django.core.exceptions import ValidationError

from . import rules
from .models import RuleSet

_compiled = {}


def policy_for(rule_set):
    """The compiled Policy of a stored rule set, rebuilt only when the rule set changes."""
    key = (rule_set.pk, rule_set.updated_at)
    policy = _compiled.get(key)
    if policy is None:
        policy = rules.load_policy(rule_set.data)
        if len(_compiled) > 32:
            _compiled.clear()
        _compiled[key] = policy
    return policy


NONE_IN_FORCE = "当前没有启用的学时折算规则，暂不能新增申报；请联系系统管理员。"


def default_rule_set_code():
    return settings.DEFAULT_RULE_SET


def default_rule_set():
    """The rule set new declarations use (settings.DEFAULT_RULE_SET); ValidationError when it is
    switched off or missing — the admin refuses to switch it off, but the setting may name another."""
    rule_set = RuleSet.objects.filter(code=default_rule_set_code(), is_active=True).first()
    if rule_set is None:
        raise ValidationError(NONE_IN_FORCE, code="no_rule_set")
    return rule_set


def reference_rule_set():
    """The rule set a span with nothing approved is measured against: the one in force, or — none
    is — the one the setting names even if switched off, or else the latest there is."""
    return (
        RuleSet.objects.filter(code=default_rule_set_code()).first()
        or RuleSet.objects.order_by("-is_active", "-year", "code").first()
    )


def stored_policies():
    return {rs.code: policy_for(rs) for rs in RuleSet.objects.filter(is_active=True)}
