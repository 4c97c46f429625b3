"""The pages' template engine: Jinja2, compiled to Python, with the Django template language's
meaning kept where the markup relies on it, so the pages stay what they were.

- A dotted name is looked up as Django does: key, then attribute, then index, and a method that
  takes no argument is called (`form.non_field_errors`, `row.get_state_display`, `page.start_index`);
  a method that alters data (`alters_data`) is not.
- `{{ value }}` is localised and shown in local time as Django shows it (dates, times, decimals).
- `default` is Django's (for any false value); the Django filters the templates use are Django's
  own functions (`length` of nothing is 0, not an error); `url()` and `static()` are globals.
- A missing name or attribute renders empty, and so does a lookup on it, as in Django.
Third-party apps (the admin) keep Django's own engine, the second in TEMPLATES."""
import datetime
import inspect
from decimal import Decimal

import jinja2
from django.conf import settings
from django.template import defaultfilters
from django.template import TemplateSyntaxError
from django.template.backends.jinja2 import Jinja2, Template, get_exception_info
from django.middleware.csrf import get_token
from django.templatetags.static import static
from django.test.signals import template_rendered
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.formats import localize
from django.utils.functional import SimpleLazyObject
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.timezone import template_localtime

from core import masking, wording
from core.inputs import ID_MAX

_LOOKUP_ERRORS = (TypeError, AttributeError, KeyError, ValueError, IndexError)
_LOCALISED = (datetime.date, datetime.time, Decimal, float)


def _call(value):
    """A callable found by a lookup, called as the Django template language would."""
    if getattr(value, "do_not_call_in_templates", False) or isinstance(value, type):
        return value
    if getattr(value, "alters_data", False):
        return jinja2.ChainableUndefined()
    try:
        return value()
    except TypeError:
        try:
            inspect.signature(value).bind()
        except (TypeError, ValueError):  # it needs arguments: nothing to show
            return jinja2.ChainableUndefined()
        raise


class Environment(jinja2.Environment):
    def getattr(self, obj, attribute):
        if isinstance(obj, jinja2.Undefined):
            return obj
        if getattr(type(obj), "__getitem__", None) is not None:
            try:
                value = obj[attribute]
            except _LOOKUP_ERRORS:
                pass
            else:
                return _call(value) if callable(value) else value
        try:
            value = getattr(obj, attribute)
        except AttributeError:
            return self.undefined(obj=obj, name=attribute)
        # A loop's own methods (loop.cycle) are Jinja's, called with their arguments.
        return _call(value) if callable(value) and not isinstance(obj, jinja2.runtime.LoopContext) else value


def _finalize(value):
    return localize(template_localtime(value)) if isinstance(value, _LOCALISED) else value


def _date(value, arg=None):
    return defaultfilters.date(template_localtime(value), arg)


def _time(value, arg=None):
    return defaultfilters.time(template_localtime(value), arg)


def _default(value, arg=""):
    return value or arg


# A list page links each of its rows, and reverse() walks the resolver each time. An address whose
# arguments are all ids is reversed once per (name, number of ids, script prefix, URLconf) with
# stand-in ids, and each row's ids are put in their places. Anything else goes through reverse(),
# and so does a pattern the stand-ins do not fit (a year's four digits, say).
_STAND_IN = 8_264_193_570_000_000_000  # 19 digits, a valid BIGINT id that no page links to
_ADDRESSES = {}


def _address_parts(name, count):
    """The address of `name` around `count` ids, as its count + 1 constant pieces, or None."""
    stand_ins = [str(_STAND_IN + i) for i in range(count)]
    try:
        rest = reverse(name, args=stand_ins)
    except NoReverseMatch:
        return None
    parts = []
    for stand_in in stand_ins:
        before, found, rest = rest.partition(stand_in)
        if not found or stand_in in rest:
            return None
        parts.append(before)
    parts = (*parts, rest)
    # A converter that writes an id otherwise (zero-padded, say) would not give it back as passed.
    ones = [1] * count
    return parts if _joined(parts, ones) == reverse(name, args=ones) else None


def _joined(parts, args):
    pieces = [parts[0]]
    for value, part in zip(args, parts[1:]):
        pieces.append(str(value))
        pieces.append(part)
    return "".join(pieces)


def url(name, *args, **kwargs):
    if kwargs or not args or not all(type(a) is int and 0 < a <= ID_MAX for a in args):
        return reverse(name, args=args or None, kwargs=kwargs or None)
    key = (name, len(args), get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF)
    parts = _ADDRESSES.get(key, False)
    if parts is False:
        parts = _ADDRESSES[key] = _address_parts(name, len(args))
    if parts is None:
        return reverse(name, args=args)
    return _joined(parts, args)


def named_errors(form):
    """[(label, error, target id)] for each error of each field of `form`, in the form's order, for
    the error summary; the target is the id of the field's input (its first choice for a group of
    radios or boxes), empty for a hidden field or a form without ids."""
    found = []
    for field in form:
        if not field.errors:
            continue
        target = ""
        if not field.is_hidden and field.auto_id:
            target = field.id_for_label or f"{field.auto_id}_0"
        label = "" if field.is_hidden else (field.label or field.name)
        found.extend((label, error, target) for error in field.errors)
    return found


def _as_django(function):
    """A Django filter given what Django gives it: a missing name is the empty string."""
    def apply(value, *args):
        return function("" if isinstance(value, jinja2.Undefined) else value, *args)
    return apply


def _is_none(value):
    return value is None or isinstance(value, jinja2.Undefined)  # Django reads a missing name as None


def environment(**options):
    options["undefined"] = jinja2.ChainableUndefined  # Django's backend would set a stricter one
    options["keep_trailing_newline"] = True  # as Django: an included file's last newline stays
    env = Environment(finalize=_finalize, **options)
    env.globals.update(url=url, static=static)
    env.tests["none"] = _is_none
    django_filters = dict(
        default=_default, date=_date, time=_time,
        length=defaultfilters.length, join=defaultfilters.join, floatformat=defaultfilters.floatformat,
        add=defaultfilters.add, yesno=defaultfilters.yesno,
        filesizeformat=defaultfilters.filesizeformat, timesince=defaultfilters.timesince_filter,
        truncatechars=defaultfilters.truncatechars, linebreaksbr=defaultfilters.linebreaksbr,
        urlencode=defaultfilters.urlencode, stringformat=defaultfilters.stringformat,
        mask_id=masking.mask_id_number, mask_phone=masking.mask_phone, mask_name=masking.mask_name,
        sentence=wording.sentence, named_errors=named_errors,
    )
    env.filters.update({name: _as_django(function) for name, function in django_filters.items()})
    return env


class PageTemplate(Template):
    @property
    def name(self):
        return self.template.name

    def render(self, context=None, request=None):
        # The view's names win over the context processors', as with Django's engine.
        context = dict(context or {})
        if request is not None:
            # The token once per page, as Django's engine does: Django's lazy input masks a new token
            # at every form (the draft page has dozens of delete buttons), a random string each.
            token = SimpleLazyObject(lambda: get_token(request))
            field = SimpleLazyObject(lambda: format_html('<input type="hidden" name="csrfmiddlewaretoken" value="{}">', token))
            shell = {"request": request, "csrf_input": field, "csrf_token": token}
            for processor in self.backend.template_context_processors:
                shell.update(processor(request))
            context = {**shell, **context}
        try:
            html = self.template.render(context)
        except jinja2.TemplateSyntaxError as exc:
            new = TemplateSyntaxError(exc.args)
            new.template_debug = get_exception_info(exc)
            raise new from exc
        # What Django's test client reads as response.context (it listens for this signal, which
        # Django's own engine sends only under test; without listeners it costs nothing).
        template_rendered.send(sender=self, template=self, context=context)
        return mark_safe(html)  # as Django's engine: a rendered piece put into a page is not escaped again


class Pages(Jinja2):
    """Django's Jinja2 backend, its templates rendered through PageTemplate."""

    def get_template(self, template_name):
        return PageTemplate(super().get_template(template_name).template, self)

    def from_string(self, template_code):
        return PageTemplate(self.env.from_string(template_code), self)
