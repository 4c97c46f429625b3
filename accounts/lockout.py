"""Hooks that django-axes calls (see AXES_* in portal/settings/base.py): which login an attempt
counts against, and the page a locked-out visitor gets."""
from axes.helpers import get_cool_off
from django.conf import settings
from django.shortcuts import render

from .validators import normalize_login


def attempt_username(request, credentials):
    """The login an attempt counts against, normalised as the backend normalises it: the portal's
    form and the admin's form (which does not normalise) then add to the same count."""
    field = settings.AXES_USERNAME_FORM_FIELD
    value = credentials.get(field) if credentials else request.POST.get(field)
    return normalize_login(value) if value is not None else None


def lockout_response(request, original_response, credentials):
    minutes = int(get_cool_off(request).total_seconds() // 60)
    return render(request, "accounts/locked_out.html", {"minutes": minutes}, status=settings.AXES_HTTP_RESPONSE_CODE)
