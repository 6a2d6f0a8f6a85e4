from django.contrib import admin, messages

from studio.accounts.models import ApiToken

from . import tokens


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Staff see everyone's tokens (never a secret: only a hash is kept) and revoke them."""

    list_display = [
        "name",
        "user",
        "team",
        "hint",
        "created_at",
        "last_used_at",
        "expires_at",
        "revoked_at",
    ]
    list_filter = ["revoked_at"]
    search_fields = ["name", "user__username", "prefix"]
    readonly_fields = [
        "user",
        "name",
        "team",
        "hint",
        "created_at",
        "last_used_at",
        "expires_at",
        "revoked_at",
    ]
    exclude = ["prefix", "digest"]
    actions = ["revoke"]

    def has_add_permission(self, request) -> bool:
        return False  # a token is made by its person (page or command): only they see it

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # revoked, never deleted: generations and the audit log name it

    @admin.action(description="Revoke the selected tokens", permissions=["change"])
    def revoke(self, request, queryset) -> None:
        done = sum(tokens.revoke(token=t, actor=request.user) for t in queryset)
        self.message_user(request, f"{done} token(s) revoked.", messages.SUCCESS)
