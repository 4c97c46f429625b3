"""The base classes of every form of the portal: they apply the input policy (core/inputs.py) to
each field, so a field added tomorrow is normalised and bounded without anyone remembering to.

- text (CharField and its kinds, choices): normalised, refused with the field's message when it
  holds control characters or garbled text; a length bound where the field sets none;
- whole numbers and decimals: bounded where the field sets no bound;
- dates and times: between DATE_MIN and DATE_MAX;
- model choices: only a well-formed id is looked up.
Passwords are taken as typed (a password is compared, never shown or searched), files are checked
by their own checkers (hours/uploads.py)."""
from datetime import datetime, time
from functools import partial

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core import validators
from django.core.exceptions import ValidationError
from django.utils import timezone

from .inputs import DATE_MAX, DATE_MESSAGE, DATE_MIN, DECIMAL_MAX_DIGITS, INT_MAX, MULTILINE_MAX, TEXT_MAX, normalise_text, parse_id, parse_ids

NUMBER_MESSAGE = "数值超出允许的范围。"
LENGTH_MESSAGES = {
    "max_length": "最多填写%(limit_value)d个字符（现为%(show_value)d个）。",
    "min_length": "至少填写%(limit_value)d个字符（现为%(show_value)d个）。",
}


def _text(field, original, value):
    multiline = isinstance(field.widget, forms.Textarea)
    if isinstance(value, (list, tuple)):
        value = [normalise_text(v, multiline=multiline) if isinstance(v, str) else v for v in value]
    elif isinstance(value, str):
        value = normalise_text(value, multiline=multiline)
    return original(value)


def _by_id(field):
    """Whether the choices are looked up by an integer primary key (a foreign key's form field names
    it as to_field_name)."""
    pk = field.queryset.model._meta.pk
    return field.to_field_name in (None, pk.name, pk.attname) and pk.get_internal_type().endswith("AutoField")


def _not_ids(field, value):
    if not _by_id(field):  # asked when used: a form may set its queryset after ours runs
        return []
    values = value if isinstance(value, (list, tuple)) else [value]
    return [v for v in values if v not in field.empty_values and not isinstance(v, field.queryset.model) and parse_id(v) is None]


def _model_choice(field, original, value):
    for v in _not_ids(field, value):
        raise ValidationError(field.error_messages["invalid_choice"], code="invalid_choice", params={"value": v})
    return original(value)


def _shown_choice(field, original, data, initial):
    """What the widget shows again after an error: not a value that is no id (the admin's
    autocomplete widget looks the shown value up, and fails on ' ')."""
    value = original(data, initial)
    if isinstance(value, (list, tuple)):
        return [v for v in value if not _not_ids(field, v)]
    return None if _not_ids(field, value) else value


def _in_range(minimum, maximum, message):
    return [validators.MinValueValidator(minimum, message=message), validators.MaxValueValidator(maximum, message=message)]


def police(field):
    """Put one field under the input policy (once; forms copy their fields per instance)."""
    if field.disabled or getattr(field, "_policed", False):
        return
    field._policed = True
    if isinstance(field, forms.FileField) or isinstance(field.widget, forms.PasswordInput) or isinstance(field, forms.JSONField):
        return
    if isinstance(field, (forms.ModelChoiceField, forms.ModelMultipleChoiceField)):
        field.clean = partial(_model_choice, field, field.clean)
        field.bound_data = partial(_shown_choice, field, field.bound_data)
        return
    if isinstance(field, (forms.CharField, forms.ChoiceField)):
        field.clean = partial(_text, field, field.clean)
        # Django's own wording ("确保该变量包含不超过 18 字符") speaks of variables.
        field.error_messages.setdefault("max_length", LENGTH_MESSAGES["max_length"])
        field.error_messages.setdefault("min_length", LENGTH_MESSAGES["min_length"])
        if isinstance(field, forms.CharField) and field.max_length is None:
            field.max_length = MULTILINE_MAX if isinstance(field.widget, forms.Textarea) else TEXT_MAX
            field.validators.append(validators.MaxLengthValidator(field.max_length))
            field.widget.attrs.setdefault("maxlength", str(field.max_length))
    if isinstance(field, forms.IntegerField) and not isinstance(field, forms.DecimalField):
        if field.max_value is None:
            field.validators.append(validators.MaxValueValidator(INT_MAX, message=NUMBER_MESSAGE))
        if field.min_value is None:
            field.validators.append(validators.MinValueValidator(-INT_MAX, message=NUMBER_MESSAGE))
    if isinstance(field, forms.DecimalField) and field.max_digits is None:
        field.max_digits = DECIMAL_MAX_DIGITS
        field.validators.append(validators.DecimalValidator(DECIMAL_MAX_DIGITS, field.decimal_places))
    if isinstance(field, forms.DateField):
        field.validators.extend(_in_range(DATE_MIN, DATE_MAX, DATE_MESSAGE))
        field.widget.attrs.setdefault("min", DATE_MIN.isoformat())
        field.widget.attrs.setdefault("max", DATE_MAX.isoformat())
    elif isinstance(field, forms.DateTimeField):
        low = timezone.make_aware(datetime.combine(DATE_MIN, time.min))
        high = timezone.make_aware(datetime.combine(DATE_MAX, time.max))
        field.validators.extend(_in_range(low, high, DATE_MESSAGE))


class InputPolicy:
    """Mixin for a form class: every field under the input policy, those a form's own __init__ adds
    after ours included (hence again before cleaning)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._police()

    def _police(self):
        for field in self.fields.values():
            police(field)

    def full_clean(self):
        self._police()
        super().full_clean()


class Form(InputPolicy, forms.Form):
    pass


class ModelForm(InputPolicy, forms.ModelForm):
    pass


class AuthenticationFormBase(InputPolicy, AuthenticationForm):
    pass


def policed_form(form_class):
    """A subclass of a form class Django builds for us (the admin's), under the input policy."""
    if issubclass(form_class, InputPolicy):
        return form_class
    return type(form_class.__name__, (InputPolicy, form_class), {"__module__": form_class.__module__})


def out_of_order(form, cleaned, first, last, message):
    """Whether both of two ordered fields (dates, years) are given with `last` before `first`; if so
    `message` is `last`'s error."""
    start, end = cleaned.get(first), cleaned.get(last)
    if start and end and end < start:
        form.add_error(last, message)
        return True
    return False


def filters_of(form, default):
    """The filter a list page applies: the form's values, `default` when nothing was asked, or None
    when the filter is invalid. Filters fail closed: with None a list shows the errors and no
    rows, never more than was asked for."""
    if not form.is_bound:
        return default
    return form.cleaned_data if form.is_valid() else None


class IdListField(forms.Field):
    """Several ids (the ticked rows of a list): each bounded as every id is (inputs.parse_id); one
    that is not an id refuses the whole list rather than acting on the others without it. The
    message (`error_messages={"invalid_id": …}`) names what was ticked."""

    widget = forms.MultipleHiddenInput
    default_error_messages = {"invalid_id": "所选的编号无效，请刷新页面后重新勾选。"}

    def to_python(self, value):
        ids, bad = parse_ids(value if isinstance(value, (list, tuple)) else [value] if value else [])
        if bad:
            raise ValidationError(self.error_messages["invalid_id"], code="invalid_id")
        return ids
