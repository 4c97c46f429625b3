from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import password_validation

from core.forms import AuthenticationFormBase, Form, ModelForm, policed_form

from . import signin_pace
from .models import ETHNIC_GROUPS, Education, User
from .selectors import organisation_find
from .services import ALREADY_REGISTERED
from .validators import normalize_id_number, normalize_login, normalize_phone, validate_id_number, validate_phone


NEW_PASSWORD_HELP = "至少8位，不能全为数字，不能与证件号码或姓名过于相似。"


def six_digits(value, message):
    """A 6-digit code as typed (spaces between groups allowed), or the refusal `message`."""
    value = value.replace(" ", "")
    if not (len(value) == 6 and value.isdigit()):
        raise forms.ValidationError(message)
    return value


class IdNumberField(forms.CharField):
    """An 证件号码 as people type it — full-width １２３…Ｘ, spaces, a lower-case x — normalised as
    stored before anything else checks it. (The input policy of core/forms.py has already
    normalised the text and refused control characters; the spaces and the x are this field's.)"""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 18)
        super().__init__(**kwargs)

    def to_python(self, value):
        return normalize_id_number(super().to_python(value))


class PacedSignIn:
    """Mixin for a sign-in form: an address that failed too often waits its turn before any
    password is checked (accounts/signin_pace.py); the wait counts for neither lock-out."""

    def clean(self):
        if self.request is not None and (wait := signin_pace.wait_before_trying(self.request)):
            raise forms.ValidationError(signin_pace.too_fast_message(wait), code="too_fast")
        return super().clean()


class LoginForm(PacedSignIn, AuthenticationFormBase):
    username = forms.CharField(label="证件号码或用户名", max_length=150, widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}))
    password = forms.CharField(label="密码", strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))

    error_messages = {
        "invalid_login": "证件号码（用户名）或密码不正确，请重新输入。",
        "inactive": "该账号已停用，请联系系统管理员。",
    }

    def clean_username(self):
        # Before authenticate(): the lock-out then counts "…109x" and "…109X" as one login.
        return normalize_login(self.cleaned_data["username"])


class AdminLoginForm(PacedSignIn, policed_form(AdminAuthenticationForm)):
    """/admin/login/: paced per address as the portal's login is."""


class OTPTokenForm(Form):
    token = forms.CharField(
        label="动态口令",
        max_length=12,
        help_text="打开手机上的身份验证器，输入“学时核认”当前显示的6位数字。",
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "one-time-code", "inputmode": "numeric", "pattern": "[0-9 ]*"}),
    )

    def clean_token(self):
        return six_digits(self.cleaned_data["token"], "请输入6位数字的动态口令。")


class UnitPickerField(forms.CharField):
    """Takes a unit's exact name or credit code (the page offers suggestions as you type)."""

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        organisation = organisation_find(text=value)
        if organisation is None:
            raise forms.ValidationError("未找到该单位，请输入完整的单位名称或统一社会信用代码，或从提示中选择。")
        return organisation


class RegistrationForm(Form):
    id_number = IdNumberField(label="证件号码", validators=[validate_id_number])
    name = forms.CharField(label="姓名", max_length=50)
    phone = forms.CharField(label="联系电话", max_length=20, validators=[validate_phone])
    ethnicity = forms.ChoiceField(label="民族", choices=[(e, e) for e in ETHNIC_GROUPS], initial="汉族")
    education = forms.ChoiceField(label="最高学历", choices=[("", "请选择")] + Education.choices)
    organisation = UnitPickerField(label="单位名称", max_length=100, widget=forms.TextInput(attrs={"list": "unit-suggestions", "data-unit-picker": "1", "autocomplete": "off"}))
    password1 = forms.CharField(label="密码", strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}), help_text=NEW_PASSWORD_HELP)
    password2 = forms.CharField(label="确认密码", strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def clean_id_number(self):
        id_number = self.cleaned_data["id_number"]
        if User.objects.filter(id_number=id_number).exists():
            raise forms.ValidationError(ALREADY_REGISTERED)
        return id_number

    def clean_name(self):
        return self.cleaned_data["name"].strip()

    def clean_phone(self):
        return normalize_phone(self.cleaned_data["phone"])

    def clean(self):
        cleaned = super().clean()
        p1, p2 = cleaned.get("password1"), cleaned.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", "两次输入的密码不一致。")
        elif p1:
            candidate = User(username=cleaned.get("id_number") or "", id_number=cleaned.get("id_number"), name=cleaned.get("name") or "")
            try:
                password_validation.validate_password(p1, candidate)
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return cleaned


class MoveRequestForm(Form):
    organisation = UnitPickerField(label="新单位名称", max_length=100, widget=forms.TextInput(attrs={"list": "unit-suggestions", "data-unit-picker": "1", "autocomplete": "off"}))


class RejectForm(Form):
    reason = forms.CharField(label="不通过原因", max_length=200, widget=forms.TextInput(attrs={"placeholder": "请说明原因"}))

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError("请填写不通过的原因。")
        return reason


class ProfileForm(ModelForm):
    class Meta:
        model = User
        fields = ["phone", "email", "ethnicity", "education"]
        labels = {"email": "电子邮箱"}

    def clean_phone(self):
        return normalize_phone(self.cleaned_data["phone"])




class NewPasswordForm(Form):
    """A new password typed twice; the password rules are checked by the service, which knows the
    account (the similarity rule compares with its 证件号码 and name)."""

    new_fields = ("password1", "password2")

    def clean(self):
        cleaned = super().clean()
        first, second = (cleaned.get(name) for name in self.new_fields)
        if first and second and first != second:
            self.add_error(self.new_fields[1], "两次输入的密码不一致。")
        return cleaned


def _new_password_field(label, **kwargs):
    return forms.CharField(label=label, strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}), **kwargs)


class PasswordForgotForm(Form):
    login = forms.CharField(
        label="证件号码或用户名", max_length=150, widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"})
    )

    def clean_login(self):
        return normalize_login(self.cleaned_data["login"])


class PasswordResetForm(NewPasswordForm):
    code = forms.CharField(
        label="验证码",
        max_length=12,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "one-time-code", "inputmode": "numeric", "pattern": "[0-9 ]*"}),
    )
    password1 = _new_password_field("新密码", help_text=NEW_PASSWORD_HELP)
    password2 = _new_password_field("确认新密码")

    def clean_code(self):
        return six_digits(self.cleaned_data["code"], "请输入6位数字的验证码。")


class PasswordChangeForm(NewPasswordForm):
    new_fields = ("new_password1", "new_password2")
    old_password = forms.CharField(
        label="原密码", strip=False, widget=forms.PasswordInput(attrs={"autofocus": True, "autocomplete": "current-password"})
    )
    new_password1 = _new_password_field("新密码", help_text=NEW_PASSWORD_HELP)
    new_password2 = _new_password_field("确认新密码")


class StaffEnrolForm(Form):
    organisation = forms.ModelChoiceField(label="导入到单位", queryset=None, empty_label=None)
    file = forms.FileField(label="人员名单", help_text="Excel（.xlsx）文件，使用“下载模板”的格式：姓名、证件号码、性别、民族、手机号码、最高学历、职称、电子邮箱")

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = units
