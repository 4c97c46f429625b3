"""The input policy (core/inputs.py) and the mechanism that applies it everywhere: every form of
the portal and of the admin is under it (core/forms.py), every id in a path is bounded
(core/converters.py). The generated-input tests over every page are in
tests/security/test_generated_input.py."""
import importlib
import inspect
import pkgutil
import unicodedata
from datetime import date

import pytest
from django import forms as django_forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.test import RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from core import forms as portal_forms
from core.admin import InputPolicyAdmin, ReadOnlyAdmin
from core.inputs import (
    CONTROL_MESSAGE, DATE_MESSAGE, GARBLED_MESSAGE, ID_MAX, INT_MAX, JSON_MAX_DEPTH, JSONBodyError, load_json,
    normalise_text, parse_id, parse_ids, redirect_target, safe_text,
)
from tests.helpers import PROJECT_APPS
from tests.strategies import any_character, pasted_text



# --- text ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("typed, stored", [
    ("４３０１２１１９８８０５０４１０１５", "430121198805041015"),  # an ID number typed on a full-width keyboard
    ("ＡＢＣ１２３", "ABC123"),
    ("  宋庆涛\t", "宋庆涛"),  # a cell pasted from Excel
    ("宋\u200b庆\ufeff涛", "宋庆涛"),  # zero-width space and BOM from a web page or Word
    ("湖南省地质研究所（演示），一级：好！？～…", "湖南省地质研究所（演示），一级：好！？～…"),  # Chinese punctuation kept
    ("第一行\x0b第二行", "第一行 第二行"),  # Word's manual line break
    ("①号", "1号"),
    ("", ""),
    (None, ""),
])
def test_text_is_normalised(typed, stored):
    assert normalise_text(typed) == stored


def test_multiline_text_keeps_its_line_breaks():
    assert normalise_text("第一行\r\n第二行  \n\n第三行\u2028", multiline=True) == "第一行\n第二行\n\n第三行"
    assert normalise_text("第一行\r\n第二行") == "第一行  第二行"


@pytest.mark.parametrize("typed, message", [
    ("张三\x07", CONTROL_MESSAGE),  # Word's cell mark
    ("张\x00三", CONTROL_MESSAGE),
    ("\x1b[31m", CONTROL_MESSAGE),
    ("\u202efdp.exe", CONTROL_MESSAGE),  # a right-to-left override that disguises what is written
    ("\ud800", GARBLED_MESSAGE),  # a lone surrogate (JSON bodies, broken clipboards)
    ("鍚嶅瓧\ufffd", GARBLED_MESSAGE),  # what a wrongly decoded file or address leaves behind
    ("\uffff", GARBLED_MESSAGE),
])
def test_what_cannot_be_stored_is_refused_with_a_message(typed, message):
    with pytest.raises(ValidationError) as refused:
        normalise_text(typed)
    assert refused.value.messages == [message]
    assert safe_text(typed) == "".join(ch for ch in safe_text(typed) if ch.isprintable())


@settings(max_examples=300, deadline=None)
@given(text=st.one_of(pasted_text(60), st.text(any_character)), multiline=st.booleans())
def test_normalised_text_is_printable_stable_and_refusals_are_validation_errors(text, multiline):
    try:
        stored = normalise_text(text, multiline=multiline)
    except ValidationError as exc:
        assert exc.code in ("control", "garbled")
        stored = safe_text(text, multiline=multiline)
    # No control, format or surrogate character (private-use and not yet assigned ones may be
    # rare characters of names); nothing that cannot be encoded, stored or sent.
    assert not [ch for ch in stored if unicodedata.category(ch) in ("Cc", "Cf", "Cs") and not (multiline and ch == "\n")], repr(stored)
    assert "\ufffd" not in stored
    assert normalise_text(stored, multiline=multiline) == stored
    stored.encode("utf-8")


@settings(max_examples=200, deadline=None)
@given(digits=st.text("0123456789", min_size=1, max_size=18))
def test_full_width_digits_become_the_same_number(digits):
    full_width = digits.translate({ord(d): chr(0xFF10 + int(d)) for d in "0123456789"})
    assert normalise_text(full_width) == digits
    assert unicodedata.normalize("NFKC", full_width) == digits


# --- ids, JSON, redirects --------------------------------------------------------------------------


@pytest.mark.parametrize("value, number", [
    ("1", 1), (" 42 ", 42), ("１２", 12), (str(ID_MAX), ID_MAX),
    ("0", None), ("-1", None), ("1e3", None), ("²", None), ("1.0", None), ("", None), (None, None),
    (str(ID_MAX + 1), None), ("9" * 19, None), ("9" * 5000, None), ("0x10", None),
])
def test_ids_are_bounded(value, number):
    assert parse_id(value) == number


def test_a_list_of_ids_says_whether_something_was_not_an_id():
    assert parse_ids(["3", "1", "3"]) == ([3, 1], False)
    assert parse_ids(["3", "99999999999999999999"]) == ([3], True)


def test_json_bodies_are_bounded():
    assert load_json(b'{"numbers": ["XS2024-0000"]}') == {"numbers": ["XS2024-0000"]}
    assert load_json(b"[" * JSON_MAX_DEPTH + b"]" * JSON_MAX_DEPTH)
    for body in (b"[" * (JSON_MAX_DEPTH + 1) + b"]" * (JSON_MAX_DEPTH + 1), b"[" * 50_000 + b"]" * 50_000,
                 b'["\\ud800"]', b'{"\\udc00": 1}', b"[Infinity]", b"NaN"):
        with pytest.raises(JSONBodyError):
            load_json(body)


@pytest.mark.parametrize("url, kept", [
    ("/hours/?status=draft", True),
    ("/review/todo/?applicant=张三", True),
    ("https://evil.example/", False),
    ("//evil.example/", False),
    ("/x\r\nSet-Cookie: a=b", False),  # Django's host check lets it through; the header would refuse it
    ("/x\x00", False),
    ("0", False),  # redirect() would look it up as a view name
    ("edit", False),
    ("", False),
    (None, False),
])
def test_redirect_targets_are_pages_of_this_site_and_valid_headers(url, kept):
    request = RequestFactory().get("/")
    target = redirect_target(request, url, "/default/")
    assert (target != "/default/") == kept
    assert target.isascii() and target.isprintable()


# --- every form, every admin form, every path id -----------------------------------------------------


def project_modules():
    for app in PROJECT_APPS:
        package = importlib.import_module(app)
        yield package
        for info in pkgutil.walk_packages(package.__path__, f"{app}."):
            if ".migrations" in info.name or info.name.startswith("portal.settings."):
                continue
            yield importlib.import_module(info.name)


def project_form_classes():
    found = set()
    for module in project_modules():
        for _, value in inspect.getmembers(module, inspect.isclass):
            if issubclass(value, django_forms.BaseForm) and value.__module__.split(".")[0] in PROJECT_APPS:
                found.add(value)
    return found


def test_every_form_of_the_portal_is_under_the_input_policy():
    """A new form cannot escape: it is found here by walking the apps' modules."""
    classes = project_form_classes()
    assert len(classes) >= 25, sorted(c.__name__ for c in classes)
    outside = sorted(f"{c.__module__}.{c.__name__}" for c in classes if not issubclass(c, portal_forms.InputPolicy))
    assert not outside, f"derive these from core.forms.Form / ModelForm: {outside}"


def test_every_admin_form_is_under_the_input_policy():
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label not in PROJECT_APPS:
            continue
        assert isinstance(model_admin, (InputPolicyAdmin, ReadOnlyAdmin)), model_admin
        if not isinstance(model_admin, ReadOnlyAdmin):  # a read-only record's inlines are read-only too
            for inline in model_admin.inlines:
                assert issubclass(inline, InputPolicyAdmin), inline


def test_admin_forms_are_built_under_the_policy(rf, admin_user):
    from accounts.models import User

    request = rf.get("/")
    request.user = admin_user
    model_admin = admin.site._registry[User]
    assert issubclass(model_admin.get_form(request, None), portal_forms.InputPolicy)
    inlines = model_admin.get_inline_instances(request)
    assert inlines and all(issubclass(inline.get_formset(request).form, portal_forms.InputPolicy) for inline in inlines)


class Unbounded(portal_forms.Form):
    name = django_forms.CharField(required=False)
    remark = django_forms.CharField(required=False, widget=django_forms.Textarea)
    count = django_forms.IntegerField(required=False)
    amount = django_forms.DecimalField(required=False, decimal_places=1)
    day = django_forms.DateField(required=False)
    choice = django_forms.ChoiceField(required=False, choices=[("1", "一"), ("2", "二")])
    password = django_forms.CharField(required=False, strip=False, widget=django_forms.PasswordInput)
    shown = django_forms.CharField(required=False, disabled=True)


def errors_of(**data):
    form = Unbounded(data=data)
    form.is_valid()
    return form


def test_fields_that_set_no_bound_get_the_policys():
    assert errors_of(name="x" * 201).errors["name"] == ["最多填写200个字符（现为201个）。"]
    assert "remark" not in errors_of(remark="x" * 2000).errors and "remark" in errors_of(remark="x" * 2001).errors
    assert errors_of(count=str(INT_MAX + 1)).errors["count"] == ["数值超出允许的范围。"]
    assert errors_of(count="-99999999999").errors["count"] == ["数值超出允许的范围。"]
    assert "amount" in errors_of(amount="1e400").errors
    assert errors_of(day="0001-01-01").errors["day"] == [DATE_MESSAGE]
    assert errors_of(day="9999-12-31").errors["day"] == [DATE_MESSAGE]
    assert errors_of(day="2024-06-01").cleaned_data["day"] == date(2024, 6, 1)


def test_text_and_choices_are_normalised_and_control_characters_refused_beside_the_field():
    form = errors_of(name="  Ａ１２\u200b ", choice="２", remark="一\r\n二")
    assert form.cleaned_data["name"] == "A12" and form.cleaned_data["choice"] == "2" and form.cleaned_data["remark"] == "一\n二"
    assert errors_of(name="张三\x07").errors["name"] == [CONTROL_MESSAGE]
    assert errors_of(remark="\ud800").errors["remark"] == [GARBLED_MESSAGE]


def test_passwords_are_taken_as_typed_and_disabled_fields_are_left_alone():
    form = errors_of(password=" Ｐａｓｓ\x07 ", shown="anything")
    assert form.cleaned_data["password"] == " Ｐａｓｓ\x07 "
    assert form.cleaned_data["shown"] == ""  # disabled: the (empty) initial value, never what was posted


def test_fields_a_form_adds_after_construction_are_policed_too():
    form = Unbounded(data={"later": "Ｘ\x07"})
    form.fields["later"] = django_forms.CharField(required=False)
    assert not form.is_valid() and form.errors["later"] == [CONTROL_MESSAGE]


def test_model_choices_look_up_only_ids(db):
    from accounts.models import Organisation

    class Pick(portal_forms.Form):
        org = django_forms.ModelChoiceField(queryset=Organisation.objects.all())

    for value in ("99999999999999999999", "1e3", "²", "abc"):
        form = Pick(data={"org": value})
        assert not form.is_valid() and "org" in form.errors


def _patterns(patterns, prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace != "admin":
                yield from _patterns(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry


def test_every_id_in_a_path_is_bounded():
    unbounded = [route for route, entry in _patterns(get_resolver().url_patterns) if "<int:" in route]
    assert not unbounded, f"use <id:…> (core/converters.py): {unbounded}"
    assert any("<id:" in route for route, _ in _patterns(get_resolver().url_patterns))


@pytest.mark.parametrize("pk", [str(ID_MAX + 1), "9" * 30, "18446744073709551616"])
def test_an_id_beyond_a_bigint_is_a_404(client, db, django_user_model, pk):
    user = django_user_model.objects.create_user(username="probe", password="x", name="探针")
    client.force_login(user)
    path = reverse("portal:job", kwargs={"pk": 1}).replace("/1/", f"/{pk}/")
    assert client.get(path).status_code == 404


def test_a_foreign_key_that_is_no_id_is_refused_and_not_shown_again(db):
    """A model form's foreign key names its key as to_field_name; the admin's autocomplete widget
    looks the shown value up again, so what is no id is not shown (it failed on ' ')."""
    from accounts.models import Membership

    class MembershipForm(portal_forms.ModelForm):
        class Meta:
            model = Membership
            fields = ["person", "organisation"]

    form = MembershipForm(data={"person": "x" * 300, "organisation": " 99999999999999999999 "})
    assert not form.is_valid() and {"person", "organisation"} <= set(form.errors)
    assert form["person"].value() is None and form["organisation"].value() is None
    assert "x" * 300 not in str(form)
