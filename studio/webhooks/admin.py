from django.contrib import admin

from .models import Attempt, Delivery, Endpoint


@admin.register(Endpoint)
class EndpointAdmin(admin.ModelAdmin):
    """Staff see every endpoint and why one was turned off; the secrets are never shown."""

    list_display = ["url", "user", "created_at", "failing_since", "disabled_at"]
    list_filter = ["disabled_at"]
    search_fields = ["url", "user__username"]
    exclude = ["secret", "previous_secret"]
    readonly_fields = [
        "user",
        "url",
        "events",
        "created_at",
        "failing_since",
        "previous_secret_until",
    ]


class AttemptInline(admin.TabularInline):
    model = Attempt
    extra = 0
    can_delete = False
    fields = ["at", "status", "duration_ms", "error", "excerpt", "replay"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    """The outbox and its log, read-only (a person replays from /settings/webhooks/)."""

    list_display = ["message_id", "event", "endpoint", "state", "attempts", "next_attempt_at"]
    list_filter = ["state", "event"]
    search_fields = ["message_id", "endpoint__url", "endpoint__user__username"]
    inlines = [AttemptInline]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
