"""The audit trail in the admin: the system administrator may read every step, nobody may add,
change or delete one there (the model and its queryset refuse it too; see review/models.py)."""
from django.contrib import admin

from portal.admin import ReadOnlyAdmin

from .models import FilingStep, ReviewStep

STEP_FIELDS = (
    "action", "from_state", "to_state", "actor", "actor_role", "organisation", "next_org", "opinion", "details",
    "ip_address", "created_at",
)


class AuditStepAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "action", "from_state", "to_state", "actor", "actor_role", "organisation")
    list_filter = ("action", "to_state", "actor_role")
    list_select_related = ("actor", "organisation")
    date_hierarchy = "created_at"
    actions = None  # no “delete selected”


@admin.register(ReviewStep)
class ReviewStepAdmin(AuditStepAdmin):
    list_display = ("declaration", *AuditStepAdmin.list_display)
    list_select_related = ("declaration", *AuditStepAdmin.list_select_related)
    search_fields = ("declaration__business_no", "declaration__name", "actor__name")
    readonly_fields = ("declaration", *STEP_FIELDS)


@admin.register(FilingStep)
class FilingStepAdmin(AuditStepAdmin):
    list_display = ("filing", *AuditStepAdmin.list_display)
    list_select_related = ("filing", *AuditStepAdmin.list_select_related)
    search_fields = ("filing__name", "actor__name")
    readonly_fields = ("filing", *STEP_FIELDS)
