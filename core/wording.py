"""Sentences put together from parts: a reason typed by a reviewer, a refusal's messages. Each part
may already end with its own full stop; these add one only where it is missing, so a page never
reads “。。” or “。；”."""
from decimal import Decimal

FULL_STOPS = "。！？!?…"
SOFT_ENDS = "，；、：,;:"


def sentence(text):
    """`text` as one sentence: ending with exactly one full stop (“。” added only when missing; a
    trailing comma or semicolon becomes it)."""
    text = str(text).rstrip()
    while text and text[-1] in SOFT_ENDS:
        text = text[:-1].rstrip()
    if not text:
        return ""
    return text if text[-1] in FULL_STOPS else text + "。"


def clause(text):
    """`text` without its closing punctuation, to be followed by “；” or “，”."""
    text = str(text).rstrip()
    while text and text[-1] in FULL_STOPS + SOFT_ENDS and text[-1] not in "!?！？…":
        text = text[:-1].rstrip()
    return text


def joined(messages):
    """Several messages as one: “甲；乙。” rather than “甲。；乙。”; a single message as it is."""
    given = [str(m).strip() for m in messages if str(m).strip()]
    if len(given) == 1:
        return given[0]
    parts = [p for p in (clause(m) for m in given) if p]
    return sentence("；".join(parts)) if parts else ""


def hours(value):
    """An amount of hours as people write it: 16, 7.5 (never 16.0 or 1.6E+1)."""
    return f"{Decimal(value).normalize():f}"
