from decimal import Decimal

from django import forms
from django.utils import timezone

from accounts.forms import IdNumberField
from accounts.models import ETHNIC_GROUPS, Education, Gender
from accounts.validators import normalize_phone, validate_phone

from core.forms import Form, IdListField, out_of_order
from core.masking import mask_phone

from . import rules
from .models import COURSE_TYPES, EvidenceCategory, TrainingType
from .years import PREVIOUS_CERTIFICATE_MAX_YEARS, allowed_years, previous_certificate_problem
from .uploads import ALLOWED_HINT

# <input type="date"> takes only YYYY-MM-DD; the zh-hans format (2026/11/01) would show an empty field.
ISO_DATE = "%Y-%m-%d"

TITLES = ["正高级", "副高级", "中级", "助理级", "员级"]
CATEGORIES = [
    "高校教师", "中小学教师", "中等职业学校教师", "工程技术", "卫生技术", "农业技术", "经济", "会计", "审计", "统计",
    "新闻", "出版", "翻译", "图书资料", "文物博物", "群众文化", "艺术", "体育", "档案", "律师", "公证", "科学研究", "其他",
]


ACCOUNT_HELP = "姓名、证件号码和性别取自账号的实名信息，不能在申报中修改；如有误请联系系统管理员更正。"


def _choices(values, blank="请选择"):
    return [("", blank)] + [(v, v) for v in values]


class MaskedPhoneField(forms.CharField):
    """A number someone else's (代为申报: the staff member's) shown masked; sent back unchanged,
    the masked form stands for the number kept, any other value is a new number."""

    kept = ""

    def prepare_value(self, value):
        return mask_phone(value) if self.kept and value == self.kept else value

    def to_python(self, value):
        value = super().to_python(value)
        return self.kept if self.kept and value == mask_phone(self.kept) else value


class ApplicantForm(Form):
    """Step 6: the applicant's data; every field marked * is required. 姓名, 证件号码 and 性别 are
    the account's, shown but not posted (hours/services.py takes them from the account)."""

    id_number = forms.CharField(label="证件号码", disabled=True, required=False)
    name = forms.CharField(label="姓名", disabled=True, required=False, help_text=ACCOUNT_HELP)
    gender = forms.ChoiceField(label="性别", choices=Gender.choices, disabled=True, required=False)
    ethnicity = forms.ChoiceField(label="民族", choices=_choices(ETHNIC_GROUPS))
    unit = forms.CharField(label="单位名称", disabled=True, required=False, help_text="经单位确认的工作单位；如需变更请在“我的信息”中申请")
    title_sought = forms.ChoiceField(label="拟申报职称", choices=_choices(TITLES))
    phone = MaskedPhoneField(label="联系电话", max_length=20, validators=[validate_phone])
    education = forms.ChoiceField(label="最高学历", choices=_choices(Education.values))
    category = forms.ChoiceField(label="申报大类", choices=_choices(CATEGORIES))
    specialty = forms.CharField(label="子专业名称", max_length=50)
    start_year = forms.TypedChoiceField(label="申报起始年度", coerce=int)
    end_year = forms.TypedChoiceField(label="申报终止年度", coerce=int)
    remark = forms.CharField(label="备注", max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2}))
    # Shown only when the span takes in a year already approved (the views ask for it then).
    again = forms.BooleanField(label="我已知晓上述年度已审核通过，仍要再次申报", required=False)

    def __init__(self, *args, kept_phone="", **kwargs):
        """kept_phone: the number on file when the person filling in is not its owner (代为申报)."""
        super().__init__(*args, **kwargs)
        if kept_phone:
            self.fields["phone"].kept = kept_phone
            self.fields["phone"].help_text = "号码已部分隐藏；不修改则保留原号码，如需更改请输入完整的新号码"
        years = [("", "请选择年度")] + [(y, f"{y}年") for y in reversed(allowed_years())]
        self.fields["start_year"].choices = years
        self.fields["end_year"].choices = years

    def clean_phone(self):
        return normalize_phone(self.cleaned_data["phone"])

    def clean(self):
        cleaned = super().clean()
        out_of_order(self, cleaned, "start_year", "end_year", "终止年度不能早于起始年度。")
        return cleaned


class YearForm(Form):
    """A year of the declaration. Months away from post are not typed here: they come from the
    absences declared in the year (where the rule set prorates the requirement at all)."""

    year = forms.TypedChoiceField(label="年度", coerce=int)

    def __init__(self, *args, declaration, **kwargs):
        super().__init__(*args, **kwargs)
        taken = set(declaration.year_records.values_list("year", flat=True))
        self.fields["year"].choices = [("", "请选择年度")] + [
            (y, f"{y}年") for y in range(declaration.start_year, declaration.end_year + 1) if y not in taken
        ]
        # Django's “选择一个有效的选项” would not say why: a year outside the span, or one already filled in.
        self.fields["year"].error_messages["invalid_choice"] = (
            f"年度应在申报年度{declaration.start_year}–{declaration.end_year}年之内，且每个年度只能填写一次明细"
            f"{'（已填写：' + '、'.join(f'{y}年' for y in sorted(taken)) + '）' if taken else ''}。"
        )


class ActivityChoiceForm(Form):
    activity = forms.ChoiceField(label="学习形式")

    def __init__(self, *args, policy, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["activity"].choices = [("", "请选择学习形式")] + rules.activity_choices(policy)


BOOL_CHOICES = [("", "请选择"), ("true", "是"), ("false", "否")]


def _field_for(spec, year):
    """A form field for one fact of the rule set; the engine does the real validation."""
    common = {"label": spec.label, "required": spec.required, "help_text": spec.help}
    if spec.type == "int":
        return forms.IntegerField(min_value=spec.min, max_value=spec.max, **common)
    if spec.type == "decimal":
        return forms.DecimalField(min_value=spec.min, max_value=spec.max, decimal_places=1, **common)
    if spec.type == "year":
        return forms.IntegerField(min_value=spec.min or 1990, max_value=spec.max or 2100, initial=year, **common)
    if spec.type == "bool":
        return forms.TypedChoiceField(choices=BOOL_CHOICES, coerce=lambda v: v == "true", empty_value=None, **common)
    if spec.type == "choice":
        return forms.ChoiceField(choices=[("", "请选择")] + [(str(v), label) for v, label in spec.choices], **common)
    if spec.type == "date":
        return forms.DateField(widget=forms.DateInput(attrs={"type": "date"}, format=ISO_DATE), **common)
    return forms.CharField(min_length=spec.min, max_length=spec.max or 200, **common)


class FactsForm(Form):
    """The chosen learning form's own fields, built from the rule set, inside one year's block:
    the fact naming the year the hours count in (计入年度: 培训年度, 发表年度 …) is that year, shown
    and not offered (an item of another year belongs in that year's block); the half days of an
    activity counted in days start at 0."""

    def __init__(self, *args, policy, activity, year, **kwargs):
        # Each year's block may have its form open: ids of their own (id_2023_title).
        kwargs.setdefault("auto_id", f"id_{year}_%s")
        super().__init__(*args, **kwargs)
        self.specs = rules.form_spec(policy, activity)
        act = policy.activities[activity]
        for spec in self.specs:
            field = self.fields[spec.name] = _field_for(spec, year)
            if spec.name == act.counted_year and spec.type == "year":
                field.disabled = True
                field.initial = year
                field.help_text = f"本年度明细中的项目计入{year}年度；其他年度的项目请在该年度明细中添加。"
            elif spec.name == act.counted_year and spec.type == "date":
                field.widget.attrs.update(min=f"{year}-01-01", max=f"{year}-12-31")
            elif spec.name in act.calendar_days[1:] and spec.type == "int":
                field.initial = 0

    def facts(self):
        """Cleaned values in the engine's terms (choices back to their typed values)."""
        facts = {}
        for spec in self.specs:
            value = self.cleaned_data.get(spec.name)
            if value in (None, ""):
                continue
            if spec.type == "choice":
                value = next((v for v, _ in spec.choices if str(v) == value), value)
            elif spec.type == "date":
                value = value.isoformat()
            elif hasattr(value, "as_tuple"):
                value = str(value)
            facts[spec.name] = value
        return facts


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one go, as the upload dialog allows (Django's documented pattern)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ".jpg,.jpeg,.png,.doc,.docx,.pdf"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, (list, tuple)):
            # No file chosen arrives as an empty list, which the per-file clean never sees.
            if not data and self.required:
                raise forms.ValidationError(self.error_messages["required"], code="required")
            return [single(d, initial) for d in data]
        return [single(data, initial)]


class EvidenceForm(Form):
    category = forms.ChoiceField(label="材料类别", choices=[c for c in EvidenceCategory.choices if c[0] != EvidenceCategory.ITEM])
    # Bounded in clean() by what a certificate can cover (years.previous_certificate_problem).
    cover_from = forms.IntegerField(
        label="认定单起始年度", required=False, min_value=1, max_value=9999,
        help_text=f"仅上传以前年度学时认定单时填写；一份认定单最多覆盖{PREVIOUS_CERTIFICATE_MAX_YEARS}个年度",
    )
    cover_to = forms.IntegerField(label="认定单终止年度", required=False, min_value=1, max_value=9999)
    files = MultipleFileField(label="选取文件", help_text=ALLOWED_HINT)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("category") == EvidenceCategory.PREVIOUS_CERTIFICATE:
            start, stop = cleaned.get("cover_from"), cleaned.get("cover_to")
            if not start:
                self.add_error("cover_from", "请填写该学时认定单的起始年度。")
            if not stop:
                self.add_error("cover_to", "请填写该学时认定单的终止年度。")
            if start and stop:
                problem = previous_certificate_problem(start, stop)
                if problem:
                    self.add_error("cover_to", problem)
        return cleaned


class ItemEvidenceForm(Form):
    """Files for an item, each serving the materials ticked (one scan may be several of them)."""

    material = forms.MultipleChoiceField(label="材料名称", widget=forms.CheckboxSelectMultiple)
    files = MultipleFileField(label="选取文件", help_text=ALLOWED_HINT)

    def __init__(self, *args, policy, item, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["material"].choices = rules.material_choices(policy, item.activity, item.facts)


class SubmitForm(Form):
    pledge = forms.BooleanField(label="本人承诺以上信息真实有效", error_messages={"required": "请勾选“本人承诺以上信息真实有效”后再提交。"})


class TrainingImportForm(Form):
    source = forms.ChoiceField(
        label="数据来源",
        choices=[("platform", "事业单位工作人员培训平台"), ("training_base", "继续教育基地")],
    )
    source_org = forms.ModelChoiceField(label="继续教育基地", queryset=None, required=False, empty_label="（来源为继续教育基地时选择）")
    file = forms.FileField(label="导入文件", help_text="Excel（.xlsx）或CSV文件，第1行为表头：证件号码、姓名、年度、培训名称、科目、学时、证书编号")

    def __init__(self, *args, bases, base_only=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["source_org"].queryset = bases
        if base_only:
            # A training base uploads its own courses' rosters only.
            self.fields["source"].choices = [("training_base", "继续教育基地")]
            self.fields["source_org"].empty_label = None
            self.fields["source_org"].required = True

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("source") == "training_base" and not cleaned.get("source_org"):
            self.add_error("source_org", "请选择继续教育基地。")
        if cleaned.get("source") == "platform":
            cleaned["source_org"] = None
        return cleaned


class FilingForm(Form):
    year = forms.TypedChoiceField(label="年度", coerce=int)
    name = forms.CharField(label="培训名称", max_length=200)
    training_type = forms.ChoiceField(label="培训类型", choices=[("", "请选择")] + TrainingType.choices)
    course_type = forms.ChoiceField(
        label="课程类型", choices=[("", "请选择")] + COURSE_TYPES, help_text="专业科目报主管部门备案，公需科目报人社部门备案"
    )
    hours = forms.DecimalField(label="培训学时", min_value=Decimal("0.5"), max_value=Decimal("500"), decimal_places=1)
    days = forms.DecimalField(label="培训天数", min_value=Decimal("0.5"), max_value=Decimal("366"), decimal_places=1)
    planned_start = forms.DateField(label="预计培训开始时间", widget=forms.DateInput(attrs={"type": "date"}, format=ISO_DATE))
    planned_end = forms.DateField(label="预计培训结束时间", widget=forms.DateInput(attrs={"type": "date"}, format=ISO_DATE))
    notice = forms.FileField(label="培训通知", help_text=ALLOWED_HINT)
    schedule = forms.FileField(label="培训课程表", help_text=ALLOWED_HINT)

    def __init__(self, *args, editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        this_year = timezone.localdate().year
        self.fields["year"].choices = [("", "请选择年度")] + [(y, f"{y}年") for y in range(this_year + 1, this_year - 3, -1)]
        if editing:
            for name in ("notice", "schedule"):
                self.fields[name].required = False
                self.fields[name].help_text = "不更换请留空。" + ALLOWED_HINT

    def clean(self):
        cleaned = super().clean()
        out_of_order(self, cleaned, "planned_start", "planned_end", "预计培训结束时间不能早于开始时间。")
        start = cleaned.get("planned_start")
        if start and cleaned.get("year") and start.year != cleaned["year"]:
            self.add_error("planned_start", "预计培训开始时间应在备案年度内。")
        return cleaned


class RosterForm(Form):
    file = forms.FileField(label="参训人员名单", help_text="Excel（.xlsx）或CSV文件，第1行为表头：证件号码、姓名、学时")


class FilingDecisionForm(Form):
    decision = forms.ChoiceField(label="审核结果", choices=[("approve", "同意备案"), ("reject", "审核不通过")], widget=forms.RadioSelect)
    opinion = forms.CharField(label="审核意见", required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 3}))

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("decision") == "reject" and not (cleaned.get("opinion") or "").strip():
            self.add_error("opinion", "审核不通过时必须填写原因。")
        return cleaned


class StaffSearchForm(Form):
    q = forms.CharField(label="姓名或证件号码", required=False, max_length=50)


class FilingQueueFilterForm(Form):
    year = forms.IntegerField(label="年度", required=False, min_value=2000, max_value=2100)
    name = forms.CharField(label="培训名称/单位", required=False, max_length=100)
    status = forms.ChoiceField(label="审核状态", required=False, choices=[("pending", "待审核"), ("done", "已审核")])


LEDGER_SPAN_MAX = 20


class StaffLedgerFilterForm(Form):
    """本单位人员学时情况's filter: a year (起始年度 alone) or a span, the unit (department
    administrators: only the units of their subtree are choices, so another id is refused), the
    name or ID number. (The tab is the page's `status`, ledger_views.filters_of.)"""

    start_year = forms.IntegerField(label="起始年度", required=False, min_value=1990, max_value=2100, help_text="默认为本年度")
    end_year = forms.IntegerField(label="终止年度", required=False, min_value=1990, max_value=2100, help_text="只查一个年度时留空")
    unit = forms.TypedChoiceField(label="单位", required=False, coerce=int, empty_value=None)
    name = forms.CharField(label="姓名", required=False, max_length=50)
    id_number = IdNumberField(label="证件号码", required=False)

    def __init__(self, *args, units=None, **kwargs):
        super().__init__(*args, **kwargs)
        if units is None:
            del self.fields["unit"]
        else:
            self.fields["unit"].choices = [("", "全部单位")] + [(unit.pk, unit.name) for unit in units]

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start_year"), cleaned.get("end_year")
        if end and not start:
            cleaned["start_year"] = start = end
        if not out_of_order(self, cleaned, "start_year", "end_year", "终止年度不能早于起始年度。") and start and end and end - start >= LEDGER_SPAN_MAX:
            self.add_error("end_year", f"起止年度最多{LEDGER_SPAN_MAX}年。")
        return cleaned


class StaffRemindForm(Form):
    """催报 from the ledger: the ticked people (picked) or everyone the ledger's filter finds
    (filtered, after a confirmation page that names how many: `count` and `fingerprint` say which)."""

    ids = IdListField(required=False, error_messages={"invalid_id": "所选人员的编号无效，请刷新页面后重新勾选。"})
    scope = forms.ChoiceField(choices=[("picked", "所选人员"), ("filtered", "全部筛选结果")], required=False)
    filters = forms.CharField(required=False, max_length=2000)  # the ledger's query string
    confirmed = forms.BooleanField(required=False)
    count = forms.IntegerField(required=False, min_value=0)
    fingerprint = forms.CharField(required=False, max_length=64)

    def clean(self):
        cleaned = super().clean()
        cleaned["scope"] = cleaned.get("scope") or "picked"
        if cleaned["scope"] == "picked" and not cleaned.get("ids") and "ids" not in self.errors:
            self.add_error("ids", "请先勾选要催报的人员。")
        return cleaned
