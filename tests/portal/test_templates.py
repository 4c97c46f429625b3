"""Rules every template keeps, read from the template files themselves:
- a template never compares a state or kind with a string: the model or the view says what it
  means (`declaration.is_rejected`, `job.is_succeeded`, `at_final_level`);
- every list page ends with the one shared tail (count, page links, empty message), most of them
  through the list page they extend."""
import re
from pathlib import Path

import pytest
from django.conf import settings

TAIL = "includes/list_tail.html"
LIST_PAGE = "list_page.html"

# `x.state == "rejected"`, `x.kind != 'case_zip'`, `"pending" == m.status`; not `status-{{ x.state }}`
# (a CSS class name) nor `key == status` (a filter tab against the view's value).
COMPARISON = re.compile(r"""\.(?:state|kind|status)\s*(?:==|!=)\s*["']|["']\s*(?:==|!=)\s*[\w.]+\.(?:state|kind|status)\b""")


def _templates():
    (root,) = settings.TEMPLATES[0]["DIRS"]
    return {path.relative_to(root).as_posix(): path.read_text(encoding="utf-8") for path in sorted(Path(root).rglob("*.html"))}


TEMPLATES = _templates()


@pytest.mark.parametrize(
    "snippet, compares",
    [
        ('{% if declaration.state == "rejected" %}', True),
        ("{% if job.state == 'succeeded' %}", True),
        ('{% elif job.kind == "roster_import" and job.is_succeeded %}', True),
        ('{% if m.status != "pending" %}', True),
        ('{% if "approved" == f.state %}', True),
        ('<span class="status status-{{ d.state }}">', False),
        ('{% if key == status %}', False),
        ("{% if declaration.is_rejected %}", False),
    ],
)
def test_the_check_tells_a_comparison_from_a_class_name(snippet, compares):
    assert bool(COMPARISON.search(snippet)) is compares


def test_no_template_compares_a_state_or_kind_with_a_string():
    assert len(TEMPLATES) > 40  # the walk found the templates
    found = [f"{name}: {m.group(0)}" for name, text in TEMPLATES.items() for m in COMPARISON.finditer(text)]
    assert found == []


def test_every_list_page_ends_with_the_shared_tail():
    paginated = {name for name, text in TEMPLATES.items() if name != TAIL and re.search(r"\.(object_list|paginator)\b", text)}
    # a page built on the list page gets its tail there, unless it replaces the tail block
    built_on_base = {name for name, text in TEMPLATES.items() if text.startswith(f'{{% extends "{LIST_PAGE}" %}}')}
    assert LIST_PAGE in paginated and TAIL in TEMPLATES[LIST_PAGE]
    assert {
        "accounts/membership_queue.html",
        "hours/declaration_list.html",
        "hours/filing_list.html",
        "hours/filing_queue.html",
        "hours/proxy_list.html",
        "review/queue.html",
        "review/todo.html",
    } <= built_on_base
    assert {"accounts/organisations.html", "hours/filing_detail.html"} <= paginated
    without_tail = {name for name in paginated - built_on_base if TAIL not in TEMPLATES[name]}
    replaced_tail = {name for name in built_on_base if "{% block tail %}" in TEMPLATES[name] and TAIL not in TEMPLATES[name]}
    assert sorted(without_tail | replaced_tail) == []
    # page links are drawn in the tail only
    assert sorted(name for name, text in TEMPLATES.items() if 'class="pagination"' in text) == [TAIL]
