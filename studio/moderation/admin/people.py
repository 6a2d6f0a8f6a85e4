"""The person's admin page: Django's User admin with suspensions added (their history, and
suspending or lifting from the page)."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.utils.html import format_html

from .. import suspension
from ..models import Suspension

User = get_user_model()


class SuspensionInline(admin.TabularInline):
    """Every suspension and lift of this person: who, when, why. History, never edited."""

    model = Suspension
    fk_name = "user"
    extra = 0
    can_delete = False
    fields = ["suspended_at", "suspended_by", "reason", "lifted_at", "lifted_by", "lift_reason"]
    readonly_fields = fields
    verbose_name_plural = "suspensions (history)"

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class PersonChangeForm(UserChangeForm):
    suspension_action = forms.ChoiceField(
        required=False,
        choices=[("", "—"), ("suspend", "Suspend"), ("lift", "Lift the suspension")],
        label="Suspension",
    )
    suspension_reason = forms.CharField(required=False, max_length=500, label="Reason")


admin.site.unregister(User)


@admin.register(User)
class PersonAdmin(UserAdmin):
    form = PersonChangeForm
    inlines = [*UserAdmin.inlines, SuspensionInline]
    fieldsets = [
        *UserAdmin.fieldsets,
        (
            "Suspension",
            {"fields": ["suspension_status", "suspension_action", "suspension_reason"]},
        ),
    ]
    readonly_fields = [*UserAdmin.readonly_fields, "suspension_status"]

    @admin.display(description="now")
    def suspension_status(self, obj) -> str:
        current = suspension.active_suspension(obj) if obj and obj.pk else None
        if current is None:
            return "Not suspended"
        return format_html("<strong>Suspended</strong>: {}", current.reason)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        action = form.cleaned_data.get("suspension_action")
        reason = form.cleaned_data.get("suspension_reason", "")
        if action == "suspend":
            suspension.suspend(user=obj, by=request.user, reason=reason)
        elif action == "lift":
            suspension.lift(user=obj, by=request.user, reason=reason)
