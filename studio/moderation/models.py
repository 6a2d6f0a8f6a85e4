from __future__ import annotations

from django.conf import settings
from django.db import models

from studio.generations.models import Generation, GenerationQuerySet


class ModeratedFailureManager(models.Manager.from_queryset(GenerationQuerySet)):
    def get_queryset(self):
        return super().get_queryset().moderated()


class ModeratedFailure(Generation):
    """The generations the provider refused on content grounds: the admin's review queue."""

    objects = ModeratedFailureManager()

    class Meta:
        proxy = True
        verbose_name = "moderated failure"
        verbose_name_plural = "moderated failures"
        # What makes a reviewer: the queue and the inputs of what is in it, nothing else.
        permissions = [("review_moderatedfailure", "Can review moderated failures")]


class Review(models.Model):
    class Decision(models.TextChoices):
        CONFIRMED = "confirmed", "Violation confirmed"
        FALSE_POSITIVE = "false_positive", "False positive"
        NEEDS_FOLLOW_UP = "follow_up", "Needs follow-up"

    generation = models.OneToOneField(
        Generation, on_delete=models.CASCADE, related_name="moderation_review"
    )
    decision = models.CharField(max_length=20, choices=Decision.choices)
    notes = models.TextField(blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.get_decision_display()} for #{self.generation_id}"

    @property
    def shown_to_author(self) -> str:
        """What the person is told of the decision: never the note, nor who made it."""
        if self.decision == self.Decision.FALSE_POSITIVE:
            return "Reviewed: this was a false positive."
        if self.decision == self.Decision.CONFIRMED:
            return "Reviewed: the provider's refusal was confirmed."
        return "Under review."


class Appeal(models.Model):
    """The person's "I think this was a mistake", once per moderated failure."""

    generation = models.OneToOneField(
        Generation, on_delete=models.CASCADE, related_name="moderation_appeal"
    )
    note = models.TextField(blank=True, max_length=2000)
    at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Appeal for #{self.generation_id}"


class SuspensionQuerySet(models.QuerySet):
    def active(self):
        return self.filter(lifted_at__isnull=True)


class Suspension(models.Model):
    """One suspension of a person, from when it began to when it was lifted (if it was).
    The rows are the person's history: a lift closes its row, never deletes it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="suspensions"
    )
    reason = models.TextField()
    suspended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Empty: the system (automatic suspension, a command).",
    )
    suspended_at = models.DateTimeField(auto_now_add=True)
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    lift_reason = models.TextField(blank=True)

    objects = SuspensionQuerySet.as_manager()

    class Meta:
        ordering = ["-suspended_at", "-pk"]
        constraints = [
            # At most one open suspension per person: suspending twice is a no-op.
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(lifted_at__isnull=True),
                name="one_active_suspension_per_user",
            )
        ]

    def __str__(self) -> str:
        state = "lifted" if self.lifted_at else "active"
        return f"Suspension of {self.user} ({state})"


class AuditEntry(models.Model):
    """Who did what to whom, when, with the values before and after. Written through
    `studio.moderation.audit.record`, never changed afterwards."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Who acted; empty for the system (automatic rules, commands).",
    )
    action = models.CharField(max_length=64, db_index=True)
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="audit_entries",
        help_text="The person it was done to.",
    )
    target = models.CharField(max_length=300, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = "audit entry"
        verbose_name_plural = "audit log"

    def __str__(self) -> str:
        return f"{self.action} by {self.actor or 'system'} at {self.at:%Y-%m-%d %H:%M}"
