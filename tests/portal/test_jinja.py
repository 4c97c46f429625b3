"""The pages' engine (core/jinja.py): Jinja2 that reads a template as the Django template language
did, so the markup that was written for Django shows the same values."""
import re
from datetime import datetime, timezone as tz
from decimal import Decimal

from django.conf import settings
from django.http import HttpResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.template import engines
from django.test import override_settings
from django.urls import path, re_path, register_converter
from django.utils.safestring import mark_safe


def render(source, **context):
    return engines["pages"].from_string(source).render(context)


class Row:
    def __init__(self):
        self.deleted = False

    def get_state_display(self):
        return "已通过"

    def needs(self, argument):
        return argument

    def delete(self):
        self.deleted = True

    delete.alters_data = True


def test_a_dotted_name_is_a_key_first_then_an_attribute_then_an_index():
    # A dict whose key is also a dict method: the key, as Django reads it (the workspace's years).
    assert render("{% for i in year.items %}{{ i }}{% endfor %}", year={"items": [1, 2]}) == "12"
    assert render("{{ pair.1 }}", pair=("a", "b")) == "b"
    assert render("{{ row.get_state_display }}", row=Row()) == "已通过"


def test_a_method_that_needs_arguments_or_alters_data_is_not_called():
    row = Row()
    assert render("[{{ row.needs }}][{{ row.delete }}]", row=row) == "[][]"
    assert row.deleted is False


def test_a_missing_name_and_any_lookup_on_it_render_empty():
    assert render("[{{ nothing }}][{{ nothing.at.all }}][{{ none.attr }}][{{ nothing|default('无') }}]", none=None) == "[][][][无]"
    # Filters get the empty string, as Django gives them, and a missing name is None.
    assert render("[{{ c.public|floatformat('-1') }}][{{ t|date('Y') }}][{{ n|add(1) }}][{{ gone|length }}]") == "[][][][0]"
    assert render("{% if entry.recognised is none %}无{% endif %}", entry={}) == "无"


def test_default_is_for_any_false_value_as_in_django():
    assert render("{{ a|default('—') }}{{ b|default('—') }}{{ c|default('—') }}", a="", b=0, c="x") == "——x"


def test_dates_and_numbers_show_as_django_shows_them():
    moment = datetime(2026, 1, 31, 17, 5, tzinfo=tz.utc)  # 01:05 on 1 February in Shanghai
    assert render("{{ t|date('Y-m-d H:i') }}", t=moment) == "2026-02-01 01:05"
    assert render("{{ t }}", t=moment) == "2026年2月1日 01:05"
    assert render("{{ n }}|{{ n|floatformat('-1') }}", n=Decimal("12.50")) == "12.50|12.5"


def test_text_is_escaped_and_safe_markup_is_not():
    payload = "<script>alert(1)</script>{{ 7*7 }}"
    assert render("{{ v }}", v=payload) == "&lt;script&gt;alert(1)&lt;/script&gt;{{ 7*7 }}"
    assert render("{{ v }}", v=mark_safe("<b>粗</b>")) == "<b>粗</b>"


def test_a_rendered_piece_put_into_a_page_is_not_escaped_again():
    piece = engines["pages"].from_string("<li>{{ v }}</li>").render({"v": "<"})
    assert render("<ul>{{ piece }}</ul>", piece=piece) == "<ul><li>&lt;</li></ul>"


def test_a_loop_keeps_its_own_names():
    assert render("{% for x in 'ab' %}{{ loop.index }}{{ loop.first }};{% endfor %}") == "1True;2False;"


def test_a_page_masks_its_form_token_once_and_the_token_is_accepted(rf):
    request = rf.get("/")
    html = engines["pages"].from_string("{{ csrf_input }}{{ csrf_input }}[{{ csrf_token }}]").render({}, request=request)
    values = re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert len(values) == 2 and values[0] == values[1] and f"[{values[0]}]" in html
    altered = values[0][:-1] + ("a" if values[0][-1] != "a" else "b")
    for sent_token, answer in ((values[0], None), (altered, 403)):
        sent = rf.post("/", {"csrfmiddlewaretoken": sent_token})
        sent.COOKIES[settings.CSRF_COOKIE_NAME] = request.META["CSRF_COOKIE"]
        refused = CsrfViewMiddleware(lambda r: HttpResponse()).process_view(sent, lambda r: None, (), {})
        assert (refused and refused.status_code) == answer


def _named_patterns(resolver=None, namespace=""):
    from django.urls import URLPattern, get_resolver

    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLPattern):
            if entry.name:
                yield f"{namespace}{entry.name}"
        else:
            yield from _named_patterns(entry, f"{namespace}{entry.namespace}:" if entry.namespace else namespace)


def test_url_gives_what_reverse_gives_for_every_address_taking_ids():
    """url() reverses an address once and puts each row's ids in their places: for every named
    address of the portal that takes one to three numbers, the same text as reverse()."""
    from django.urls import NoReverseMatch, reverse, set_script_prefix

    from core.jinja import url

    taking_ids = 0
    for prefix in ("/", "/xueshi/"):
        set_script_prefix(prefix)
        try:
            for name in sorted(set(_named_patterns())):
                for count in (1, 2, 3):
                    try:
                        reverse(name, args=[7] * count)
                    except NoReverseMatch:
                        continue
                    taking_ids += 1
                    for ids in ([1] * count, [42, 7, 9][:count], [2**63 - 1] * count, [3, 3, 3][:count]):
                        assert url(name, *ids) == reverse(name, args=ids), (name, ids)
        finally:
            set_script_prefix("/")
    assert taking_ids > 20


def _page(request, **kwargs):
    return HttpResponse()


class PaddedConverter:
    regex = "[0-9]+"

    def to_python(self, value):
        return int(value)

    def to_url(self, value):
        return f"{int(value):08d}"


register_converter(PaddedConverter, "padded")

urlpatterns = [
    re_path(r"^year/(?P<year>[0-9]{4})/$", _page, name="year"),
    path("case/<int:pk>/files/<int:file>/", _page, name="file"),
    path("archive/<padded:pk>/", _page, name="padded"),
]


@override_settings(ROOT_URLCONF=__name__)
def test_url_of_an_address_the_stand_in_ids_do_not_fit_or_a_converter_rewrites_reverses_as_before():
    from django.urls import NoReverseMatch, reverse

    from core.jinja import url

    assert url("year", 2023) == reverse("year", args=[2023]) == "/year/2023/"
    assert url("file", 5, 12) == "/case/5/files/12/"
    assert url("padded", 42) == reverse("padded", args=[42]) == "/archive/00000042/"
    for wrong in (("year", 12345), ("no-such-page", 5)):
        try:
            url(*wrong)
        except NoReverseMatch:
            continue
        raise AssertionError(f"{wrong} was reversed")
