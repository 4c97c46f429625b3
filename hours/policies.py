"""The bridge between stored rule sets and the pure engine: every caller (the declaration form,
the reviewers' checks, rules_check) gets its Policy here, and an item's identity key."""
import hashlib
import unicodedata

from django.conf import settings
from django.core.exceptions import ValidationError

from accounts.models import OrganisationKind
from core.inputs import normalise_text

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


IDENTITY_KEY_MAX = 250  # Item.identity_key
ONCE_A_YEAR = "*"  # the key of what is declared once a year, whatever its facts


def identity_key(policy, activity, facts, *, text=normalise_text):
    """The item's identity (the rule set's: a paper's title, a patent's number; once a year) as
    the database compares it: text normalised as typed text is (core.inputs), then fully NFKC
    (so 全角 punctuation too), case-folded, with runs of whitespace made one space. "" when the
    activity has no identity. Raises RuleError when an identifying fact is missing, and
    ValidationError, under the fact's name, for text that cannot be stored; ``text=safe_text``
    for stored rows, which must not be refused."""
    found = rules.identity(policy, activity, facts)
    if found is None:
        return ""
    _per, values = found
    if not values:
        return ONCE_A_YEAR
    parts = []
    for name, value in zip(policy.activities[activity].identity.facts, values):
        try:
            cleaned = text(value)
        except ValidationError as exc:
            raise ValidationError({name: exc.messages}) from exc
        part = " ".join(unicodedata.normalize("NFKC", cleaned).casefold().split())
        if not part:  # nothing but invisible marks
            raise ValidationError({name: "请填写可识别的内容（同一项目只能申报一次，须据此识别）。"})
        parts.append(part)
    key = "|".join(parts)
    if len(key) > IDENTITY_KEY_MAX:
        key = "sha256:" + hashlib.sha256(key.encode()).hexdigest()
    return key


def determiners(org):
    """What a reviewing organisation is among rules.DETERMINERS: a 人社部门, a 主管部门, and a
    provincial one (省业务主管部门) when its approving bureau is the province's own, the root of
    the bureaus' tree."""
    if org is None:
        return set()
    if org.kind == OrganisationKind.BUREAU:
        return {"bureau"}
    if org.kind == OrganisationKind.DEPARTMENT:
        return {"department", "provincial_department"} if org.bureau is not None and org.bureau.is_root() else {"department"}
    return set()


def determined_activities(policy):
    """The activities whose hours the reviewing organisation sets, with who may."""
    return {code: act.formula["by"] for code, act in policy.activities.items() if act.formula["kind"] == "determined"}
