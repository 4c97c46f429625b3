"""What the generated-input tests need to act as people do: the forms a page really shows (read from
its HTML, so a new form is found without anyone listing it), a submission filled in as a person
would fill it, and a fingerprint of the database and the stored files to tell what a request changed."""
import hashlib
from dataclasses import dataclass, field
from datetime import date
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qsl, urljoin, urlsplit

from django.apps import apps
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import Resolver404, resolve

from tests.helpers import DEMO_PASSWORD, PROJECT_APPS, make_id_number



@dataclass
class Control:
    name: str
    kind: str  # text, textarea, select, radio, checkbox, hidden, file, submit, password, number, date, email, tel…
    value: str = ""
    options: list = field(default_factory=list)  # a select's or radio group's values
    chosen: list = field(default_factory=list)  # selected options, or checked boxes' values
    multiple: bool = False
    required: bool = False
    accept: str = ""


@dataclass
class Form:
    page: str  # the URL the form was read from
    action: str  # the path it is sent to
    query: str  # the action's own query string
    method: str
    controls: dict = field(default_factory=dict)  # name → Control (radio groups merged)
    buttons: list = field(default_factory=list)  # (name, value) of named submit buttons

    @property
    def url_name(self):
        try:
            return resolve(self.action).view_name
        except Resolver404:
            return None

    @property
    def has_files(self):
        return any(c.kind == "file" for c in self.controls.values())

    def signature(self):
        return (self.method, self.url_name, tuple(sorted((n, c.kind) for n, c in self.controls.items())))


class _FormParser(HTMLParser):
    def __init__(self, page):
        super().__init__(convert_charrefs=True)
        self.page = page
        self.forms = []
        self.current = None
        self.select = None
        self.textarea = None

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "form":
            target = urljoin(self.page, a.get("action") or self.page)
            parts = urlsplit(target)
            self.current = Form(self.page, parts.path, parts.query, (a.get("method") or "get").lower())
            self.forms.append(self.current)
            return
        form = self.current
        if form is None:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = (a.get("type") or "text").lower()
            if kind in ("submit", "image", "button"):
                if kind != "button":
                    form.buttons.append((name, a.get("value", "")))
                return
            if "disabled" in a:
                return
            control = form.controls.get(name)
            if kind in ("radio", "checkbox"):
                if control is None:
                    control = form.controls[name] = Control(name, kind, multiple=kind == "checkbox", required="required" in a)
                control.options.append(a.get("value", "on"))
                if "checked" in a:
                    control.chosen.append(a.get("value", "on"))
            else:
                form.controls[name] = Control(name, kind, a.get("value", ""), required="required" in a, accept=a.get("accept", ""))
        elif tag == "button" and name and (a.get("type") or "submit").lower() == "submit":
            form.buttons.append((name, a.get("value", "")))
        elif tag == "select" and name and "disabled" not in a:
            self.select = form.controls[name] = Control(name, "select", multiple="multiple" in a, required="required" in a)
        elif tag == "option" and self.select is not None:
            value = a.get("value")
            self.select.options.append(value if value is not None else "")
            if "selected" in a:
                self.select.chosen.append(value or "")
        elif tag == "textarea" and name and "disabled" not in a:
            self.textarea = form.controls[name] = Control(name, "textarea", required="required" in a)

    def handle_data(self, data):
        if self.textarea is not None:
            self.textarea.value += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.current = None
        elif tag == "select":
            self.select = None
        elif tag == "textarea":
            self.textarea = None


def forms_of(response, url):
    """The forms of an HTML response, each with its resolved action."""
    if not response.get("Content-Type", "").startswith("text/html"):
        return []
    parser = _FormParser(url)
    parser.feed(response.content.decode("utf-8", "replace"))
    return parser.forms


# --- filling a form in as a person would ------------------------------------------------------------

# What a person types into a field of that name when the page leaves it empty.
BY_NAME = {
    "name": "测试人员", "title": "测试培训项目", "specialty": "地质勘查", "remark": "无", "reason": "材料不完整，请补充",
    "opinion": "同意", "q": "宋", "applicant": "宋庆涛", "handler": "未受理", "number": "XS2024-0000-0000-0000",
    "phone": "18899098765", "email": "test@example.cn", "username": "430121198805041015", "token": "123456",
    "id_number": "430121198805041015", "business_no": "", "organisation": "湖南省地质研究所", "move-organisation": "湖南省地质研究所",
    "hours": "8", "days": "1", "half_days": "0", "author_rank": "1", "rank": "1", "grade": "1", "modules": "1",
    "courses": "1", "subjects": "1", "months": "6", "months_away": "0", "supervision_days": "5", "cover_from": "2019",
    "cover_to": "2019",
}


def _year():
    return str(date.today().year - 1)


def sample_upload(control):
    """A valid file for a file input: a spreadsheet where one is asked for, else a PDF."""
    from tests.hours.fixtures_views import pdf_bytes

    if "xlsx" in control.accept or "csv" in control.accept or control.name == "file" and not control.accept:
        body = "证件号码,姓名,年度,培训名称,科目,学时,证书编号,学时\r\n430121198805041015,宋庆涛,2023,测试培训,公需科目,8,PX1,8\r\n"
        return SimpleUploadedFile("名单.csv", body.encode("utf-8-sig"), content_type="text/csv")
    return SimpleUploadedFile("材料.pdf", pdf_bytes(), content_type="application/pdf")


def filled(form, button=None):
    """The form as a person would send it: what the page shows, every box ticked, the first real
    choice where none is made, something sensible in each empty field, a file in each file input."""
    data = {}
    for name, control in form.controls.items():
        if control.kind in ("checkbox",):
            data[name] = list(control.options)
        elif control.kind in ("radio", "select"):
            real = [o for o in control.options if o]
            data[name] = [c for c in control.chosen if c] or real[:1] or [""]
            if not control.multiple:
                data[name] = data[name][0]
        elif control.kind == "file":
            data[name] = sample_upload(control)
        elif control.kind == "password":
            data[name] = DEMO_PASSWORD
        elif control.kind == "hidden":
            data[name] = control.value  # nobody types into a hidden field
        elif control.value.strip():
            data[name] = control.value
        elif name == "id_number" and form.url_name == "accounts:register":
            data[name] = make_id_number()  # someone not yet registered
        elif control.kind == "date":
            data[name] = date.today().isoformat()
        elif "year" in name:
            data[name] = _year()
        else:
            data[name] = BY_NAME.get(name, BY_NAME.get(name.split("-")[-1], "测试"))
    year = data.get("year")
    if isinstance(year, str) and year.isdigit():
        # Dates within the year the form is about (a training filed for 2027 starts in 2027).
        for name, control in form.controls.items():
            if control.kind == "date" and not control.value.strip():
                data[name] = f"{year}-06-01"
    if button:
        data[button[0]] = button[1]
    data.update(dict(parse_qsl(form.query)))
    return data


def rewind(data):
    """The same submission again: uploaded files are read by the first request."""
    for value in data.values():
        if isinstance(value, SimpleUploadedFile):
            value.seek(0)
    return data


# --- what changed ---------------------------------------------------------------------------------


def fingerprints():
    """{table or "files": digest} of every row of the project's tables and every stored file, so a
    failure names what changed."""
    prints = {}
    for model in apps.get_models():
        if model._meta.app_label in PROJECT_APPS:
            digest = hashlib.sha256()
            for row in model._default_manager.order_by("pk").values_list():
                digest.update(repr(row).encode())
            prints[model._meta.label] = digest.hexdigest()
    files = hashlib.sha256()
    for path in sorted(Path(settings.MEDIA_ROOT).rglob("*")):
        files.update(str(path).encode())
    prints["files"] = files.hexdigest()
    return prints


def changed(before, after):
    return sorted(k for k in after if before.get(k) != after[k])


def messages_on(response, client):
    """(errors, said): the error messages and field errors the visitor reads after the response,
    and everything else it tells them (messages, result summaries in a role="status" region, a
    file sent), following one redirect as the browser would."""
    if response.status_code in (301, 302, 303) and response["Location"].startswith("/"):
        response = client.get(response["Location"])
    if not response.get("Content-Type", "").startswith("text/html"):
        return [], [response.get("Content-Type", "")]
    parser = _MessageParser()
    parser.feed(response.content.decode("utf-8", "replace"))
    return parser.errors, parser.said


VOID = {"input", "br", "img", "meta", "link", "hr", "source", "wbr", "area", "col", "base"}


class _MessageParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.errors, self.said = [], []
        self.stack = []

    def handle_starttag(self, tag, attrs):
        if tag in VOID:
            return
        attrs = dict(attrs)
        classes = (attrs.get("class") or "").split()
        kind = None
        if "error" in classes or "errorlist" in classes or attrs.get("role") == "alert":
            kind = "error"
        elif "message" in classes or attrs.get("role") == "status":
            kind = "said"
        self.stack.append(kind)

    def handle_endtag(self, tag):
        if tag not in VOID and self.stack:
            self.stack.pop()

    def handle_data(self, data):
        kind = next((k for k in reversed(self.stack) if k), None)
        if kind and data.strip():
            (self.errors if kind == "error" else self.said).append(data.strip())
