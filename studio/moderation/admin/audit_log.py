"""The audit log in the admin (/admin/moderation/auditentry/), read-only."""

from __future__ import annotations

from django.contrib import admin

from ..models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """The audit log, read-only: what was done stays as it was written."""

    list_display = ["at", "actor", "action", "subject", "target", "before", "after"]
    list_filter = [
        ("actor", admin.RelatedOnlyFieldListFilter),
        "action",
        ("subject", admin.RelatedOnlyFieldListFilter),
        "at",
    ]
    search_fields = ["actor__username", "subject__username", "target", "action"]
    list_select_related = ["actor", "subject"]
    date_hierarchy = "at"
    fields = ["at", "actor", "action", "subject", "target", "before", "after"]
    readonly_fields = fields

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
