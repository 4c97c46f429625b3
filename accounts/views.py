from base64 import b32encode
from functools import wraps
from urllib.parse import urlencode

import django_otp
import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render, resolve_url
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from accounts.access import role_required
from core.inputs import redirect_target, safe_text

from core.models import Job
from core.proxy import client_ip
from core.spreadsheets import xlsx_response

from . import enrolment, selectors, services
from .forms import (
    LoginForm, MoveRequestForm, OTPTokenForm, PasswordChangeForm, PasswordForgotForm, PasswordResetForm, ProfileForm,
    RegistrationForm, RejectForm, StaffEnrolForm,
)
from .middleware import MUST_CHANGE
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
        device = services.totp_check(device=device, token=form.cleaned_data["token"], request=request)
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
        # Only the form's own columns: the account came from the cache (accounts/identity.py).
        form.save(commit=False).save(update_fields=ProfileForm.Meta.fields)
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


@role_required(Role.UNIT_ADMIN)
def staff_enrol(request):
    """批量导入人员: the form, and the report of the file just uploaded (or its background job)."""
    form = StaffEnrolForm(request.POST or None, request.FILES or None, units=selectors.enrolling_units(request.user))
    report = None
    if request.method == "POST" and form.is_valid():
        try:
            report = enrolment.staff_enrol_upload(
                upload=form.cleaned_data["file"], organisation=form.cleaned_data["organisation"], actor=request.user,
                address=client_ip(request),
            )
        except (ValidationError, PermissionDenied) as exc:
            form.add_error("file", "；".join(getattr(exc, "messages", None) or [str(exc)]))
        if isinstance(report, Job):
            return redirect("portal:job", pk=report.pk)  # a long list: enrolled in the background
    context = {"form": form, "report": report, "outcomes": enrolment.OUTCOMES}
    return render(request, "accounts/staff_enrol.html", context, status=400 if form.errors else 200)


@role_required(Role.UNIT_ADMIN)
def staff_enrol_template(request):
    return xlsx_response(enrolment.template_workbook(), "批量导入人员模板")


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
    return _decide(request, lambda: services.membership_confirm(membership=membership, actor=request.user, request=request), f"已确认 {membership.person.name} 为本单位人员。")


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
        lambda: services.membership_reject(membership=membership, actor=request.user, reason=reason, request=request),
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




# --- passwords -----------------------------------------------------------------------------------

# The pending 忘记密码 of this browser: the id of its code (0 when none was sent), so step 2 needs no
# account in its address.
RESET_SESSION_KEY = "password_reset"


def _anonymous_only(view):
    """忘记密码's pages: a signed-in visitor is sent home (修改密码 is theirs)."""

    @never_cache
    @wraps(view)
    def page(request):
        if request.user.is_authenticated:
            return redirect("portal:home")
        return view(request)

    return page


@_anonymous_only
def password_forgot(request):
    """忘记密码, step 1. Whatever the account, the answer is the same redirect to step 2 and the same
    page there: a masked number shown for some logins and not for others would tell which exist."""
    form = PasswordForgotForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            reset = services.password_code_send(login=form.cleaned_data["login"], request=request)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            request.session[RESET_SESSION_KEY] = reset.pk if reset else 0
            return redirect("accounts:password_reset")
    return render(request, "accounts/password_forgot.html", {"form": form})


@_anonymous_only
def password_reset(request):
    """忘记密码, step 2: the code and the new password."""
    reset_id = request.session.get(RESET_SESSION_KEY)
    if reset_id is None:
        return redirect("accounts:password_forgot")
    form = PasswordResetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.password_reset_with_code(reset_id=reset_id, code=data["code"], password=data["password1"], request=request)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            del request.session[RESET_SESSION_KEY]
            messages.success(request, "密码已重置，请使用新密码登录。")
            return redirect("accounts:login")
    return render(request, "accounts/password_reset.html", {"form": form})


@never_cache
@login_required
def password_change(request):
    """修改密码: for everyone from 我的信息; the only page open while 下次登录须修改密码 is set."""
    forced = request.user.must_change_password
    form = PasswordChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.password_change(
                user=request.user, old_password=data["old_password"], new_password=data["new_password1"], request=request
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            update_session_auth_hash(request, request.user)  # this session stays signed in, the others end
            request.session.pop(MUST_CHANGE, None)
            messages.success(request, "密码已修改。")
            return redirect(redirect_target(request, request.GET.get("next"), reverse("accounts:profile")))
    # While the change is owed every other page is closed: no menu to lead there.
    context = {"form": form, "forced": forced}
    if forced:
        context["menu"] = None
    return render(request, "accounts/password_change.html", context)


@role_required(Role.UNIT_ADMIN)
def unit_staff(request):
    """本单位已确认人员: the unit's confirmed staff, each with 重置密码."""
    units = organisations_for(request.user, Role.UNIT_ADMIN)
    page = Paginator(selectors.confirmed_staff(organisations=units), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "accounts/unit_staff.html", {"page": page, "units": units})


@never_cache
@role_required(Role.UNIT_ADMIN)
def staff_password_reset(request, person_pk):
    """重置密码 of one confirmed staff member: a confirmation page, then the temporary password,
    shown on this answer only (not redirected, not in a message, not cached)."""
    try:
        membership = services.staff_for_reset(actor=request.user, person_id=person_pk)
    except PermissionDenied:
        raise Http404 from None  # another unit's people are not revealed
    if request.method == "POST":
        try:
            person, password = services.password_reset_by_admin(
                actor=request.user, person_id=person_pk, stamp=request.POST.get("stamp"), request=request
            )
        except (PermissionDenied, ValidationError) as exc:
            messages.error(request, "；".join(getattr(exc, "messages", [str(exc)])))
            return redirect("accounts:unit_staff")
        return render(request, "accounts/staff_password_result.html", {"person": person, "password": password})
    return render(
        request, "accounts/staff_password_confirm.html",
        {"membership": membership, "stamp": services.password_stamp(membership.person)},
    )
