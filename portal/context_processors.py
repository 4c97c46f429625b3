from django.conf import settings

from .menu import menu_html


# 大字模式 (large text, for older users: GB/T 37668, the 适老化 rules): remembered per browser in this
# cookie, which the server reads, so pages arrive large from the first byte, without JavaScript.
LARGE_TEXT_COOKIE = "large_text"


def portal_shell(request):
    user = getattr(request, "user", None)
    large_text = request.COOKIES.get(LARGE_TEXT_COOKIE) == "1"
    if user is None or not user.is_authenticated:
        return {"portal_title": settings.PORTAL_TITLE, "large_text": large_text}
    return {
        "portal_title": settings.PORTAL_TITLE,
        "large_text": large_text,
        "menu": menu_html(user, request.path),
    }
