"""Validators for the identity numbers the portal takes: checks delegated to python-stdnum
(GB 11643-1999 for ID numbers, GB 32100-2015 for credit codes) and phonenumbers, messages in Chinese."""
import re

import phonenumbers
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.utils import timezone
from stdnum import exceptions as stdnum_errors
from stdnum.cn import ric, uscc

from core.inputs import normalise_text, safe_text

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
    """An 证件号码 as it is stored and compared: NFKC (the full-width １２３…Ｘ of Chinese input
    methods become 123…X), spaces removed, the check character upper-cased. Never raises, so that
    look-ups and filters can use it: what normalise_text refuses (control characters) is dropped
    here, and refused by validate_id_number wherever a number is stored."""
    return "".join(safe_text(value).split()).upper()


_ID_NUMBER_SHAPE = re.compile(r"[0-9]{17}[0-9X]")

# The birth date in a number must be a working professional's: 16 is the legal working age, and
# no one declaring continuing-education hours is 100. Outside the window the number was mistyped
# (2030 for 2003, a wrong century); python-stdnum checks only that the date exists.
ID_NUMBER_MIN_AGE = 16
ID_NUMBER_MAX_AGE = 100


def is_id_number(value):
    """Whether a login has the shape of an 证件号码 (as normalize_login stores it)."""
    return bool(_ID_NUMBER_SHAPE.fullmatch(value or ""))


def normalize_login(value):
    """What a person typed to sign in: an 证件号码 normalised as stored (so "…109x", "…109X" and
    the full-width "…１０９Ｘ" are one account, also for the lock-out count), a username as typed."""
    value = (value or "").strip()
    number = normalize_id_number(value)
    return number if _ID_NUMBER_SHAPE.fullmatch(number) else value


def _age_on(today, born):
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def _birth_date_problem(number, today=None):
    born = ric.get_birth_date(number)
    today = today or timezone.localdate()
    shown = f"证件号码中的出生日期（{born.year}年{born.month}月{born.day}日）"
    if born > today:
        return f"{shown}晚于今天，请核对后重新输入。"
    age = _age_on(today, born)
    if age < ID_NUMBER_MIN_AGE:
        return f"{shown}表明年龄不满{ID_NUMBER_MIN_AGE}周岁，请核对后重新输入。"
    if age >= ID_NUMBER_MAX_AGE:
        return f"{shown}表明年龄已满{ID_NUMBER_MAX_AGE}周岁，请核对后重新输入。"
    return None


def validate_id_number(value):
    """A mainland resident ID number (居民身份证号码) with a correct check character and the birth
    date of someone of working age; control characters are refused with normalise_text's message."""
    normalise_text(value)
    number = normalize_id_number(value)
    _, message = _stdnum_message(ric, number, ID_NUMBER_MESSAGES, "证件号码无效。")
    if message is None:
        message = _birth_date_problem(number)
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
