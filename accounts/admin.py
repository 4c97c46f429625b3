from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db import transaction
from django_otp.plugins.otp_totp.admin import TOTPDeviceAdmin
from django_otp.plugins.otp_totp.models import TOTPDevice
from treebeard.admin import TreeAdmin
from treebeard.forms import movenodeform_factory

from core.admin import InputPolicyAdmin, ReadOnlyAdmin

from . import audit, identity, services
from .forms import AdminLoginForm
from .models import AccountAction, AccountEvent, Membership, Organisation, RoleGrant, User
from .validators import normalize_login


admin.site.login_form = AdminLoginForm


class IdNumberSearch:
    """An 证件号码 searched for as typed — full-width digits, a lower-case x — finds it as stored."""

    def get_search_results(self, request, queryset, search_term):
        return super().get_search_results(request, queryset, normalize_login(search_term))


@admin.register(Organisation)
class OrganisationAdmin(InputPolicyAdmin, TreeAdmin):
    form = movenodeform_factory(Organisation, exclude=["path", "depth", "numchild"])
    list_display = ["name", "uscc", "kind", "nature", "bureau", "region", "is_active"]
    list_filter = ["kind", "nature", "is_active"]
    search_fields = ["name", "uscc"]
    autocomplete_fields = ["bureau"]


class RoleGrantInline(InputPolicyAdmin, admin.TabularInline):
    model = RoleGrant
    fk_name = "user"
    extra = 0
    fields = ["role", "organisation", "granted_at"]
    readonly_fields = ["granted_at"]
    autocomplete_fields = ["organisation"]


@admin.register(User)
class UserAdmin(InputPolicyAdmin, IdNumberSearch, DjangoUserAdmin):
    list_display = ["username", "name", "organisation", "is_active", "is_staff"]
    search_fields = ["username", "name", "id_number"]
    list_select_related = ["organisation"]
    inlines = [RoleGrantInline]
    fieldsets = [
        (None, {"fields": ["username", "password"]}),
        ("实名信息", {"fields": ["name", "id_number", "gender", "ethnicity", "phone", "email", "education", "organisation"]}),
        ("权限", {"fields": ["is_active", "is_staff", "is_superuser"]}),
        ("时间", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["username", "name", "password1", "password2"]})]
    # A person's unit changes only when a unit confirms them (accounts.services.membership_confirm),
    # which moves their figures in the summary and the units' staff counts with them.
    readonly_fields = ["organisation"]

    def user_change_password(self, request, id, form_url=""):
        """A system administrator's reset (the only way back for clerks and system administrators):
        recorded in the audit trail, and the person chooses their own password at the next sign-in
        (after the second factor, which a reset never touches)."""
        with transaction.atomic():
            response = super().user_change_password(request, id, form_url)
            if request.method == "POST" and response.status_code == 302:
                person = self.get_object(request, id)
                User.objects.filter(pk=person.pk).update(must_change_password=True)
                identity.forget(person.pk)  # update() sends no signal
                audit.record(AccountAction.PASSWORD_RESET_BY_ADMIN, actor=request.user, subject=person, request=request, via="admin")
        return response

    def save_formset(self, request, form, formset, change):
        """Roles granted and removed here go through the services, so each leaves one row in the
        audit trail with the administrator and their address; a row edited is the old role removed
        and the new one granted."""
        if formset.model is not RoleGrant:
            return super().save_formset(request, form, formset, change)
        grants = formset.save(commit=False)
        with transaction.atomic():
            for grant in formset.deleted_objects:
                services.role_remove(grant=grant, actor=request.user, request=request)
            for grant in grants:
                if grant.pk is not None:
                    services.role_remove(grant=RoleGrant.objects.get(pk=grant.pk), actor=request.user, request=request)
                services.role_grant(
                    user=form.instance, role=grant.role, organisation=grant.organisation, granted_by=request.user, request=request
                )


@admin.register(Membership)
class MembershipAdmin(InputPolicyAdmin, IdNumberSearch, admin.ModelAdmin):
    list_display = ["person", "organisation", "status", "requested_at", "decided_at", "decided_by"]
    list_filter = ["status"]
    search_fields = ["person__name", "person__id_number", "organisation__name"]
    list_select_related = ["person", "organisation", "decided_by"]
    autocomplete_fields = ["person", "organisation"]
    # Confirmed by the unit's administrator on the portal (单位人员确认), never here: see UserAdmin.
    readonly_fields = ["requested_at", "status", "decided_at", "decided_by", "ended_at"]


@admin.register(AccountEvent)
class AccountEventAdmin(IdNumberSearch, ReadOnlyAdmin):
    """The accounts' audit trail: searched by who (actor or account: name, username, 证件号码), what
    (the action) and when (the date hierarchy)."""

    list_display = ["created_at", "action", "actor", "subject", "organisation", "ip_address"]
    list_filter = ["action"]
    date_hierarchy = "created_at"
    search_fields = [
        "actor__name", "actor__username", "actor__id_number", "subject__name", "subject__username", "subject__id_number",
        "organisation__name", "ip_address",
    ]
    list_select_related = ["actor", "subject", "organisation"]


admin.site.unregister(TOTPDevice)


@admin.register(TOTPDevice)
class AuditedTOTPDeviceAdmin(TOTPDeviceAdmin):
    """django-otp's admin, where the system administrator unbinds a lost authenticator by deleting
    it: each deletion leaves one row in the accounts' audit trail, with who did it and from where."""

    def delete_model(self, request, obj):
        with transaction.atomic():
            audit.record_device_removed(obj, actor=request.user, request=request, how="admin")
            super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for device in queryset.select_related("user__organisation"):
                audit.record_device_removed(device, actor=request.user, request=request, how="admin")
            super().delete_queryset(request, queryset)
