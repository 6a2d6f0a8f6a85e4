from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import Count, F, Q
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from studio.accounts.models import Profile

from .models import MODERATED, AuditEntry, ModeratedFailure, Review


class ReviewedFilter(admin.SimpleListFilter):
    title = "review"
    parameter_name = "review"

    def lookups(self, request, model_admin):
        return [("todo", "Not reviewed"), ("done", "Reviewed")] + list(Review.Decision.choices)

    def queryset(self, request, queryset):
        value = self.value()
        if value == "todo":
            return queryset.filter(moderation_review__isnull=True)
        if value == "done":
            return queryset.filter(moderation_review__isnull=False)
        if value in Review.Decision.values:
            return queryset.filter(moderation_review__decision=value)
        return queryset


class ReviewInline(admin.StackedInline):
    model = Review
    fk_name = "generation"
    extra = 1
    max_num = 1
    fields = ["decision", "notes", "reviewed_by", "reviewed_at"]
    readonly_fields = ["reviewed_by", "reviewed_at"]


def _decide(decision: str, label: str):
    @admin.action(description=f"Mark selected as: {label}")
    def action(modeladmin, request, queryset):
        for gen in queryset:
            Review.objects.update_or_create(
                generation=gen, defaults={"decision": decision, "reviewed_by": request.user}
            )
        modeladmin.message_user(request, f"{queryset.count()} marked as {label}.", messages.SUCCESS)

    action.__name__ = f"mark_{decision}"
    return action


@admin.register(ModeratedFailure)
class ModeratedFailureAdmin(admin.ModelAdmin):
    """The review queue: oldest unreviewed first, with what an admin needs to judge."""

    list_display = [
        "id",
        "created_at",
        "user",
        "short_prompt",
        "short_reason",
        "user_moderated_count",
        "review_state",
        "detail_link",
    ]
    list_filter = [ReviewedFilter, "model", "type", "created_at"]
    search_fields = ["prompt", "failure_reason", "user__username", "upstream_id"]
    list_select_related = ["user", "moderation_review"]
    # The queue: what nobody has judged yet comes first, oldest first.
    ordering = [F("moderation_review").asc(nulls_first=True), "created_at"]
    inlines = [ReviewInline]

    class Media:
        # Long unbroken prompts and reasons wrap, so the Review column stays on screen.
        css = {"all": ["css/admin-queue.css"]}

    actions = [_decide(value, label) for value, label in Review.Decision.choices]
    fields = [
        "user",
        "upstream_user_id",
        "prompt",
        "type",
        "model",
        "style",
        "aspect_ratio",
        "failure_reason",
        "upstream_id",
        "request_ids",
        "inputs_preview",
        "created_at",
    ]
    readonly_fields = fields

    def get_queryset(self, request):
        moderated_by_user = Count(
            "user__generations",
            filter=Q(user__generations__failure_code=MODERATED),
            distinct=True,
        )
        return super().get_queryset(request).annotate(user_moderated=moderated_by_user)

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_formset(self, request, form, formset, change):
        for review in formset.save(commit=False):
            review.reviewed_by = request.user
            review.save()
        formset.save_m2m()

    @admin.display(description="prompt")
    def short_prompt(self, obj) -> str:
        return obj.prompt[:80]

    # Long unbroken prompts and reasons pushed the Review column off a 1440 px screen.
    @admin.display(description="failure reason")
    def short_reason(self, obj) -> str:
        reason = obj.failure_reason or ""
        return reason if len(reason) <= 80 else reason[:79] + "…"

    @admin.display(description="open")
    def detail_link(self, obj) -> str:
        url = reverse("generation-detail", args=[obj.pk])
        return format_html('<a href="{}">Open #{}</a>', url, obj.pk)

    @admin.display(description="moderated (user total)", ordering="user_moderated")
    def user_moderated_count(self, obj) -> int:
        return obj.user_moderated

    @admin.display(description="review")
    def review_state(self, obj) -> str:
        review = getattr(obj, "moderation_review", None)
        return review.get_decision_display() if review else "Not reviewed"

    @admin.display(description="upstream user_id")
    def upstream_user_id(self, obj) -> str:
        # The opaque id the provider knows this person by: what its reports refer to.
        profile = Profile.objects.filter(user=obj.user).first()
        return str(profile.upstream_user_id) if profile else "—"

    @admin.display(description="inputs")
    def inputs_preview(self, obj) -> str:
        items = []
        for ref in obj.inputs.all():
            if ref.file:
                url = reverse("input-file", args=[obj.pk, ref.pk])
                items.append((url, format_html('<img src="{}" height="96" alt="">', url)))
            else:
                items.append((ref.url, ref.url))
        if not items:
            return "—"
        return format_html_join(" ", '<a href="{}" target="_blank" rel="noopener">{}</a>', items)


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
