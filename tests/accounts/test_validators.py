"""The identity numbers, phone numbers and masks people see on every page: no database."""
import pytest
from django.core.exceptions import ValidationError

from core.masking import mask_email, mask_id_number, mask_name, mask_phone
from accounts.validators import (
    gender_from_id_number,
    normalize_id_number,
    normalize_phone,
    validate_id_number,
    validate_phone,
    validate_uscc,
)


def message_of(validator, value):
    with pytest.raises(ValidationError) as caught:
        validator(value)
    return caught.value.messages


# --- 证件号码 -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "430121198805041015",  # 宋庆涛, the demo applicant
        "43012119720808109X",  # check character X
        "43012119720808109x",  # typed in lower case
        " 430121198805041015 ",  # pasted with spaces around
    ],
)
def test_valid_id_numbers_pass(value):
    validate_id_number(value)


@pytest.mark.parametrize(
    "value, message",
    [
        ("430121198805041016", "证件号码校验位不正确，请核对后重新输入。"),  # last digit changed
        ("43012119720808109Y", "证件号码校验位不正确，请核对后重新输入。"),
        ("43012119880504101", "证件号码应为18位。"),
        ("4301211988050410155", "证件号码应为18位。"),
        ("", "证件号码应为18位。"),
        ("43012119880A041015", "证件号码格式不正确：前17位应为数字，最后一位为数字或X。"),
        # month 13, with a correct check digit: only the birth date is wrong
        ("430121198813041015", "证件号码中的地区码或出生日期无效。"),
        # 31 February
        ("430121198802311016", "证件号码中的地区码或出生日期无效。"),
        # no such region 990121
        ("990121198805041014", "证件号码中的地区码或出生日期无效。"),
    ],
)
def test_invalid_id_numbers_get_chinese_messages(value, message):
    assert message_of(validate_id_number, value) == [message]


def test_lower_case_x_is_normalised():
    assert normalize_id_number(" 43012119720808109x ") == "43012119720808109X"


@pytest.mark.parametrize(
    "value, gender",
    [
        ("430121198805041015", "男"),  # 17th digit 1
        ("43012119720808109X", "男"),  # 9
        ("430121199002171064", "女"),  # 6
        ("43012119960404138X", "女"),  # 8
        ("43012119960404138x", "女"),
    ],
)
def test_gender_comes_from_the_17th_digit(value, gender):
    assert gender_from_id_number(value) == gender


# --- 统一社会信用代码 ---------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["12430000MB1K850654", "91430100MA4L12345A", "124300004448915450", "12430000mb1k850654"])
def test_valid_credit_codes_pass(value):
    validate_uscc(value)


@pytest.mark.parametrize(
    "value, message",
    [
        ("12430000MB1K850655", "统一社会信用代码校验位不正确，请核对后重新输入。"),
        ("91430100MA4L12345B", "统一社会信用代码校验位不正确，请核对后重新输入。"),
        ("12430000MB1K85065", "统一社会信用代码应为18位。"),
        ("12430000MB1K8506544", "统一社会信用代码应为18位。"),
        # I, O, Z, S and V are never used, so they cannot be confused with 1, 0, 2, 5 and U
        ("12430000MB1I850654", "统一社会信用代码格式不正确（数字或大写字母，不含I、O、Z、S、V）。"),
        ("12430000MB1O850654", "统一社会信用代码格式不正确（数字或大写字母，不含I、O、Z、S、V）。"),
        ("12430000MB1Z850654", "统一社会信用代码格式不正确（数字或大写字母，不含I、O、Z、S、V）。"),
        ("12430000MB1S850654", "统一社会信用代码格式不正确（数字或大写字母，不含I、O、Z、S、V）。"),
        ("12430000MB1V850654", "统一社会信用代码格式不正确（数字或大写字母，不含I、O、Z、S、V）。"),
        ("1243000!MB1K850654", "统一社会信用代码格式不正确（数字或大写字母，不含I、O、Z、S、V）。"),
    ],
)
def test_invalid_credit_codes_get_chinese_messages(value, message):
    assert message_of(validate_uscc, value) == [message]


# --- 联系电话 -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "18899098765",  # mobile
        "188 9909 8765",
        "0731-84567890",  # fixed line, Changsha area code
        "073184567890",
        "010-62345678",  # Beijing
    ],
)
def test_valid_phone_numbers_pass(value):
    validate_phone(value)


@pytest.mark.parametrize(
    "value",
    [
        "1889909876",  # 10 digits
        "188990987651",  # 12 digits
        "84567890",  # fixed line without area code
        "12345678901",  # no such mobile prefix
        "电话号码",
        "abc",
        "",
    ],
)
def test_invalid_phone_numbers_get_chinese_message(value):
    assert message_of(validate_phone, value) == ["联系电话格式不正确，请输入11位手机号码或带区号的固定电话。"]


def test_phone_numbers_are_kept_as_digits_and_hyphens():
    assert normalize_phone(" 188 9909 8765 ") == "18899098765"
    assert normalize_phone("(0731)-84567890-") == "0731-84567890"


# --- masking ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, masked",
    [
        ("371321199001015714", "3713**********5714"),
        ("43012119720808109X", "4301**********109X"),
        ("430121880504101", "4301*******4101"),  # an old 15-digit number
        ("", ""),
        (None, ""),
        ("1234567", "*******"),
        ("12345678", "********"),  # keeping four at each end would show it whole
        ("123456789", "1234*6789"),
    ],
)
def test_id_numbers_are_masked_in_the_middle(value, masked):
    assert mask_id_number(value) == masked


@pytest.mark.parametrize(
    "value, masked",
    [
        ("18888888888", "188****8888"),
        ("18899098765", "188****8765"),
        ("0731-84567890", "*********7890"),
        ("188-9909-8765", "188****8765"),
        ("84567890", "****7890"),
        ("12345", "*2345"),
        ("1234", "****"),
        ("", ""),
        (None, ""),
    ],
)
def test_phone_numbers_are_masked(value, masked):
    assert mask_phone(value) == masked


@pytest.mark.parametrize(
    "value, masked",
    [("宋庆涛", "宋*涛"), ("张三", "张*"), ("欧阳娜娜", "欧**娜"), ("李", "李"), ("", ""), (None, "")],
)
def test_names_are_masked_as_the_provincial_portal_does(value, masked):
    assert mask_name(value) == masked


@pytest.mark.parametrize(
    "value, masked",
    [("zhangsan@example.cn", "z***@example.cn"), ("18899098765", "188****8765"), ("abc", "***"), ("", ""), (None, "")],
)
def test_email_addresses_keep_their_first_letter_and_domain(value, masked):
    assert mask_email(value) == masked


def test_region_code_that_trips_stdnum_is_a_message_not_a_crash():
    # 430106 makes python-stdnum 2.2 raise KeyError inside its birthplace lookup.
    with pytest.raises(ValidationError) as caught:
        validate_id_number("430106198001010017")
    assert caught.value.messages == ["证件号码中的地区码或出生日期无效。"]
