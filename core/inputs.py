"""One input policy for everything people type or send: form fields, query strings, imported rows
and JSON bodies all pass through these functions, so a value is normalised and bounded once, at
the edge, and refused with a Chinese message when it cannot be stored as it is.

- Text is NFKC-normalised, so full-width digits and letters (１２３ＡＢＣ) become ordinary ones and
  match what is stored; the full-width punctuation of Chinese input methods (，：；（）…) is kept
  as typed. Invisible marks pasted from Word or web pages (zero-width spaces, the byte-order mark,
  soft hyphens) are dropped; in one-line fields tabs and line breaks become spaces.
  Control characters, bidirectional overrides, lone surrogates and the replacement character
  U+FFFD (what a wrongly encoded file or address leaves behind) are refused.
- Numbers, ids and dates are bounded so that no value reaches the database or date arithmetic
  out of range.
"""
import json
import unicodedata
from datetime import date

from django.core.exceptions import ValidationError
from django.utils.encoding import iri_to_uri
from django.utils.http import url_has_allowed_host_and_scheme

# Chinese input methods type these full-width; NFKC would turn them into ASCII punctuation.
KEEP_FULL_WIDTH = frozenset("，：；！？（）～…")
# Invisible characters that arrive with pasted text and mean nothing: dropped without a word.
INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e"))
WHITESPACE = "\t\n\r\v\f\u2028\u2029\x85\x1c\x1d\x1e\x1f"
ONE_LINE = dict.fromkeys(map(ord, WHITESPACE), " ")
MULTILINE = {**ONE_LINE, ord("\n"): "\n", ord("\r"): None, ord("\u2028"): "\n", ord("\u2029"): "\n"}

# Bounds for what people may type where the field itself sets none.
INT_MAX = 2**31 - 1
DECIMAL_MAX_DIGITS = 12
DATE_MIN = date(1900, 1, 1)
DATE_MAX = date(2100, 12, 31)
ID_MAX = 2**63 - 1  # a BIGINT primary key
ID_DIGITS = len(str(ID_MAX))
TEXT_MAX = 200
MULTILINE_MAX = 2000
JSON_MAX_DEPTH = 20

CONTROL_MESSAGE = "含有不可见的控制字符，请删除后重新输入（可先粘贴到记事本再复制）。"
GARBLED_MESSAGE = "含有无法识别的字符（可能是乱码），请检查后重新输入。"
DATE_MESSAGE = f"日期应在{DATE_MIN.year}年至{DATE_MAX.year}年之间。"

def _refused(ch):
    """Why one character (after normalisation) cannot be stored, or None."""
    category = unicodedata.category(ch)
    # Cs: the surrogates U+D800–U+DFFF; U+xxFFFE and U+xxFFFF are noncharacters.
    if ch == "\ufffd" or category == "Cs" or (ord(ch) & 0xFFFE) == 0xFFFE:
        return GARBLED_MESSAGE
    if category in ("Cc", "Cf"):
        return CONTROL_MESSAGE
    return None


def _nfkc(text):
    if text.isascii():
        return text
    if not any(ch in KEEP_FULL_WIDTH for ch in text):
        return unicodedata.normalize("NFKC", text)
    # Normalise the runs between the kept punctuation, so （ and ， survive.
    return "".join(ch if ch in KEEP_FULL_WIDTH else unicodedata.normalize("NFKC", ch) for ch in _runs(text))


def _runs(text):
    run = []
    for ch in text:
        if ch in KEEP_FULL_WIDTH:
            if run:
                yield "".join(run)
                run = []
            yield ch
        else:
            run.append(ch)
    if run:
        yield "".join(run)


def normalise_text(value, *, multiline=False):
    """The text as it is stored and compared: NFKC (Chinese punctuation kept), invisible marks
    dropped, whitespace controls made spaces (newlines kept in multi-line text), ends stripped.
    Raises ValidationError (code "control" or "garbled") for what cannot be stored."""
    if value is None:
        return ""
    text = str(value)
    if not text.isascii() or any(ch < " " or ch == "\x7f" for ch in text):
        text = text.translate(INVISIBLE).translate(MULTILINE if multiline else ONE_LINE)
        # Lone surrogates cannot be normalised: look for them before NFKC.
        for ch in text:
            if "\ud800" <= ch <= "\udfff":
                raise ValidationError(GARBLED_MESSAGE, code="garbled")
        text = _nfkc(text)
        for ch in text:
            if ch == "\n" and multiline:
                continue
            reason = _refused(ch)
            if reason:
                raise ValidationError(reason, code="garbled" if reason == GARBLED_MESSAGE else "control")
    return _trimmed(text, multiline)


def _trimmed(text, multiline):
    if multiline:
        return "\n".join(line.rstrip() for line in text.strip().split("\n"))
    return text.strip()


def safe_text(value, *, multiline=False):
    """normalise_text for text that is already stored or comes from a file whose every row cannot
    be refused one by one (exports, logs): what would be refused is dropped instead."""
    try:
        return normalise_text(value, multiline=multiline)
    except ValidationError:
        text = str(value).translate(INVISIBLE).translate(MULTILINE if multiline else ONE_LINE)
        text = "".join(ch for ch in text if not ("\ud800" <= ch <= "\udfff"))
        text = "".join(ch for ch in _nfkc(text) if (ch == "\n" and multiline) or not _refused(ch))
        return _trimmed(text, multiline)


def parse_id(value):
    """A database id from text (URL, query string, form): decimal digits (full-width ones too), at
    most 19 of them and within a BIGINT; None for anything else (², -1, 1e3, 99999999999999999999)."""
    text = str(value if value is not None else "").strip()
    # isdecimal(), not isdigit(): "²" is a digit that int() refuses.
    if not text or len(text) > ID_DIGITS or not text.isdecimal():
        return None
    number = int(text)
    return number if 0 < number <= ID_MAX else None


def parse_ids(values):
    """The valid ids among several values, in order, without repeats; and whether any was invalid."""
    ids, bad = [], False
    for value in values:
        number = parse_id(value)
        if number is None:
            bad = True
        elif number not in ids:
            ids.append(number)
    return ids, bad


class JSONBodyError(ValueError):
    """A JSON body the portal will not read, with the reason in Chinese and English."""


JSON_TOO_DEEP = f"JSON 嵌套过深（最多{JSON_MAX_DEPTH}层）。The JSON is nested too deeply."


def _check_json(value, depth=0):
    if isinstance(value, (list, dict)):
        depth += 1
        if depth > JSON_MAX_DEPTH:
            raise JSONBodyError(JSON_TOO_DEEP)
    if isinstance(value, str):
        for ch in value:
            if "\ud800" <= ch <= "\udfff":
                raise JSONBodyError("JSON 中含有无效的 Unicode 字符（单独的代理项）。The JSON contains a lone surrogate.")
    elif isinstance(value, list):
        for entry in value:
            _check_json(entry, depth)
    elif isinstance(value, dict):
        for key, entry in value.items():
            _check_json(key, depth)
            _check_json(entry, depth)


def load_json(body):
    """A request body parsed as JSON, refusing what Python's parser takes but nothing should:
    nesting deeper than JSON_MAX_DEPTH (the parser itself gives up with a RecursionError near a
    thousand), lone surrogates (which cannot be encoded again), NaN and Infinity. Raises
    JSONBodyError; UnicodeDecodeError and ValueError for what is not JSON at all."""
    text = body.decode("utf-8") if isinstance(body, bytes) else body

    def no_constants(name):
        raise JSONBodyError(f"JSON 中不能含有 {name}。The JSON must not contain {name}.")

    try:
        value = json.loads(text, parse_constant=no_constants)
    except RecursionError:
        raise JSONBodyError(JSON_TOO_DEEP) from None
    _check_json(value)
    return value


def redirect_target(request, url, default):
    """Where to send the browser after a form: `url` (a `next` or `back` field) only if it is a
    page of this site and a valid header value (no line breaks or control characters, which
    Django's host check lets through and the Location header then refuses), else `default`."""
    url = url or ""
    # A path of this site ("/…"): anything else ("0", "edit") would be taken for a view name by redirect().
    local = url.startswith("/") or url.startswith(("http://", "https://"))
    if local and url.isprintable() and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return iri_to_uri(url)
    return default
