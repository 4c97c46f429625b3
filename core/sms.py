"""Short messages to mobile phones: one small interface, `send(phone, text)`, and the backend that
settings.SMS_BACKEND names (a dotted path to a class with `send(phone, text)`).

Sending is best effort: a backend logs a failure and returns False, never raises, because callers
send after their transaction committed (workflow.runner.notify) and a gateway that is down must not
fail a decision. Numbers in the log are masked."""
import json
import logging
import re
import urllib.error
import urllib.parse
import urllib.request

from django.conf import settings
from django.utils.module_loading import import_string

from core.masking import mask_phone

logger = logging.getLogger(__name__)

_MOBILE = re.compile(r"1[3-9]\d{9}")


def is_mobile(phone):
    """Whether `phone` (as stored: digits, maybe dashes) is a mainland mobile number: a fixed line
    (0731-84567890) cannot take a short message."""
    return bool(_MOBILE.fullmatch(_digits(phone)))


def _digits(phone):
    return (phone or "").replace("-", "").replace(" ", "")


class ConsoleBackend:
    """The demo's and the development machine's: the message goes to the log, nowhere else."""

    def send(self, phone, text):
        logger.info("短信（控制台，未发出）→ %s：【%s】%s", mask_phone(phone), settings.SMS_SIGNATURE, text)
        return True


class YunpianBackend:
    """云片 (Yunpian) v2 单条发送: POST form-encoded apikey, mobile, text to single_send.json; the text
    begins with the account's registered signature 【签名】; the JSON answer's code 0 means sent."""

    def __init__(self, *, url=None, apikey=None, signature=None, timeout=None):
        self.url = url or settings.SMS_YUNPIAN_URL
        self.apikey = apikey if apikey is not None else settings.SMS_YUNPIAN_APIKEY
        self.signature = signature or settings.SMS_SIGNATURE
        self.timeout = timeout or settings.SMS_TIMEOUT_SECONDS

    def send(self, phone, text):
        signed = f"【{self.signature}】{text}"
        data = urllib.parse.urlencode({"apikey": self.apikey, "mobile": phone, "text": signed}).encode("utf-8")
        request = urllib.request.Request(
            self.url, data=data, method="POST",
            headers={
                "Content-Type": "application/x-www-form-urlencoded;charset=utf-8",
                "Accept": "application/json;charset=utf-8",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                answer = json.loads(response.read().decode("utf-8"))
        except urllib.error.HTTPError as error:  # the gateway answers refusals with 400 and a JSON body
            answer = _json_or_empty(error)
        except (OSError, ValueError) as error:  # unreachable, timed out, or not JSON
            logger.warning("短信发送失败 → %s：%s", mask_phone(phone), error)
            return False
        if not isinstance(answer, dict):
            answer = {"msg": f"应答不是 JSON 对象：{str(answer)[:100]}"}
        if answer.get("code") == 0:
            return True
        logger.warning(
            "短信网关拒绝 → %s：code=%s %s %s", mask_phone(phone), answer.get("code"), answer.get("msg", ""),
            answer.get("detail", ""),
        )
        return False


def _json_or_empty(error):
    try:
        return json.loads(error.read().decode("utf-8"))
    except (OSError, ValueError):
        return {"code": error.code, "msg": error.reason}


def get_backend():
    return import_string(settings.SMS_BACKEND)()


def send(phone, text):
    """Send `text` to `phone`: True when the backend says it went. Never raises: a misnamed backend
    or a reply cut short is logged like a refusal."""
    try:
        return get_backend().send(_digits(phone), text)
    except Exception as error:  # noqa: BLE001 - best effort, see the module's note
        logger.warning("短信发送失败 → %s：%s", mask_phone(phone), error)
        return False
