"""Masking of personal numbers in pages and logs: 3713**********5714, 188****8888."""


def mask_id_number(value):
    value = value or ""
    if len(value) <= 8:  # too short to keep both ends and hide anything between them
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def mask_phone(value):
    value = value or ""
    digits = value.replace("-", "")
    if len(digits) == 11 and digits.startswith("1"):
        return digits[:3] + "****" + digits[-4:]
    if len(value) <= 4:
        return "*" * len(value)
    return "*" * (len(value) - 4) + value[-4:]


def mask_name(value):
    """宋庆涛 → 宋*涛, 张三 → 张*: as the provincial portal shows names."""
    value = value or ""
    if len(value) <= 1:
        return value
    if len(value) == 2:
        return value[0] + "*"
    return value[0] + "*" * (len(value) - 2) + value[-1]


def mask_email(value):
    """zhangsan@example.cn → z***@example.cn"""
    local, _, domain = (value or "").partition("@")
    return f"{local[:1]}***@{domain}" if domain else mask_phone(value)
