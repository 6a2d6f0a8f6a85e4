from django.contrib import admin

from .models import Generation, Output, PollLease, Reference


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
    ]
    list_filter = ["state", "failure_code", "model", "type", "style", "created_at"]
    search_fields = ["prompt", "upstream_id", "user__username", "failure_reason"]
    date_hierarchy = "created_at"
    list_select_related = ["user"]
    readonly_fields = [
        "upstream_id",
        "request_ids",
        "history",
        "submitted_at",
        "completed_at",
        "submit_claimed_at",
        "submit_attempts",
        "poll_count",
        "last_polled_at",
    ]
    inlines = [ReferenceInline, OutputInline]

    @admin.display(description="prompt")
    def short_prompt(self, obj: Generation) -> str:
        return obj.prompt[:60]


@admin.register(PollLease)
class PollLeaseAdmin(admin.ModelAdmin):
    list_display = ["name", "holder", "expires_at"]
