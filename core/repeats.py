"""A form sent twice is carried out once. A double click on 保存, a second tab, the back button and
“resend”: the second identical POST from the same browser finds the first one done (or still
running) and is answered with a message and the page the first one led to, without running the
view again. The domain's own rules (unique constraints, the workflow's states) stay what makes a
second effect impossible; this spares people the confusing answers those give ("already in
another state") and covers actions that have no natural key (two identical training entries).

What counts as "identical": the same visitor (session, or the CSRF cookie before signing in), the
same address, the same fields and the same files. Only the last successful POST of a visitor is
remembered (a redirect that queued a success message and no error), so withdraw → submit →
withdraw → submit still works: only a repeat of the very last action is held back. POSTs that
report no success (signing in or out, the text-size switch, a refused form) are never held back."""
import hashlib
import time

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.shortcuts import redirect, render

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
REMEMBER_SECONDS = 600
BUSY_SECONDS = 120
WAIT_SECONDS = 10
REPEATED = "您刚才已提交过相同的内容，本次未重复办理。"
BUSY = "相同的内容正在办理中，请稍候刷新页面查看结果，不要重复提交。"


def _visitor(request):
    """The browser: its session, or before signing in its CSRF cookie; None for neither."""
    session = getattr(request, "session", None)
    if session is not None and session.session_key:
        return _session_visitor(session.session_key)
    token = request.COOKIES.get(settings.CSRF_COOKIE_NAME)
    return f"c:{token}" if token else None


def _session_visitor(session_key):
    return f"s:{session_key}"


def _last_key(visitor):
    return f"repeat:last:{visitor}"


def forget_last(session_key):
    """Forget a signed-in browser's last successful POST, so the same POST is carried out again (for
    a tool whose writes are rolled back: load.profile)."""
    cache.delete(_last_key(_session_visitor(session_key)))


def fingerprint(request):
    digest = hashlib.sha256(request.get_full_path().encode())
    for name in sorted(request.POST):
        if name != "csrfmiddlewaretoken":
            digest.update(repr((name, request.POST.getlist(name))).encode("utf-8", "surrogatepass"))
    for name in sorted(request.FILES):
        for upload in request.FILES.getlist(name):
            digest.update(repr((name, upload.name, upload.size)).encode("utf-8", "surrogatepass"))
            for chunk in upload.chunks():
                digest.update(chunk)
            upload.seek(0)
    return digest.hexdigest()


def _succeeded(request, response):
    if response.status_code not in (301, 302, 303):
        return False
    queued = getattr(getattr(request, "_messages", None), "_queued_messages", [])
    levels = {message.level for message in queued}
    return messages.SUCCESS in levels and not any(level >= messages.ERROR for level in levels)


class RepeatedPostMiddleware:
    """After the CSRF and message middleware: a refused token never reaches it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        guard = getattr(request, "_repeat_guard", None)
        if guard is not None:
            last_key, busy_key, print_ = guard
            try:
                if _succeeded(request, response):
                    cache.set(last_key, (print_, response["Location"]), REMEMBER_SECONDS)
            finally:
                cache.delete(busy_key)
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        # Forms only: an API (CSRF-exempt, JSON) reads its own body and answers for itself.
        if request.method != "POST" or getattr(view_func, "csrf_exempt", False) or request.content_type not in FORM_TYPES:
            return None
        visitor = _visitor(request)
        if visitor is None:
            return None
        print_ = fingerprint(request)
        last_key, busy_key = _last_key(visitor), f"repeat:busy:{visitor}:{print_}"
        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            repeated = _repeat_of(request, last_key, print_)
            if repeated:
                return repeated
            if cache.add(busy_key, 1, BUSY_SECONDS):
                break
            # The same POST is running in another request (two tabs, a double click): wait for it.
            if time.monotonic() > deadline:
                return render(request, "core/repeat_busy.html", {"message": BUSY}, status=409)
            time.sleep(0.1)
        # It may have finished between the look and the lock.
        repeated = _repeat_of(request, last_key, print_)
        if repeated:
            cache.delete(busy_key)
            return repeated
        request._repeat_guard = (last_key, busy_key, print_)
        return None


def _repeat_of(request, last_key, print_):
    """The answer to a repeat of the visitor's last successful POST: its page, with a message."""
    last = cache.get(last_key)
    if last and last[0] == print_:
        messages.info(request, REPEATED)
        return redirect(last[1])
    return None
