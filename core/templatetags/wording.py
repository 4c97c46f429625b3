"""{% load wording %}: `sentence` (a full stop only where missing) and `named_errors` (a form's
field errors with the names of their fields, for the error summary)."""
from django import template

from core import wording

register = template.Library()
register.filter("sentence", wording.sentence)


@register.filter
def named_errors(form):
    """[(label, error, target id)] for each error of each field of `form`, in the form's order;
    the target is the id of the field's input (its first choice for a group of radios or boxes),
    empty for a hidden field or a form without ids."""
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
