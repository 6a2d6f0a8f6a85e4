"""The review queue (moderated failures): filters, the decision form and bulk decisions.
Only staff holding `moderation.review_moderatedfailure` (the Reviewers group) see it;
superusers see everything."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.db.models import Case, Count, F, IntegerField, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from studio.accounts.models import upstream_user_id_for
from studio.generations.access import is_reviewer
from studio.generations.models import MODERATED, Generation

from .. import review, suspension
from ..models import ModeratedFailure, Review

RECENT = timedelta(days=30)


def _reviewer(request) -> bool:
    return request.user.is_active and (request.user.is_superuser or is_reviewer(request.user))


class ReviewedFilter(admin.SimpleListFilter):
    title = "review status"
    parameter_name = "review"

    def lookups(self, request, model_admin):
        return [
            ("todo", "Not reviewed"),
            ("appealed", "Appealed, awaiting review"),
            ("done", "Reviewed"),
        ] + list(Review.Decision.choices)  # the old ?review=<decision> links keep working

    def queryset(self, request, queryset):
        value = self.value()
        if value == "todo":
            return queryset.filter(moderation_review__isnull=True)
        if value == "appealed":
            return queryset.filter(appeal_waiting=1)
        if value == "done":
            return queryset.filter(moderation_review__isnull=False)
        if value in Review.Decision.values:
            return queryset.filter(moderation_review__decision=value)
        return queryset


class DecisionFilter(admin.SimpleListFilter):
    title = "decision"
    parameter_name = "decision"

    def lookups(self, request, model_admin):
        return list(Review.Decision.choices)

    def queryset(self, request, queryset):
        if self.value() in Review.Decision.values:
            return queryset.filter(moderation_review__decision=self.value())
        return queryset


class ReviewInline(admin.StackedInline):
    model = Review
    fk_name = "generation"
    extra = 1
    max_num = 1
    can_delete = False
    fields = ["decision", "notes", "reviewed_by", "reviewed_at"]
    readonly_fields = ["reviewed_by", "reviewed_at"]
    verbose_name = "decision"

    def has_view_permission(self, request, obj=None) -> bool:
        return _reviewer(request)

    has_add_permission = has_change_permission = has_view_permission

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class DecisionActionForm(ActionForm):
    note = forms.CharField(required=False, label="Note", max_length=2000)


def _decide(decision: str, label: str):
    @admin.action(description=f"Mark selected as: {label}")
    def action(modeladmin, request, queryset):
        note = request.POST.get("note", "")
        items = list(queryset.select_related("user"))
        for gen in items:
            review.decide(generation=gen, decision=decision, note=note, reviewer=request.user)
        modeladmin.message_user(request, f"{len(items)} marked as {label}.", messages.SUCCESS)

    action.__name__ = f"mark_{decision}"
    return action


class ReviewItemForm(forms.ModelForm):
    suspend_author = forms.BooleanField(
        required=False,
        label="Suspend this person",
        help_text="They keep their gallery and files but can no longer generate.",
    )
    suspension_reason = forms.CharField(required=False, max_length=500, label="Reason")

    class Meta:
        model = ModeratedFailure
        fields: list[str] = []


@admin.register(ModeratedFailure)
class ModeratedFailureAdmin(admin.ModelAdmin):
    """The review queue: appealed first, then what nobody has judged yet, oldest first."""

    form = ReviewItemForm
    action_form = DecisionActionForm
    list_display = [
        "id",
        "created_at",
        "user",
        "team",
        "short_prompt",
        "short_reason",
        "via",
        "user_moderated_count",
        "review_state",
        "detail_link",
    ]
    list_display_links = ["id", "short_prompt"]
    list_filter = [
        ReviewedFilter,
        DecisionFilter,
        "model",
        ("team", admin.RelatedOnlyFieldListFilter),
        "created_at",
    ]
    search_fields = ["prompt", "user__username", "failure_reason", "upstream_id"]
    list_select_related = ["user", "team", "api_token", "moderation_review", "moderation_appeal"]
    inlines = [ReviewInline]

    class Media:
        # Long unbroken prompts and reasons wrap, so the Review column stays on screen.
        css = {"all": ["css/admin-queue.css"]}

    actions = [_decide(value, label) for value, label in Review.Decision.choices]
    readonly_fields = [
        "person",
        "via",
        "end_user",
        "upstream_user_id",
        "team",
        "prompt",
        "type",
        "model",
        "style",
        "aspect_ratio",
        "failure_reason",
        "upstream_id",
        "request_ids",
        "inputs_preview",
        "appeal",
        "recent_failures",
        "person_suspension",
        "detail_link",
        "created_at",
    ]
    fields = readonly_fields + ["suspend_author", "suspension_reason"]

    def get_queryset(self, request):
        since = timezone.now() - RECENT
        # A subquery per row shown, not a join of every row in the queue with all of its
        # author's generations grouped back together: a prolific author made each of their
        # queue rows cost their whole history, and the paginator's count did it all again.
        recent = (
            Generation.objects.filter(
                user=OuterRef("user"), failure_code=MODERATED, created_at__gte=since
            )
            .order_by()
            .values("user")
            .annotate(n=Count("pk"))
            .values("n")
        )
        moderated_recently = Coalesce(Subquery(recent, output_field=IntegerField()), 0)
        # An appeal nobody has answered since it was made puts the item first.
        waiting = Case(
            When(
                Q(moderation_appeal__isnull=False)
                & (
                    Q(moderation_review__isnull=True)
                    | Q(moderation_review__reviewed_at__lt=F("moderation_appeal__at"))
                ),
                then=Value(1),
            ),
            default=Value(0),
            output_field=IntegerField(),
        )
        return (
            super()
            .get_queryset(request)
            .annotate(user_moderated=moderated_recently, appeal_waiting=waiting)
        )

    def get_ordering(self, request):
        # (Not `ordering`: the admin's check cannot see the annotation.)
        return [
            F("appeal_waiting").desc(),
            F("moderation_review").asc(nulls_first=True),
            "created_at",
        ]

    def has_module_permission(self, request) -> bool:
        return _reviewer(request)

    def has_view_permission(self, request, obj=None) -> bool:
        return _reviewer(request)

    def has_change_permission(self, request, obj=None) -> bool:
        # "Change" is deciding and suspending: the generation itself stays as it was.
        return _reviewer(request)

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change):
        # Nothing of the generation is editable; the form only carries the suspension.
        if form.cleaned_data.get("suspend_author"):
            suspension.suspend(
                user=obj.user,
                by=request.user,
                reason=form.cleaned_data.get("suspension_reason")
                or f"content violation (moderated failure #{obj.pk})",
            )
            # The admin capitalises a message's first letter: the username must not come first.
            self.message_user(request, f"Suspended {obj.user}.", messages.WARNING)

    def save_formset(self, request, form, formset, change):
        # Decisions go through review.decide (audit, automatic suspension), not formset.save;
        # the admin's change message still looks for what a save would have set.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for inline_form in formset.forms:
            data = getattr(inline_form, "cleaned_data", None) or {}
            if not inline_form.has_changed() or not data.get("decision"):
                continue
            review.decide(
                generation=form.instance,
                decision=data["decision"],
                note=data.get("notes", ""),
                reviewer=request.user,
            )

    @admin.display(description="prompt")
    def short_prompt(self, obj) -> str:
        return obj.prompt[:80]

    # Long unbroken prompts and reasons pushed the Review column off a 1440 px screen.
    @admin.display(description="failure reason")
    def short_reason(self, obj) -> str:
        reason = obj.failure_reason or ""
        return reason if len(reason) <= 80 else reason[:79] + "…"

    @admin.display(description="moderated (30 days)", ordering="user_moderated")
    def user_moderated_count(self, obj) -> int:
        return obj.user_moderated

    @admin.display(description="review")
    def review_state(self, obj) -> str:
        review_row = getattr(obj, "moderation_review", None)
        state = review_row.get_decision_display() if review_row else "Not reviewed"
        return f"Appealed · {state}" if obj.appeal_waiting else state

    @admin.display(description="studio page")
    def detail_link(self, obj) -> str:
        url = reverse("generation-detail", args=[obj.pk])
        return format_html('<a href="{}" target="_blank" rel="noopener">Open #{}</a>', url, obj.pk)

    @admin.display(description="person")
    def person(self, obj) -> str:
        url = reverse("admin:auth_user_change", args=[obj.user_id])
        return format_html('<a href="{}">{}</a>', url, obj.user.get_username())

    @admin.display(description="upstream user_id")
    def upstream_user_id(self, obj) -> str:
        # The opaque id the provider knows this person by: what its reports refer to.
        return upstream_user_id_for(obj.user, end_user=obj.end_user)

    @admin.display(description="via")
    def via(self, obj) -> str:
        # Made through the JSON API: which token; the end-user its caller named is beside it.
        return obj.via_label or "web"

    @admin.display(description="appeal")
    def appeal(self, obj) -> str:
        appeal = getattr(obj, "moderation_appeal", None)
        if appeal is None:
            return "—"
        return format_html("{} · {}", f"{appeal.at:%Y-%m-%d %H:%M}", appeal.note or "(no note)")

    @admin.display(description="their moderated failures, last 30 days")
    def recent_failures(self, obj) -> str:
        since = timezone.now() - RECENT
        others = ModeratedFailure.objects.filter(user=obj.user, created_at__gte=since).order_by(
            "-created_at"
        )
        items = [
            (
                reverse("admin:moderation_moderatedfailure_change", args=[g.pk]),
                f"#{g.pk} {g.created_at:%Y-%m-%d}: {g.prompt[:60]}",
            )
            for g in others[:50]
        ]
        return format_html_join(mark_safe("<br>"), '<a href="{}">{}</a>', items) or "—"

    @admin.display(description="suspension")
    def person_suspension(self, obj) -> str:
        current = suspension.active_suspension(obj.user)
        if current is None:
            return "Not suspended"
        return format_html(
            "<strong>Suspended</strong> since {}: {}",
            f"{current.suspended_at:%Y-%m-%d %H:%M}",
            current.reason,
        )

    @admin.display(description="inputs")
    def inputs_preview(self, obj) -> str:
        items = []
        for ref in obj.inputs.all():
            label = ref.get_role_display()
            if ref.file:
                url = reverse("input-file", args=[obj.pk, ref.pk])
                thumb = format_html('<img src="{}" height="96" alt="{}">', url, label)
                items.append((url, label, thumb))
            else:
                items.append((ref.url, label, ref.url))
        if not items:
            return "—"
        return format_html_join(
            " ",
            '<a href="{}" target="_blank" rel="noopener" title="{}">{}</a>',
            items,
        )
