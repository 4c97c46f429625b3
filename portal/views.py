from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.core.cache import cache
from django.db import DatabaseError, connection
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from hours.selectors import declaration_get_for_user

from core import jobs
from core.inputs import redirect_target
from core.models import JobKind, JobState
from core.storage import file_response

from .context_processors import LARGE_TEXT_COOKIE
from . import selectors, services
from .selectors import home_blocks

MESSAGES_PAGE_SIZE = 15


@login_required
def home(request):
    return render(request, "portal/home.html", {"blocks": home_blocks(request.user)})


LARGE_TEXT_MAX_AGE = 365 * 24 * 3600  # a year: older users should not have to find the switch again


@require_POST
def text_size(request):
    """大字模式 on (large=1) or off for this browser, then back to the page the switch was pressed on."""
    response = redirect(redirect_target(request, request.POST.get("next"), reverse("portal:home")))
    if request.POST.get("large") == "1":
        response.set_cookie(
            LARGE_TEXT_COOKIE, "1", max_age=LARGE_TEXT_MAX_AGE, samesite="Lax", httponly=True, secure=request.is_secure()
        )
    else:
        response.delete_cookie(LARGE_TEXT_COOKIE, samesite="Lax")
    return response


@require_GET
@never_cache
def health(request):
    """For load balancers and monitoring: is the database answering, is the cache?"""
    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        checks["database"] = "ok"
    except DatabaseError as exc:
        checks["database"] = f"error: {type(exc).__name__}"
    try:
        key = "health-probe"
        cache.set(key, "ok", 10)
        checks["cache"] = "ok" if cache.get(key) == "ok" else "error: value not kept"
    except Exception as exc:  # noqa: BLE001 - any cache backend failure is reported, not raised
        checks["cache"] = f"error: {type(exc).__name__}"
    healthy = all(v == "ok" for v in checks.values())
    return JsonResponse({"status": "ok" if healthy else "error", **checks}, status=200 if healthy else 503)


@login_required
def job_list(request):
    """我的后台任务: what this person has started, newest first."""
    return render(request, "portal/job_list.html", {"jobs": jobs.jobs_of(request.user)})


@login_required
def job_detail(request, pk):
    """A job's progress page; while the job runs, the progress part reloads itself."""
    return render(request, "portal/job_detail.html", {"job": jobs.job_get_for_user(user=request.user, pk=pk)})


@login_required
@never_cache
def job_progress(request, pk):
    """The progress part of the job page alone, for htmx polling."""
    return render(request, "portal/_job_progress.html", {"job": jobs.job_get_for_user(user=request.user, pk=pk)})


@login_required
def job_download(request, pk):
    """The file a finished job produced, to its owner only, while they may still see its source."""
    job = jobs.job_get_for_user(user=request.user, pk=pk)
    if job.state != JobState.SUCCEEDED or not job.file:
        raise Http404("该任务没有可下载的文件。")
    if job.kind == JobKind.CASE_ZIP:
        declaration_get_for_user(user=request.user, pk=job.params["declaration"])
    if not job.file.storage.exists(job.file.name):
        raise Http404("文件已被清理，请重新生成。")
    filename = job.result.get("filename") or job.file.name.rsplit("/", 1)[-1]
    return file_response(job.file, filename=filename, content_type=job.result.get("content_type", "application/octet-stream"))


@login_required
def message_list(request):
    """我的消息: what the portal told this person, newest first, unread marked."""
    page = Paginator(selectors.messages_of(request.user), MESSAGES_PAGE_SIZE).get_page(request.GET.get("page"))
    for notification in page.object_list:
        notification.page = selectors.subject_page(notification)
    return render(request, "portal/message_list.html", {"page": page, "unread": selectors.unread_count(request.user)})


@login_required
def message_detail(request, pk):
    """One message; opening it marks it read."""
    notification = selectors.message_get_for_user(user=request.user, pk=pk)
    services.message_mark_read(notification)
    return render(request, "portal/message_detail.html", {"message": notification, "page": selectors.subject_page(notification)})


@login_required
@require_POST
def messages_read_all(request):
    count = services.messages_mark_all_read(request.user)
    flash.success(request, f"已将{count}条消息标为已读。" if count else "没有未读消息。")
    return redirect("portal:messages")
