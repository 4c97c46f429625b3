"""View guards: a role decorator used by every view that is not for everybody."""
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied

from .models import Role
from .roles import has_role, is_sysadmin


def role_required(*required):
    """Anonymous visitors go to the login page; signed-in users without the role get 403."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(request, *args, **kwargs):
            allowed = has_role(request.user, *required) or (Role.SYSADMIN in required and is_sysadmin(request.user))
            if not allowed:
                raise PermissionDenied("您没有访问该页面的权限。")
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
