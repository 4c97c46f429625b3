"""Admin pieces shared by the apps, and the admin site itself (core/apps.CoreAdminConfig makes
it the default, so every app registers its ModelAdmins on it)."""
from functools import wraps

from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import ValidationError
from django.shortcuts import redirect

from .forms import policed_form
from .inputs import parse_id


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records that are append-only or immutable (audit steps, rule-set changes, issued certificates):
    readable in the admin, never added, changed or deleted there."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class InputPolicyAdmin:
    """Mixin for a ModelAdmin or inline: the forms Django builds for it are under the input policy
    (core/forms.py), as every form of the portal is."""

    def get_form(self, request, obj=None, **kwargs):
        return policed_form(super().get_form(request, obj, **kwargs))

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.form = policed_form(formset.form)
        return formset


def _valid_key(field, value):
    if field.get_internal_type() in ("AutoField", "BigAutoField", "IntegerField", "BigIntegerField", "PositiveIntegerField"):
        return parse_id(value) is not None
    try:
        field.to_python(value)
    except ValidationError:
        return False
    return True


class PortalAdminSite(admin.AdminSite):
    site_header = site_title = "学时核认 · 系统管理"
    index_title = "后台管理"

    def admin_view(self, view, cacheable=False):
        """Every changelist's ticked rows are keys of its model, as every id the portal takes is
        bounded (core/inputs.py): Django's admin would look `''` or a 30-digit number up and fail."""
        inner = super().admin_view(view, cacheable)
        model_admin = getattr(view, "__self__", None)
        if not isinstance(model_admin, admin.ModelAdmin):
            return inner

        @wraps(inner)
        def checked(request, *args, **kwargs):
            if request.method == "POST":
                pk = model_admin.model._meta.pk
                if not all(_valid_key(pk, value) for value in request.POST.getlist(ACTION_CHECKBOX_NAME)):
                    messages.error(request, "所选记录无效，请刷新页面后重新勾选。")
                    return redirect(request.get_full_path())
            return inner(request, *args, **kwargs)

        return checked
