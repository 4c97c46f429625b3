"""新建接口密钥: the training bases, 报送辖区 and sources a user may choose (workflow.jurisdiction)."""
from django import forms
from django.core.exceptions import ValidationError

from accounts.models import Organisation, OrganisationKind, Role
from accounts.roles import is_sysadmin
from core.forms import Form
from hours import rules
from hours.policies import default_rule_set, policy_for
from workflow import jurisdiction

from .models import KEY_SOURCES, SUBJECTS


def source_choices():
    """来源类别, each saying what its records become under the rule set now in force."""
    try:
        policy = policy_for(default_rule_set())
    except ValidationError:  # no rule set in force: the choices cannot say what they mean
        return list(KEY_SOURCES)
    choices = []
    for value, label in KEY_SOURCES:
        basis = rules.recognised_basis(policy, value)
        if basis is None:
            meaning = "记录作为普通学时条目：本人选入申报后须上传证明材料，经审核认定"
        else:
            meaning = f"按现行折算细则直接认定，本人选入申报后无需上传证明材料（{basis or '折算细则规定'}）"
        choices.append((value, f"{label}——{meaning}"))
    return choices


class KeyForm(Form):
    organisation = forms.ModelChoiceField(
        label="培训机构", queryset=Organisation.objects.none(), empty_label="请选择培训机构",
        error_messages={"required": "请选择培训机构。", "invalid_choice": "请从列表中选择培训机构。"},
    )
    name = forms.CharField(
        label="密钥名称", max_length=100, error_messages={"required": "请填写密钥名称。"},
        help_text="便于识别的用途，如“学习平台正式环境”；同一机构的有效密钥不能重名",
    )
    subjects = forms.MultipleChoiceField(
        label="可报送科目", choices=SUBJECTS, widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "请至少选择一个可报送科目。", "invalid_choice": "请从列出的科目中选择。"},
    )
    bureau = forms.ModelChoiceField(
        label="报送辖区", queryset=Organisation.objects.none(), required=False, empty_label="全省（不限辖区）",
        error_messages={"invalid_choice": "请从列表中选择报送辖区。"},
        help_text="只能报送该人社部门管辖单位人员的记录",
    )
    source = forms.ChoiceField(
        label="来源类别", widget=forms.RadioSelect, error_messages={"required": "请选择来源类别。", "invalid_choice": "请选择列出的来源类别。"},
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["organisation"].queryset = Organisation.objects.filter(jurisdiction.key_organisations_q(user)).order_by("name")
        bureau = self.fields["bureau"]
        bureau.queryset = Organisation.objects.filter(kind=OrganisationKind.BUREAU).order_by("path")
        if is_sysadmin(user):
            bureau.help_text += "；空为全省"
        else:
            # A clerk's key reports within the clerk's own bureau, which is the training base's.
            bureau.queryset = bureau.queryset.filter(pk__in=jurisdiction.key_bureaux(user))
            bureau.required, bureau.empty_label = True, None
            bureau.error_messages["required"] = "请选择报送辖区。"
            bureau.help_text = "人社部门经办人创建的密钥只能报送本部门辖区（即培训机构的经办机构）人员的记录"
        self.fields["source"].choices = source_choices()
        self.fields["source"].initial = KEY_SOURCES[1][0]

    def clean(self):
        cleaned = super().clean()
        organisation, bureau = cleaned.get("organisation"), cleaned.get("bureau")
        if organisation is not None and "bureau" in cleaned:
            issuer = jurisdiction.key_issuer(self.user, organisation)
            if issuer and issuer[0] == Role.BUREAU_CLERK and bureau != issuer[1]:
                self.add_error("bureau", f"该机构的报送辖区只能是其经办机构（{issuer[1].name}）。")
        return cleaned
