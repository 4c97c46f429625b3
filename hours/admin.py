"""系统管理后台: the rule sets (学时折算规则), readable by whoever may view them, editable as JSON by
superusers only; every save is validated by the rules engine and recorded in RuleSetChange."""
import difflib
import json
from decimal import Decimal

from django import forms
from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from core.admin import InputPolicyAdmin, ReadOnlyAdmin
from core.forms import ModelForm

from . import rules
from .models import FilingStep, ReviewStep, Revocation, RuleSet, RuleSetChange
from .rulesets import rule_set_create, rule_set_update, rule_set_validate, switch_off_problem

SUBJECT_LABELS = {"public": "公需科目", "professional": "专业科目", "both": "公需与专业（视为完成当年要求）"}


# --- a readable account of a rule set, built from the engine's own reading of it -------------------


def _number(value) -> str:
    return f"{Decimal(value).normalize():f}"


def _fact_label(act: rules.Activity, name: str) -> str:
    return next((f"“{spec.label}”" for spec in act.facts if spec.name == name), name)


def _choice_label(spec: rules.FactSpec, part: str) -> str:
    if spec.type == "choice":
        return next((label for value, label in spec.choices if str(value) == part), part)
    return f"{spec.label} {part}"


def subject_text(act: rules.Activity) -> str:
    if act.subject_fact:
        return f"按填报项{_fact_label(act, act.subject_fact)}"
    return SUBJECT_LABELS.get(act.subject, "—")


def formula_lines(policy: rules.Policy, act: rules.Activity) -> list[str]:
    """The activity's formula in Chinese, one line per rule."""
    formula = act.formula
    kind = formula["kind"]
    if kind == "per_unit":
        terms = " + ".join(f"{_fact_label(act, name)} × {_number(rate)}" for name, rate in formula["units"].items())
        return [f"{terms} 学时"]
    if kind == "stated":
        return [f"按证书所载{_fact_label(act, formula['fact'])}计"]
    if kind == "table":
        specs = {spec.name: spec for spec in act.facts}
        lines = [
            f"{'·'.join(_choice_label(specs[name], part) for name, part in zip(formula['keys'], key.split('|')))}："
            f"{_number(hours)} 学时"
            for key, hours in formula["table"].items()
        ]
        return lines + [f"其他情形：{_number(formula['default'])} 学时"]
    if kind == "rank":
        lines, first = [], 1
        for upto, hours in formula["steps"]:
            ranks = f"第 {first} 名" if upto == first else f"第 {first}–{upto} 名"
            lines.append(f"{ranks}：{_number(hours)} 学时")
            first = upto + 1
        return [f"按{_fact_label(act, formula['fact'])}"] + lines + [f"第 {first} 名及以后：{_number(formula['beyond'])} 学时"]
    if kind == "full_year":
        req = policy.requirement
        longer = "或外派超过一年" if "start_fact" in formula else ""
        return [
            f"当年外派满 {formula['min_months']} 个月{longer}且考核合格：视为完成当年学时"
            f"（公需 {_number(req.public)}、专业 {_number(req.professional)}）"
        ]
    if kind == "determined":
        who = "或".join(rules.DETERMINERS[code] for code in formula["by"])
        return [f"由审核中的{who}核定（0–{_number(formula['max'])} 学时），核定前计 0 学时"]
    return ["不计学时"]


def limit_lines(act: rules.Activity) -> list[str]:
    """What the activity may be declared only once, or only within, in Chinese."""
    lines = []
    if act.identity is not None:
        names = "、".join(_fact_label(act, name) for name in act.identity.facts)
        if act.identity.per == "work":
            lines.append(f"同一{names}每人每年度只能申报一次")
        else:
            lines.append(f"每年度{f'每种{names}' if names else ''}只能申报一次")
    if act.calendar_days:
        lines.append(f"{'与'.join(_fact_label(act, name) for name in act.calendar_days)}合计不超过全年天数")
    return lines


def material_lines(policy: rules.Policy, act: rules.Activity) -> list[str]:
    def need(codes):
        return "或".join(policy.materials[code] for code in codes)

    sets = ["、".join(need(codes) for codes in alternative) for alternative in act.materials]
    lines = sets if len(sets) < 2 else [f"（{i}）{text}" for i, text in enumerate(sets, 1)]
    specs = {spec.name: spec for spec in act.facts}
    for extra in act.extra_materials:
        spec = specs[extra.fact]
        if spec.type == "bool":
            value = "是" if extra.equals else "否"
        else:
            same = (label for choice, label in spec.choices if type(choice) is type(extra.equals) and choice == extra.equals)
            value = next(same, str(extra.equals))
        required = "、".join(need(codes) for codes in extra.require)
        lines.append(f"另：“{spec.label}”为“{value}”时须提供{required}")
    return lines or ["—"]


def _lines(lines):
    return format_html_join(mark_safe("<br>"), "{}", ((line,) for line in lines))


def rule_set_summary(data):
    """HTML: the yearly requirement and one row per activity (label, subject, formula, materials)."""
    try:
        policy = rule_set_validate(data=data)
    except rules.PolicyDataError as exc:
        return format_html('<p class="errornote">规则数据无效，无法解读：{}</p>', str(exc))
    req = policy.requirement
    proration = ""
    if policy.proration:
        absence = policy.activities[policy.proration.activity]
        proration = f"；离岗月数按“{absence.label}”中的{_fact_label(absence, policy.proration.fact)}折减"
        specs = {spec.name: spec for spec in absence.facts}
        thresholds = [f"{_choice_label(specs[t.fact], str(t.equals))}须超过 {t.more_than} 个月" for t in policy.proration.thresholds]
        if thresholds:
            proration += f"（{'、'.join(thresholds)}）"
    requirement = format_html(
        "<p>年度学时要求：公需科目 {} 学时，专业科目 {} 学时，合计 {} 学时{}。</p>",
        _number(req.public),
        _number(req.professional),
        _number(req.total),
        proration,
    )
    rows = format_html_join(
        "\n",
        "<tr><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        (
            (
                act.label,
                code,
                subject_text(act),
                _lines(formula_lines(policy, act)),
                _lines(material_lines(policy, act)),
                _lines([text for text in ("需人工审核" if act.needs_review else "", *limit_lines(act), act.note) if text] or ["—"]),
            )
            for code, act in policy.activities.items()
        ),
    )
    return format_html(
        '{}<table class="rule-summary"><thead><tr><th>学习形式</th><th>代码</th><th>科目</th><th>学时折算</th>'
        "<th>佐证材料</th><th>备注</th></tr></thead><tbody>{}</tbody></table>",
        requirement,
        rows,
    )


def pretty_json(data) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2)


# --- the edit form --------------------------------------------------------------------------------


class _StrictJSONDecoder(json.JSONDecoder):
    """Standard JSON only: NaN and Infinity are refused (PostgreSQL's jsonb would refuse them too)."""

    def __init__(self, *args, **kwargs):
        def refuse(name):
            raise json.JSONDecodeError(f"不允许 {name}", name, 0)

        kwargs["parse_constant"] = refuse
        super().__init__(*args, **kwargs)


class RuleDataField(forms.JSONField):
    """Rule data edited as JSON text, shown indented with Chinese left as it is."""

    default_error_messages = {"invalid": "不是有效的 JSON，请检查括号、引号和逗号。"}

    def __init__(self, **kwargs):
        super().__init__(decoder=_StrictJSONDecoder, **kwargs)

    # Python's parser also fails with a ValueError (a number of more than 4,300 digits) or a
    # RecursionError (nesting past its limit), which Django's field does not expect.
    def to_python(self, value):
        try:
            return super().to_python(value)
        except (ValueError, RecursionError):
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None

    def bound_data(self, data, initial):
        try:
            return super().bound_data(data, initial)
        except (ValueError, RecursionError):
            return forms.fields.InvalidJSONInput(data)

    def prepare_value(self, value):
        if isinstance(value, forms.fields.InvalidJSONInput):
            return value
        return pretty_json(value)


class RuleSetForm(ModelForm):
    data = RuleDataField(
        label="规则数据（JSON）",
        help_text="保存前由学时规则引擎校验；编码、名称、地区、年度取自规则数据。",
        widget=forms.Textarea(
            attrs={"rows": 40, "cols": 110, "spellcheck": "false", "style": "font-family: monospace"}
        ),
    )
    note = forms.CharField(label="修改说明", max_length=200, required=False, help_text="记入规则修改记录")

    class Meta:
        model = RuleSet
        fields = ["data", "is_active"]

    def clean_data(self):
        data = self.cleaned_data["data"]
        try:
            policy = rule_set_validate(data=data)
        except rules.PolicyDataError as exc:
            raise ValidationError("规则数据未通过校验：%(reason)s", params={"reason": str(exc)}, code="invalid_policy")
        if self.instance.pk and policy.code != self.instance.code:
            raise ValidationError(
                "规则数据中的 code（%(got)s）须与规则编码（%(code)s）一致；规则编码不可修改。",
                params={"got": policy.code, "code": self.instance.code},
            )
        if not self.instance.pk and RuleSet.objects.filter(code=policy.code).exists():
            raise ValidationError("规则编码 %(code)s 已存在，请修改原规则集。", params={"code": policy.code})
        return data

    def clean_is_active(self):
        active = self.cleaned_data["is_active"]
        problem = switch_off_problem(self.instance, active) if self.instance.pk else None
        if problem:
            raise ValidationError(problem)
        return active


# --- the admin pages ------------------------------------------------------------------------------


def _list_without(*fields):
    """A ChangeList that leaves the (large) JSON columns out of its rows."""

    class LightChangeList(ChangeList):
        def get_queryset(self, request, exclude_parameters=None):
            return super().get_queryset(request, exclude_parameters).defer(*fields)

    return LightChangeList


@admin.register(RuleSet)
class RuleSetAdmin(InputPolicyAdmin, admin.ModelAdmin):
    form = RuleSetForm
    list_display = ["code", "name", "region", "year", "is_active", "updated_at"]
    list_filter = ["is_active", "region", "year"]
    search_fields = ["code", "name", "region"]
    readonly_fields = [
        "code", "name", "region", "year", "updated_at", "activity_summary", "data_pretty", "recent_changes"
    ]

    def get_changelist(self, request, **kwargs):
        return _list_without("data")

    class Media:
        css = {"all": ["css/admin.css"]}

    # Viewing follows Django's permissions (superusers, or staff given "view"); editing is for superusers.
    def has_add_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return False  # declarations keep their rule set; switch a rule set off instead

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [(None, {"fields": ["data", "note", "is_active"]})]
        editable = self.has_change_permission(request, obj)
        return [
            (None, {"fields": ["code", "name", "region", "year", "is_active", "updated_at"]}),
            ("学习形式与折算一览", {"fields": ["activity_summary"]}),
            ("规则数据", {"fields": ["data", "note"] if editable else ["data_pretty"]}),
            ("修改记录", {"fields": ["recent_changes"]}),
        ]

    @admin.display(description="学习形式")
    def activity_summary(self, obj):
        return rule_set_summary(obj.data)

    @admin.display(description="规则数据（JSON）")
    def data_pretty(self, obj):
        return format_html('<pre class="rule-json">{}</pre>', pretty_json(obj.data))

    @admin.display(description="最近的修改")
    def recent_changes(self, obj):
        changes = obj.changes.select_related("changed_by")[:10]
        if not changes:
            return "—"
        rows = format_html_join(
            "\n",
            '<tr><td><a href="{}">{}</a></td><td>{}</td><td>{}</td></tr>',
            (
                (
                    reverse("admin:hours_rulesetchange_change", args=[change.pk]),
                    f"{timezone.localtime(change.changed_at):%Y-%m-%d %H:%M}",
                    change.changed_by or "系统",
                    change.note,
                )
                for change in changes
            ),
        )
        return format_html(
            "<table><thead><tr><th>时间</th><th>修改人</th><th>说明</th></tr></thead><tbody>{}</tbody></table>", rows
        )

    def save_model(self, request, obj, form, change):
        data, note, is_active = form.cleaned_data["data"], form.cleaned_data["note"], form.cleaned_data["is_active"]
        if change:
            saved = rule_set_update(rule_set=obj, data=data, user=request.user, note=note, is_active=is_active)
        else:
            saved = rule_set_create(data=data, user=request.user, note=note, is_active=is_active)
        obj.pk = saved.pk
        obj.refresh_from_db()


@admin.register(RuleSetChange)
class RuleSetChangeAdmin(ReadOnlyAdmin):
    """The change record is append-only: it can be read here, never added, edited or deleted."""

    list_display = ["changed_at", "rule_set", "changed_by", "note"]
    list_filter = ["rule_set"]
    list_select_related = ["rule_set", "changed_by"]
    search_fields = ["rule_set__code", "note", "changed_by__username", "changed_by__name"]
    date_hierarchy = "changed_at"
    fields = ["rule_set", "changed_at", "changed_by", "note", "difference", "before_pretty", "after_pretty"]
    readonly_fields = fields

    def get_changelist(self, request, **kwargs):
        return _list_without("before", "after", "rule_set__data")

    class Media:
        css = {"all": ["css/admin.css"]}

    @admin.display(description="差异")
    def difference(self, obj):
        before = pretty_json(obj.before).splitlines() if obj.before is not None else []
        diff = list(difflib.unified_diff(before, pretty_json(obj.after).splitlines(), "修改前", "修改后", lineterm="", n=2))
        return format_html('<pre class="rule-json">{}</pre>', "\n".join(diff) or "（规则数据未变）")

    @admin.display(description="修改前")
    def before_pretty(self, obj):
        if obj.before is None:
            return "—"
        return format_html('<pre class="rule-json">{}</pre>', pretty_json(obj.before))

    @admin.display(description="修改后")
    def after_pretty(self, obj):
        return format_html('<pre class="rule-json">{}</pre>', pretty_json(obj.after))


# The audit trail: the system administrator may read every step; nobody may add, change or delete
# one here (the model and its queryset refuse it too; see workflow/models.py).
STEP_FIELDS = (
    "action", "from_state", "to_state", "actor", "actor_role", "organisation", "next_org", "opinion", "details",
    "ip_address", "created_at",
)


class AuditStepAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "action", "from_state", "to_state", "actor", "actor_role", "organisation")
    list_filter = ("action", "to_state", "actor_role")
    list_select_related = ("actor", "organisation")
    date_hierarchy = "created_at"
    actions = None  # no “delete selected”


@admin.register(ReviewStep)
class ReviewStepAdmin(AuditStepAdmin):
    list_display = ("declaration", *AuditStepAdmin.list_display)
    list_select_related = ("declaration", *AuditStepAdmin.list_select_related)
    search_fields = ("declaration__business_no", "declaration__name", "actor__name")
    readonly_fields = ("declaration", *STEP_FIELDS)


@admin.register(FilingStep)
class FilingStepAdmin(AuditStepAdmin):
    list_display = ("filing", *AuditStepAdmin.list_display)
    list_select_related = ("filing", *AuditStepAdmin.list_select_related)
    search_fields = ("filing__name", "actor__name")
    readonly_fields = ("filing", *STEP_FIELDS)


@admin.register(Revocation)
class RevocationAdmin(ReadOnlyAdmin):
    """撤销认定, append-only: read here, made only by the bureau's clerks on the case page."""

    list_display = ("created_at", "declaration", "years_label", "reason", "actor", "organisation")
    list_filter = ("reason",)
    list_select_related = ("declaration", "actor", "organisation")
    search_fields = ("declaration__business_no", "declaration__name", "actor__name")
    date_hierarchy = "created_at"
    readonly_fields = ("declaration", "years", "reason", "reason_text", "actor", "organisation", "created_at")
    actions = None
