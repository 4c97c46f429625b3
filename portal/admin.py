"""Admin pieces shared by the apps."""
from django.contrib import admin

from .forms import policed_form


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
    (portal/forms.py), as every form of the portal is."""

    def get_form(self, request, obj=None, **kwargs):
        return policed_form(super().get_form(request, obj, **kwargs))

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.form = policed_form(formset.form)
        return formset
