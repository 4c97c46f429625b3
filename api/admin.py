"""API keys in the admin: readable, never editable. Keys are made and stopped in the portal's
接口密钥 page (it checks who may); the hash is neither shown nor settable here."""
from django.contrib import admin

from core.admin import ReadOnlyAdmin

from .models import ApiKey


@admin.register(ApiKey)
class ApiKeyAdmin(ReadOnlyAdmin):
    list_display = ("organisation", "name", "prefix", "subject_labels", "bureau", "created_at", "last_used_at", "revoked_at")
    list_filter = ("source", "bureau")
    search_fields = ("prefix", "name", "organisation__name")
    list_select_related = ("organisation", "bureau")
    fields = readonly_fields = (
        "organisation", "name", "prefix", "subjects", "bureau", "source", "created_by", "created_at", "last_used_at",
        "revoked_at", "revoked_by",
    )

    @admin.display(description="可报送科目")
    def subject_labels(self, key):
        return key.subject_labels
