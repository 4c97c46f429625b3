from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from treebeard.admin import TreeAdmin
from treebeard.forms import movenodeform_factory

from core.admin import InputPolicyAdmin

from .models import Membership, Organisation, RoleGrant, User
from .validators import normalize_login


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


@admin.register(Membership)
class MembershipAdmin(InputPolicyAdmin, IdNumberSearch, admin.ModelAdmin):
    list_display = ["person", "organisation", "status", "requested_at", "decided_at", "decided_by"]
    list_filter = ["status"]
    search_fields = ["person__name", "person__id_number", "organisation__name"]
    list_select_related = ["person", "organisation", "decided_by"]
    autocomplete_fields = ["person", "organisation"]
    # Confirmed by the unit's administrator on the portal (单位人员确认), never here: see UserAdmin.
    readonly_fields = ["requested_at", "status", "decided_at", "decided_by", "ended_at"]
