"""Logs as operations needs them: one JSON object per line with the request id, every request
timed, and no 居民身份证 or mobile number left readable in any record.

Wired up by `logging_config()` in portal/settings/base.py; the request id itself comes from
django-log-request-id (its middleware first in MIDDLEWARE, its filter on every handler)."""
import json
import logging
import re
import time
from datetime import datetime

from django.utils.functional import SimpleLazyObject, empty

from core.masking import mask_id_number, mask_phone

# Province codes of GB/T 2260 (the first two digits of every 居民身份证号码).
_PROVINCE = r"(?:1[1-5]|2[1-3]|3[1-7]|4[1-6]|5[0-4]|6[1-5]|71|8[12])"
_MONTH_DAY = r"(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"
# 18 digits (the last may be X): any such run, so a mistyped number is masked too. An all-digit
# 统一社会信用代码 is masked as well, which costs nothing.
_ID18 = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
# The old 15-digit numbers only where they look like one (province, YYMMDD): 业务编号 are 15 digits
# too (20261201 + id) and must stay readable; no province code starts with 20.
_ID15 = re.compile(rf"(?<![0-9A-Za-z]){_PROVINCE}\d{{4}}\d{{2}}{_MONTH_DAY}\d{{3}}(?![0-9A-Za-z])")
# In a request path, anything shaped like an ID number: a platform may use the number as its record
# id, also inside a longer id (/api/v1/records/HNU430121198805041015), typed full-width or with x.
_ID_IN_PATH = re.compile(r"(?<!\d)\d{17}[\dXxＸｘ](?!\d)")
# Mainland mobile numbers, also written +86 138-1234-5678 or 138 1234 5678.
_MOBILE = re.compile(r"(?<![0-9A-Za-z])(?P<cc>(?:\+|00)?86[- ]?)?(?P<number>1[3-9]\d(?P<sep>[- ]?)\d{4}(?P=sep)\d{4})(?!\d)")


def mask_personal_numbers(text):
    """`text` with every ID number shown as 4301**********1015 and every mobile as 138****5678."""
    if not text or not any(ch.isdigit() for ch in text):
        return text
    text = _ID18.sub(lambda m: mask_id_number(m.group()), text)
    text = _ID15.sub(lambda m: mask_id_number(m.group()), text)
    return _MOBILE.sub(lambda m: (m.group("cc") or "") + mask_phone(re.sub(r"[- ]", "", m.group("number"))), text)


def mask_path(path):
    """A request path as logged: every ID-shaped run masked, wherever it sits (the old 15-digit
    numbers too)."""
    path = _ID_IN_PATH.sub(lambda m: mask_id_number(m.group()), path)
    return _ID15.sub(lambda m: mask_id_number(m.group()), path)


def _escaped(text):
    return text.encode("unicode_escape").decode("ascii")


class MaskPersonalNumbers(logging.Filter):
    """Masks ID and mobile numbers in the message, its arguments, the traceback and the stack.

    The message is formatted here, once, so arguments of any type (a user, a dict, an exception)
    are masked as they would be printed; the traceback is formatted and masked too and the live
    exc_info dropped, so no handler can print the unmasked original. Masking twice changes nothing,
    so the filter sits on every handler, not on the root logger: a logger's filters do not see the
    records that propagate up from child loggers."""

    _formatter = logging.Formatter()

    def filter(self, record):
        message = record.getMessage()
        # django.request's "Not Found: <path>" names the path (non-ASCII as \uXXXX escapes), masked
        # as the request log masks it.
        path = getattr(getattr(record, "request", None), "path", None)
        masked = mask_path(path) if isinstance(path, str) else path
        if masked != path:
            message = message.replace(path, masked).replace(_escaped(path), _escaped(masked))
        record.msg = mask_personal_numbers(message)
        record.args = None
        if record.exc_info:
            record.exc_text = record.exc_text or self._formatter.formatException(record.exc_info)
            record.exc_info = None
        if record.exc_text:
            record.exc_text = mask_personal_numbers(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_personal_numbers(record.stack_info)
        if isinstance(getattr(record, "path", None), str):
            record.path = mask_personal_numbers(record.path)
        return True


class ClientErrorsInOneLine(logging.Filter):
    """A 403 or 404 is the visitor's doing, not a fault: Django logs it with the exception that
    made it, which would print a traceback per mistyped address. Keep the one line; a 5xx keeps
    its traceback (logged once, by django.request)."""

    def filter(self, record):
        status = getattr(record, "status_code", None)
        if isinstance(status, int) and status < 500:
            record.exc_info = None
            record.exc_text = None
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (local, with its offset), level, logger, message, request_id,
    and for the request log user_id, client (the API key's prefix), method, path, status,
    duration_ms; a traceback as `exception`."""

    REQUEST_FIELDS = ("user_id", "client", "method", "path", "status", "duration_ms")

    def format(self, record):
        entry = {
            "time": datetime.fromtimestamp(record.created).astimezone().isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
        }
        for name in self.REQUEST_FIELDS:
            if hasattr(record, name):
                entry[name] = getattr(record, name)
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = record.stack_info
        return json.dumps(entry, ensure_ascii=False, default=str)


request_logger = logging.getLogger("core.request")


class RequestLogMiddleware:
    """One line per request: method, path (no query string: it may carry names and numbers; ID
    numbers in the path masked), status, time taken, the signed-in user's id and, for the API, the
    calling key's prefix (set by api.endpoints.KeyAuth), so that every call is attributable. Never
    a header or the body. Placed right after the request-id middleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        duration_ms = round((time.perf_counter() - started) * 1000, 1)
        path = mask_path(request.path)
        client = getattr(request, "api_client", None)
        request_logger.info(
            "%s %s %s%s", request.method, path, response.status_code, f" client={client}" if client else "",
            extra={"method": request.method, "path": path, "status": response.status_code,
                   "duration_ms": duration_ms, "user_id": _user_id(request), "client": client},
        )
        return response


def _user_id(request):
    """The user's id if the view already looked the user up: logging must not cost a session and
    a user query on pages that never needed them (the public verification pages, /healthz)."""
    user = getattr(request, "user", None)
    if user is None or (isinstance(user, SimpleLazyObject) and user._wrapped is empty):
        return None
    return user.pk if user.is_authenticated else None
