"""The bridge between stored rule sets and the pure engine: every caller (the declaration form,
the reviewers' checks, rules_check) gets its Policy here."""
from django.conf import settings

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


def default_rule_set():
    """The rule set new declarations use (settings.DEFAULT_RULE_SET, hunan-2024 by default)."""
    return RuleSet.objects.get(code=getattr(settings, "DEFAULT_RULE_SET", "hunan-2024"), is_active=True)


def stored_policies():
    return {rs.code: policy_for(rs) for rs in RuleSet.objects.filter(is_active=True)}
