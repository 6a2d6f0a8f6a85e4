"""Operators see every public link (who made it, what it points at, expiry, views) and may
revoke one that is abused: a deletion here is a revoke, audited like the owner's own. The
address itself is not shown (it is the owner's to pass on), and nothing here edits a link."""

from __future__ import annotations

from django.contrib import admin

from . import services
from .models import PublicLink


@admin.register(PublicLink)
class PublicLinkAdmin(admin.ModelAdmin):
    list_display = ["pk", "user", "kind", "generation", "collection", "created_at", "expires_at"]
    list_display += ["views", "show_prompt"]
    list_filter = ["show_prompt", "created_at"]
    search_fields = ["user__username"]
    list_select_related = ["user", "generation", "collection"]
    fields = ["user", "generation", "collection", "show_prompt", "created_at", "expires_at"]
    fields += ["views"]
    readonly_fields = fields

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def delete_model(self, request, obj: PublicLink) -> None:
        services.revoke_link(link=obj, by=request.user)

    def delete_queryset(self, request, queryset) -> None:
        for link in queryset:
            services.revoke_link(link=link, by=request.user)
