from __future__ import annotations

from django.conf import settings
from django.db import models

from studio.generations.models import Generation, State

MODERATED = "content_moderated"


class ModeratedFailureManager(models.Manager):
    def get_queryset(self):
        return super().get_queryset().filter(state=State.FAILED, failure_code=MODERATED)


class ModeratedFailure(Generation):
    """The generations the provider refused on content grounds: the admin's review queue."""

    objects = ModeratedFailureManager()

    class Meta:
        proxy = True
        verbose_name = "moderated failure"
        verbose_name_plural = "moderated failures"


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
