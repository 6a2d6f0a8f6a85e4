from django.contrib import admin

from .models import PIPELINE_FIELDS, Generation, Output, PollLease, Reference

ADMIN_EDITABLE = {"state", "failure_code", "failure_reason", "next_attempt_at", "updated_at"}


class ReferenceInline(admin.TabularInline):
    model = Reference
    extra = 0
    fields = ["role", "position", "file", "url", "media_type", "width", "height", "bytes"]
    readonly_fields = fields


class OutputInline(admin.TabularInline):
    model = Output
    extra = 0
    fields = ["position", "file", "thumbnail", "media_type", "width", "height", "bytes"]
    readonly_fields = fields


@admin.register(Generation)
class GenerationAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "user",
        "short_prompt",
        "type",
        "model",
        "state",
        "failure_code",
        "created_at",
        "completed_at",
        "estimated_price",
        "via",
    ]
    list_filter = ["state", "failure_code", "model", "type", "style", "created_at"]
    search_fields = ["prompt", "upstream_id", "user__username", "failure_reason"]
    date_hierarchy = "created_at"
    list_select_related = ["user", "api_token"]
    # What the pipeline keeps for itself, shown but never edited here; the state, failure
    # and next attempt stay editable so that an admin can unstick a row by hand.
    readonly_fields = [f for f in PIPELINE_FIELDS if f not in ADMIN_EDITABLE]
    inlines = [ReferenceInline, OutputInline]

    @admin.display(description="prompt")
    def short_prompt(self, obj: Generation) -> str:
        return obj.prompt[:60]

    @admin.display(description="via")
    def via(self, obj: Generation) -> str:
        return obj.via_label or "web"


@admin.register(PollLease)
class PollLeaseAdmin(admin.ModelAdmin):
    list_display = ["name", "holder", "expires_at"]
