"""接口密钥 in the portal: the list, 新建 (the key shown once, in the answer to the POST that made
it: never in an address, a message, the session or a log) and 停用 after a confirmation page."""
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache

from accounts.access import role_required
from accounts.models import Role
from workflow import jurisdiction

from . import services
from .forms import KeyForm
from .models import ApiKey

PAGE_SIZE = 15
ISSUERS = (Role.BUREAU_CLERK, Role.SYSADMIN)


def _keys(user):
    return ApiKey.objects.filter(jurisdiction.api_keys_q(user)).select_related("organisation", "bureau", "created_by")


@role_required(*ISSUERS)
def key_list(request):
    page = Paginator(_keys(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "api/key_list.html", {"page": page})


@never_cache
@role_required(*ISSUERS)
def key_new(request):
    form = KeyForm(request.POST if request.method == "POST" else None, user=request.user)
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        try:
            key, raw = services.key_create(user=request.user, request=request, **data)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            push_url = request.build_absolute_uri(reverse("api:push"))
            return render(request, "api/key_shown.html", {
                "key": key, "raw": raw, "push_url": push_url, "docs_url": request.build_absolute_uri(reverse("api:openapi-view")),
                "year": timezone.localdate().year - 1, "subject": key.subjects[0],
            })
    return render(request, "api/key_new.html", {"form": form}, status=400 if form.errors else 200)


@role_required(*ISSUERS)
def key_revoke(request, pk):
    """停用: a confirmation page, then (POST) done. A second 停用 (another tab, a double click) is
    told the key is stopped already."""
    key = get_object_or_404(_keys(request.user), pk=pk)
    if request.method == "POST":
        try:
            services.key_revoke(user=request.user, key=key, request=request)
        except ValidationError as exc:
            messages.info(request, exc.messages[0])
        else:
            messages.success(request, f"已停用{key.organisation.name}的密钥 {key.prefix}（{key.name}）：使用它的调用将被拒绝（401）。")
        return redirect("api_keys:list")
    if not key.is_active:
        messages.info(request, f"密钥 {key.prefix}（{key.name}）已停用。")
        return redirect("api_keys:list")
    return render(request, "api/key_revoke.html", {"key": key})
