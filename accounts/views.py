from base64 import b32encode
from functools import wraps
from urllib.parse import urlencode

import django_otp
import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render, resolve_url
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from accounts.access import role_required
from core.inputs import redirect_target, safe_text

from . import selectors, services
from .forms import LoginForm, MoveRequestForm, OTPTokenForm, ProfileForm, RegistrationForm, RejectForm
from .models import Membership, Role
from .roles import organisations_for

PAGE_SIZE = 15


class PortalLoginView(LoginView):
    form_class = LoginForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def get_redirect_url(self):
        # The same rule as every other next= of the portal: a path of this site, a valid header.
        return redirect_target(self.request, self.request.POST.get("next") or self.request.GET.get("next"), "")

    def dispatch(self, request, *args, **kwargs):
        if request.method == "POST" and request.user.is_authenticated:
            # A second click on 登录 (or a second tab) finds the visitor signed in already.
            messages.info(request, "您已登录。")
        return super().dispatch(request, *args, **kwargs)


def _next_url(request):
    """Where to go once the second factor is given: the page first asked for, if it is ours."""
    return redirect_target(request, request.POST.get("next") or request.GET.get("next"), resolve_url(settings.LOGIN_REDIRECT_URL))


def _token_given(request, form, device, message):
    """The posted code checked against the device: the way on once it is right, else None with the
    error on the form (both pages, binding and verifying, end the same way)."""
    if request.method != "POST" or not form.is_valid():
        return None
    try:
        device = services.totp_check(device=device, token=form.cleaned_data["token"])
    except ValidationError as exc:
        form.add_error("token", exc)
        return None
    django_otp.login(request, device)
    messages.success(request, message)
    return redirect(_next_url(request))


def _second_factor_page(view):
    """Binding and verifying: for a signed-in user who still owes the code; anyone else goes on."""

    @never_cache
    @login_required
    @wraps(view)
    def page(request):
        if not selectors.second_factor_required(user=request.user) or request.user.is_verified():
            return redirect(_next_url(request))
        return view(request)

    return page


@_second_factor_page
def otp_setup(request):
    """绑定身份验证器: the first time a clerk or administrator signs in with 2FA required."""
    if selectors.totp_device_confirmed(user=request.user):
        # Bound already: binding again would let a stolen password replace the authenticator.
        return redirect(f"{reverse('accounts:otp_verify')}?{urlencode({'next': _next_url(request)})}")
    device = services.totp_device_start(user=request.user)
    form = OTPTokenForm(request.POST or None)
    given = _token_given(request, form, device, "身份验证器已绑定。以后每次登录，输入密码后还需输入验证器上的动态口令。")
    if given:
        return given
    secret = b32encode(device.bin_key).decode()
    context = {
        "form": form,
        "next": _next_url(request),
        "menu": None,  # every page of the menu is closed until the code is given
        "qr_svg": segno.make(device.config_url, error="m").svg_inline(scale=4, title="身份验证器绑定二维码"),
        "secret_groups": [secret[i : i + 4] for i in range(0, len(secret), 4)],
    }
    return render(request, "accounts/otp_setup.html", context)


@_second_factor_page
def otp_verify(request):
    """动态口令验证: the code from the bound authenticator, after the password."""
    device = selectors.totp_device_confirmed(user=request.user)
    if device is None:
        return redirect(f"{reverse('accounts:otp_setup')}?{urlencode({'next': _next_url(request)})}")
    form = OTPTokenForm(request.POST or None)
    given = _token_given(request, form, device, "动态口令验证通过。")
    if given:
        return given
    return render(request, "accounts/otp_verify.html", {"form": form, "next": _next_url(request), "menu": None})


def register(request):
    if request.user.is_authenticated:
        return redirect("portal:home")
    form = RegistrationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = services.person_register(
                id_number=data["id_number"],
                name=data["name"],
                phone=data["phone"],
                password=data["password1"],
                organisation=data["organisation"],
                ethnicity=data["ethnicity"],
                education=data["education"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            login(request, user, backend="accounts.backends.IdNumberOrUsernameBackend")
            messages.success(request, f"注册成功，已提交给“{data['organisation']}”的管理员确认。确认后即可申报学时。")
            return redirect("portal:home")
    return render(request, "accounts/register.html", {"form": form})


@require_GET
def organisation_suggest(request):
    """Suggestions for the unit picker (no login: the registration page needs it)."""
    # Suggestions as one types: what cannot be searched for is dropped rather than refused.
    units = selectors.organisation_search(query=safe_text(request.GET.get("q", ""))[:100], limit=20)
    return JsonResponse({"results": [{"name": u.name, "uscc": u.uscc} for u in units]})


@login_required
def profile(request):
    user = request.user
    form = ProfileForm(request.POST or None, instance=user, prefix="profile")
    move_form = MoveRequestForm(prefix="move")
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "个人信息已保存。")
        return redirect("accounts:profile")
    return render(
        request,
        "accounts/profile.html",
        {"form": form, "move_form": move_form, "history": selectors.membership_history(person=user)},
    )


@login_required
@require_POST
def membership_move(request):
    form = MoveRequestForm(request.POST, prefix="move")
    if form.is_valid():
        try:
            services.membership_request(person=request.user, organisation=form.cleaned_data["organisation"])
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
        else:
            messages.success(request, f"已向“{form.cleaned_data['organisation']}”提交调入申请，请等待单位管理员确认。")
            return redirect("accounts:profile")
    else:
        messages.error(request, "；".join(e for errs in form.errors.values() for e in errs))
    return redirect("accounts:profile")


@login_required
@require_POST
def membership_withdraw(request, pk):
    membership = get_object_or_404(Membership, pk=pk, person=request.user)
    try:
        services.membership_withdraw(membership=membership, actor=request.user)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, "申请已撤回。")
    return redirect("accounts:profile")


@role_required(Role.UNIT_ADMIN)
def membership_queue(request):
    units = organisations_for(request.user, Role.UNIT_ADMIN)
    page = Paginator(selectors.pending_memberships(organisations=units), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "accounts/membership_queue.html", {"page": page, "reject_form": RejectForm(), "units": units})


def _membership_for_admin(request, pk):
    """A pending membership of one of the admin's units, or 404 (another unit's requests are not revealed)."""
    units = organisations_for(request.user, Role.UNIT_ADMIN)
    return get_object_or_404(Membership, pk=pk, organisation__in=units)


def _decide(request, decision, success):
    """Run a confirm/reject service call: its refusal becomes the error message; back to the queue."""
    try:
        decision()
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, "；".join(getattr(exc, "messages", [str(exc)])))
    else:
        messages.success(request, success)
    return redirect("accounts:membership_queue")


@role_required(Role.UNIT_ADMIN)
@require_POST
def membership_confirm(request, pk):
    membership = _membership_for_admin(request, pk)
    return _decide(request, lambda: services.membership_confirm(membership=membership, actor=request.user), f"已确认 {membership.person.name} 为本单位人员。")


@role_required(Role.UNIT_ADMIN)
@require_POST
def membership_reject(request, pk):
    membership = _membership_for_admin(request, pk)
    form = RejectForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请填写不通过的原因。")
        return redirect("accounts:membership_queue")
    reason = form.cleaned_data["reason"]
    return _decide(
        request,
        lambda: services.membership_reject(membership=membership, actor=request.user, reason=reason),
        f"已退回 {membership.person.name} 的申请。",
    )


@role_required(Role.DEPT_ADMIN)
def subordinates(request):
    blocks = []
    for dept in organisations_for(request.user, Role.DEPT_ADMIN):
        page = Paginator(selectors.subordinate_organisations(organisation=dept), PAGE_SIZE).get_page(request.GET.get("page"))
        blocks.append((dept, page))
    return render(request, "accounts/organisations.html", {"title": "下级单位", "blocks": blocks})


@role_required(Role.BUREAU_CLERK)
def jurisdiction(request):
    bureaus = organisations_for(request.user, Role.BUREAU_CLERK)
    blocks = []
    for bureau in bureaus:
        page = Paginator(selectors.jurisdiction_organisations(bureau=bureau), PAGE_SIZE).get_page(request.GET.get("page"))
        blocks.append((bureau, page))
    return render(request, "accounts/organisations.html", {"title": "辖区单位", "blocks": blocks})


