from django.conf import settings

from accounts.roles import roles_of

from .menu import menu_for


def portal_shell(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"portal_title": settings.PORTAL_TITLE}
    return {
        "portal_title": settings.PORTAL_TITLE,
        "menu": menu_for(user, request.path),
        "user_roles": sorted(roles_of(user)),
    }
