"""Form widgets come from Django's Jinja2 widget templates (core/rendering.py): every form of the
portal must give the same HTML as through the Django template engine (blank lines aside), and the
admin's widgets, which exist only as Django templates, must still render."""
import importlib
import inspect

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.test.html import parse_html
from django.urls import reverse

from core.rendering import WidgetRenderer
from tests.helpers import PROJECT_APPS



def portal_forms():
    """Every form class of the apps' forms modules (core.forms' bases, which have no fields, aside)."""
    found = []
    for app in PROJECT_APPS:
        try:
            module = importlib.import_module(f"{app}.forms")
        except ModuleNotFoundError:
            continue
        found += [c for _, c in inspect.getmembers(module, inspect.isclass)
                  if issubclass(c, forms.BaseForm) and c.__module__ == module.__name__ and c.base_fields
                  and not _needs_arguments(c)]
    return found


def _needs_arguments(form_class):
    """Forms built for a user or a declaration are left to the page tests that build them."""
    return any(
        param.default is param.empty and param.kind in (param.POSITIONAL_OR_KEYWORD, param.KEYWORD_ONLY)
        for name, param in inspect.signature(form_class.__init__).parameters.items() if name != "self"
    )


def rendered(form_class, renderer, data):
    form = form_class(data=data, renderer=renderer) if data is not None else form_class(renderer=renderer)
    if data is not None:
        form.is_valid()
    # Jinja2 drops the blank lines the Django templates leave between options; the elements,
    # attributes and text are what must match.
    html = [str(bound) for bound in form] + [str(form.non_field_errors()), *(str(e) for e in form.errors.values())]
    return [parse_html(part) for part in html]


FORMS = portal_forms()


def test_the_portal_has_forms_to_compare():
    assert len(FORMS) >= 15, [f.__name__ for f in FORMS]


@pytest.mark.django_db
@pytest.mark.parametrize("form_class", FORMS, ids=lambda c: f"{c.__module__}.{c.__name__}")
@pytest.mark.parametrize("data", [None, {}], ids=["unbound", "empty-post"])
def test_each_form_renders_the_same_html_as_through_django_templates(form_class, data):
    expected = rendered(form_class, DjangoTemplates(), data)
    assert rendered(form_class, WidgetRenderer(), data) == expected


def test_the_widget_renderer_is_the_portals():
    from django.forms.renderers import get_default_renderer

    assert isinstance(get_default_renderer(), WidgetRenderer)


@pytest.mark.django_db
def test_admin_widgets_fall_back_to_django_templates(admin_client):
    page = admin_client.get(reverse("admin:accounts_membership_add"))
    assert page.status_code == 200
    assert 'class="related-widget-wrapper"' in page.content.decode()
