"""Validators for the identity numbers the portal takes: checks delegated to python-stdnum
(GB 11643-1999 for ID numbers, GB 32100-2015 for credit codes) and phonenumbers, messages in Chinese."""
import re

import phonenumbers
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from stdnum import exceptions as stdnum_errors
from stdnum.cn import ric, uscc

ID_NUMBER_MESSAGES = {
    stdnum_errors.InvalidLength: "证件号码应为18位。",
    stdnum_errors.InvalidFormat: "证件号码格式不正确：前17位应为数字，最后一位为数字或X。",
    stdnum_errors.InvalidChecksum: "证件号码校验位不正确，请核对后重新输入。",
    stdnum_errors.InvalidComponent: "证件号码中的地区码或出生日期无效。",
}

USCC_MESSAGES = {
    stdnum_errors.InvalidLength: "统一社会信用代码应为18位。",
    stdnum_errors.InvalidFormat: "统一社会信用代码格式不正确（数字或大写字母，不含I、O、Z、S、V）。",
    stdnum_errors.InvalidChecksum: "统一社会信用代码校验位不正确，请核对后重新输入。",
    stdnum_errors.InvalidComponent: "统一社会信用代码中的登记管理部门或机构类别代码无效。",
}


def _stdnum_message(module, value, messages, fallback):
    try:
        return module.validate(value), None
    except stdnum_errors.ValidationError as exc:
        return None, messages.get(type(exc), fallback)
    except KeyError:
        # python-stdnum 2.2 raises KeyError for some region codes in its birthplace table.
        return None, messages.get(stdnum_errors.InvalidComponent, fallback)


def normalize_id_number(value):
    return (value or "").strip().upper()


_ID_NUMBER_SHAPE = re.compile(r"\d{17}[\dXx]")


def normalize_login(value):
    """What a person typed to sign in: an 证件号码 with its check character upper-cased (so
    "…109x" and "…109X" are one account, also for the lock-out count), a username as typed."""
    value = (value or "").strip()
    return normalize_id_number(value) if _ID_NUMBER_SHAPE.fullmatch(value) else value


def validate_id_number(value):
    """A mainland resident ID number (居民身份证号码) with a correct check character."""
    _, message = _stdnum_message(ric, normalize_id_number(value), ID_NUMBER_MESSAGES, "证件号码无效。")
    if message:
        raise ValidationError(message, code="invalid_id_number")


def gender_from_id_number(value):
    """The 17th digit is odd for men and even for women (GB 11643-1999)."""
    return "男" if int(normalize_id_number(value)[16]) % 2 else "女"


def validate_uscc(value):
    _, message = _stdnum_message(uscc, (value or "").strip().upper(), USCC_MESSAGES, "统一社会信用代码无效。")
    if message:
        raise ValidationError(message, code="invalid_uscc")


def normalize_phone(value):
    return "".join(ch for ch in (value or "") if ch.isdigit() or ch == "-").strip("-")


def validate_phone(value):
    """A mainland mobile or fixed-line number (e.g. 18890987651 or 0731-84567890)."""
    text = normalize_phone(value)
    try:
        parsed = phonenumbers.parse(text, "CN")
    except phonenumbers.NumberParseException:
        parsed = None
    if parsed is None or parsed.country_code != 86 or not phonenumbers.is_valid_number(parsed):
        raise ValidationError("联系电话格式不正确，请输入11位手机号码或带区号的固定电话。", code="invalid_phone")


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    """Django's length check with a Chinese message: Django 5.2 changed this message's msgid and
    its zh-hans catalogue has not caught up, so the stock validator speaks English."""

    def get_error_message(self):
        return f"密码长度太短。密码必须包含至少 {self.min_length} 个字符。"
