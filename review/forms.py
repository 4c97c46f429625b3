from django import forms
from django.utils.dateparse import parse_datetime
from django.utils.timezone import is_aware

from accounts.forms import IdNumberField
from accounts.models import Nature

from core.forms import Form, IdListField, out_of_order
from core.inputs import parse_id
from hours.models import RevocationReason
from workflow.models import ReminderReason

from .selectors import CHECKS_FILTERS, DECISION_FILTERS, QUEUE_STATES, TODO_ORDERS
from .services import filing_period_problem

# <input type="date"> takes only YYYY-MM-DD; the zh-hans format (2026/11/01) would show an empty field.
ISO_DATE = "%Y-%m-%d"

PRINCIPLES = ["按折算细则核定", "按单位备案培训认定", "按培训平台记录认定", "按以前年度学时认定单认定", "其他"]


def aware_time(text):
    """The aware time a page wrote as ISO text, or None for anything else."""
    try:
        since = parse_datetime(str(text).strip())
    except ValueError:
        return None
    return since if since is not None and is_aware(since) else None


class SeenField(forms.Field):
    """The 待办列表's rows as the page showed them, "id@arrival" each, so that the batch decides a
    ticked case only in the version the clerk saw. An entry that does not read is left out: its case
    is decided as the batch finds it."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value):
        seen = {}
        entries = value if isinstance(value, (list, tuple)) else ([value] if value else [])
        for entry in entries:
            pk, _, since = str(entry).partition("@")
            pk, since = parse_id(pk), aware_time(since)
            if pk is not None and since is not None:
                seen[pk] = since
        return seen


class QueueFilterForm(Form):
    year = forms.IntegerField(label="年度", required=False, min_value=1990, max_value=2100)
    name = forms.CharField(label="姓名", required=False, max_length=50)
    id_number = IdNumberField(label="证件号码", required=False)
    status = forms.ChoiceField(label="审核状态", choices=QUEUE_STATES, required=False, initial="pending")


class TodoFilterForm(Form):
    applicant = forms.CharField(label="申请人/单位", required=False, max_length=100)
    id_number = IdNumberField(label="证件号", required=False)
    business_no = forms.CharField(label="受理编号", required=False, max_length=20)
    service = forms.ChoiceField(label="服务事项", required=False, choices=[("", "全部"), ("declaration", "学时核认申报")])
    stage = forms.ChoiceField(label="经办环节", required=False, choices=[("", "全部"), ("bureau_review", "人社部门审核")])
    received_from = forms.DateField(label="受理时间（开始日期）", required=False, widget=forms.DateInput(attrs={"type": "date"}, format=ISO_DATE))
    received_to = forms.DateField(label="受理时间（结束日期）", required=False, widget=forms.DateInput(attrs={"type": "date"}, format=ISO_DATE))
    supervision = forms.ChoiceField(label="督办状态", required=False, choices=[("", "全部"), ("normal", "正常"), ("overdue", "督办")])
    channel = forms.ChoiceField(label="受理渠道", required=False, choices=[("", "全部"), ("self", "个人网上申报"), ("proxy", "单位代为申报")])
    handler = forms.CharField(label="受理人", required=False, max_length=50, help_text="姓名；填“未受理”查看尚无人受理的")
    checks = forms.ChoiceField(label="校验", required=False, choices=CHECKS_FILTERS, help_text="申报到达本环节时自动校验，批量审核通过时再次校验")
    order = forms.ChoiceField(label="排序", required=False, choices=TODO_ORDERS)

    def clean(self):
        cleaned = super().clean()
        out_of_order(self, cleaned, "received_from", "received_to", "结束日期不能早于开始日期。")
        return cleaned


class DecisionForm(Form):
    """审核信息 on the case page: the decision is the button pressed (审核通过, 审核通过并打开下一件,
    审核不通过); the next level applies to an approval only, the opinion is required for a rejection."""

    decision = forms.ChoiceField(
        label="审核结果",
        choices=[("approve", "审核通过"), ("approve_next", "审核通过并打开下一件"), ("reject", "审核不通过")],
        error_messages={"required": "请点击“审核通过”或“审核不通过”。"},
    )
    next_type = forms.ChoiceField(
        label="审核上级单位类型", required=False, choices=[("superior", "上级审核单位"), ("bureau", "经办机构")], widget=forms.RadioSelect
    )
    next_org = forms.TypedChoiceField(label="上级审核单位名称", required=False, coerce=int, empty_value=None)
    opinion = forms.CharField(
        label="审核意见", required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 3}),
        help_text="审核不通过时必填，将告知申请人",
    )
    nature = forms.ChoiceField(label="单位性质", required=False, choices=[("", "请选择")] + Nature.choices)
    on_staff = forms.ChoiceField(label="是否在编", required=False, choices=[("", "请选择"), ("是", "是"), ("否", "否")])
    principle = forms.ChoiceField(label="审核原则", required=False, choices=[("", "请选择审核原则")] + [(p, p) for p in PRINCIPLES])
    expected_state = forms.CharField(widget=forms.HiddenInput, required=False)
    # When the case reached this level, as the page showed it (hours.transitions: a stale version is
    # refused). Text in ISO form, not a DateTimeField: its widget would drop the microseconds.
    expected_since = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, superiors=(), bureau=None, final=False, unit_level=False, determinable=(), remembered=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.superiors = {org.pk: org for org in superiors}
        # 由审核单位核定: a field for each item whose hours this level sets (hours.selectors.determinable_items)
        self.determinable = {f"determined_{entry['item'].pk}": entry for entry in determinable}
        for name, entry in self.determinable.items():
            item = entry["item"]
            self.fields[name] = forms.DecimalField(
                label=f"核定学时：{entry['label']}", required=False, min_value=0, max_value=entry["max"], max_digits=6,
                decimal_places=1, help_text="参照专业科目学时折算标准确认；审核通过时记入审核记录",
            )
            if item.determined_at is not None:
                self.initial[name] = item.total_hours
        self.bureau = bureau
        self.final = final
        self.fields["next_org"].choices = [("", "请选择上级审核单位")] + [(o.pk, o.name) for o in superiors]
        if final:
            for name in ("next_type", "next_org"):
                del self.fields[name]
        elif not superiors:
            self.fields["next_type"].choices = [("bureau", "经办机构")]
            self.fields["next_type"].help_text = "本单位为一级单位，直接选择经办机构（人社部门）。"
        if not unit_level:
            for name in ("nature", "on_staff", "principle"):
                del self.fields[name]
        # 是否在编 / 审核原则 as the reviewer chose them last time for this unit (the choices still offered).
        for name, value in (remembered or {}).items():
            field = self.fields.get(name)
            if field is not None and value in dict(field.choices):
                self.initial[name] = value
                field.help_text = "按您上次审核本单位申报时的选择预填"

    def clean_expected_since(self):
        """The arrival time the page was rendered with; one that does not read (the field altered by
        hand) is not compared, and the state alone is checked."""
        return aware_time(self.cleaned_data["expected_since"])

    def clean(self):
        cleaned = super().clean()
        decision = cleaned.get("decision")
        cleaned["open_next"] = decision == "approve_next"
        if decision == "approve_next":
            decision = cleaned["decision"] = "approve"
        if decision == "reject" and not (cleaned.get("opinion") or "").strip() and "opinion" not in self.errors:
            self.add_error("opinion", "审核不通过时必须填写原因。")
        if decision == "approve" and not self.final:
            kind = cleaned.get("next_type")
            if kind == "superior":
                org = self.superiors.get(cleaned.get("next_org"))
                if org is None:
                    self.add_error("next_org", "请选择上级审核单位。")
                cleaned["target"] = org
            elif kind == "bureau":
                cleaned["target"] = self.bureau
            else:
                self.add_error("next_type", "请选择审核上级单位类型。")
        if decision == "approve" and self.final:
            for name, entry in self.determinable.items():
                if cleaned.get(name) is None and entry["item"].determined_at is None and name not in self.errors:
                    self.add_error(name, "请核定该项目的学时（不计学时的填0）。")
        return cleaned

    def approve_fields(self):
        """The fields that apply to an approval only: the hours this level determines."""
        return [self[name] for name in self.determinable]

    def unit_fields(self):
        return [self[name] for name in ("nature", "on_staff", "principle") if name in self.fields]

    def next_level_fields(self):
        return [self[name] for name in ("next_type", "next_org") if name in self.fields]

    def destination(self):
        """审核通过后送: the next level the form now names (the preselected or the chosen one), for
        the panel's summary line; None at the final level."""
        if self.final:
            return None
        kind, org = self["next_type"].value(), self["next_org"].value()
        if kind == "bureau":
            return "人社部门"
        try:
            return self.superiors[int(org)].name
        except (KeyError, TypeError, ValueError):
            return None

    def determined_hours(self):
        """{item id: hours} for the items given hours on the form."""
        return {
            entry["item"].pk: self.cleaned_data[name]
            for name, entry in self.determinable.items() if self.cleaned_data.get(name) is not None
        }

    def unit_details(self):
        return {k: self.cleaned_data.get(k) for k in ("nature", "on_staff", "principle") if self.cleaned_data.get(k)}


class BatchForm(Form):
    ids = IdListField(required=False, error_messages={"invalid_id": "所选申报的编号无效，请刷新页面后重新勾选。"})
    seen = SeenField(required=False)
    # picked: the ticked rows of the page; filtered: everything the 待办列表's filter finds (all pages).
    scope = forms.ChoiceField(choices=[("picked", "所选申报"), ("filtered", "全部筛选结果")], required=False)
    filters = forms.CharField(required=False, max_length=2000)  # the 待办列表's query string
    page = forms.IntegerField(required=False, min_value=1, max_value=100_000)  # and its page, to return to
    confirmed = forms.BooleanField(required=False)
    # What the confirmation page showed: the decision runs only on exactly those declarations.
    count = forms.IntegerField(required=False, min_value=0)
    fingerprint = forms.CharField(required=False, max_length=64)
    decision = forms.ChoiceField(
        choices=[("approve", "审核通过"), ("reject", "审核不通过")], error_messages={"required": "请选择审核结果：审核通过或审核不通过。"}
    )
    reason = forms.CharField(required=False, max_length=500)

    def clean(self):
        cleaned = super().clean()
        cleaned["scope"] = cleaned.get("scope") or "picked"
        if cleaned["scope"] == "picked" and not cleaned.get("ids") and "ids" not in self.errors:
            self.add_error("ids", "请先勾选要批量审核的申报。")
        if cleaned.get("decision") == "reject" and not (cleaned.get("reason") or "").strip():
            self.add_error("reason", "批量审核不通过时必须填写原因。")
        return cleaned


class FilingPeriodForm(Form):
    year = forms.IntegerField(label="年度", min_value=2000, max_value=2100)
    opens_on = forms.DateField(label="开始日期", widget=forms.DateInput(attrs={"type": "date"}, format=ISO_DATE))
    closes_on = forms.DateField(label="截止日期", widget=forms.DateInput(attrs={"type": "date"}, format=ISO_DATE))
    supervision_days = forms.IntegerField(label="督办时限（工作日）", min_value=1, max_value=60, initial=5)

    def clean(self):
        cleaned = super().clean()
        year, opens_on, closes_on = cleaned.get("year"), cleaned.get("opens_on"), cleaned.get("closes_on")
        if not out_of_order(self, cleaned, "opens_on", "closes_on", "截止日期不能早于开始日期。") and year and opens_on and closes_on:
            problem = filing_period_problem(year, opens_on, closes_on)
            if problem:
                self.add_error(None, problem)
        return cleaned


class MyDecisionsForm(Form):
    """我的经办's search: who (name, ID number or business number), when, and which decision."""

    q = forms.CharField(label="姓名/证件号码/业务编号", required=False, max_length=50)
    decided_from = forms.DateField(label="办理日期（开始）", required=False, widget=forms.DateInput(attrs={"type": "date"}, format=ISO_DATE))
    decided_to = forms.DateField(label="办理日期（结束）", required=False, widget=forms.DateInput(attrs={"type": "date"}, format=ISO_DATE))
    decision = forms.ChoiceField(label="审核结果", required=False, choices=DECISION_FILTERS)

    def clean(self):
        cleaned = super().clean()
        out_of_order(self, cleaned, "decided_from", "decided_to", "结束日期不能早于开始日期。")
        return cleaned


class RemindersSentForm(Form):
    """消息推送管理's filters."""

    reason = forms.ChoiceField(label="提醒事由", required=False, choices=[("", "全部"), *ReminderReason.choices])
    sent_from = forms.DateField(label="发送日期（开始）", required=False, widget=forms.DateInput(attrs={"type": "date"}, format=ISO_DATE))
    sent_to = forms.DateField(label="发送日期（结束）", required=False, widget=forms.DateInput(attrs={"type": "date"}, format=ISO_DATE))
    name = forms.CharField(label="姓名", required=False, max_length=50)

    def clean(self):
        cleaned = super().clean()
        out_of_order(self, cleaned, "sent_from", "sent_to", "结束日期不能早于开始日期。")
        return cleaned


class RevokeForm(Form):
    """撤销认定: the whole declaration or one of its years, a reason category and the reason. Posted
    twice: first to see what it will do, then with `confirmed` (irreversible)."""

    scope = forms.ChoiceField(label="撤销范围", widget=forms.RadioSelect, error_messages={"required": "请选择撤销整份申报或其中一个年度。"})
    reason = forms.ChoiceField(
        label="撤销原因类别", choices=[("", "请选择")] + RevocationReason.choices,
        error_messages={"required": "请选择撤销原因类别。"}, help_text="学时认定单的查验页面显示原因类别（不显示具体原因）",
    )
    reason_text = forms.CharField(
        label="撤销原因", max_length=500, widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "请填写撤销原因。"}, help_text="将告知申请人和审核通过该申报的审核人员",
    )
    confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, declaration, years, revocable, **kwargs):
        """`years`: the declaration's years a POST may name (a second POST names one revoked
        meanwhile, and hears so from the service); `revocable`: those still to revoke, offered."""
        super().__init__(*args, **kwargs)
        self.revocable = list(revocable)
        self.all_years = list(years)
        partly = len(self.revocable) < len(self.all_years)
        whole = f"整份申报（{declaration.years_label}年度{'中尚未撤销的各年度' if partly else ''}）"
        offered = self.all_years if self.is_bound else self.revocable
        self.fields["scope"].choices = [("all", whole)] + [(str(y), f"仅{y}年度") for y in offered]

    def years(self):
        scope = self.cleaned_data["scope"]
        if scope == "all":
            return self.revocable or self.all_years
        return [int(scope)]
