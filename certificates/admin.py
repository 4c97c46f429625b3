"""Issued certificates in the admin: readable, never editable (a certificate is immutable once issued)."""
from django.contrib import admin

from core.admin import ReadOnlyAdmin

from .models import Certificate, CertificateEvent


class EventInline(admin.TabularInline):
    model = CertificateEvent
    fields = ("created_at", "action", "actor", "ip_address", "details")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Certificate)
class CertificateAdmin(ReadOnlyAdmin):
    list_display = ("number", "applicant", "start_year", "end_year", "bureau", "status", "issued_at")
    list_filter = ("status", "bureau")
    search_fields = ("number", "sha256", "applicant__name")
    list_select_related = ("applicant", "bureau")
    readonly_fields = (
        "number", "applicant", "organisation", "bureau", "start_year", "end_year", "status", "superseded_by", "superseded_at",
        "revoked_at", "revoked_reason", "facts", "fingerprint", "verify_url", "sha256", "size", "signer", "issued_at", "issued_by",
    )
    exclude = ("pdf",)
    inlines = [EventInline]
