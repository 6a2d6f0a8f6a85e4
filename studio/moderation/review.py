"""Review decisions on moderated failures, and what follows from them (automatic
suspension after `STUDIO_AUTO_SUSPEND_AFTER` confirmed violations in 30 days)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from studio.core import audit
from studio.generations.models import Generation

from . import suspension
from .models import Review

WINDOW = timedelta(days=30)


def _state(review: Review | None) -> dict | None:
    if review is None:
        return None
    return {"decision": review.decision, "notes": review.notes}


def decide(*, generation: Generation, decision: str, note: str, reviewer) -> Review:
    """Record (or change) the decision on one moderated failure: who, when, the note."""
    if decision not in Review.Decision.values:
        raise ValueError(f"unknown decision {decision!r}")
    with transaction.atomic():
        review = Review.objects.select_for_update().filter(generation=generation).first()
        before = _state(review)
        if review is None:
            review = Review(generation=generation)
        if before == {"decision": decision, "notes": note} and review.reviewed_by_id:
            return review  # nothing changed: no new audit row
        review.decision = decision
        review.notes = note
        review.reviewed_by = reviewer
        review.save()
        audit.record(
            actor=reviewer,
            action="review.decide",
            subject=generation.user,
            target=generation,
            before=before,
            after=_state(review),
        )
        if decision == Review.Decision.CONFIRMED:
            maybe_auto_suspend(generation.user)
    return review


def confirmed_recently(user) -> int:
    since = timezone.now() - WINDOW
    return Review.objects.filter(
        generation__user=user,
        decision=Review.Decision.CONFIRMED,
        generation__created_at__gte=since,
    ).count()


def maybe_auto_suspend(user) -> None:
    limit = settings.STUDIO_AUTO_SUSPEND_AFTER
    if not limit:
        return
    count = confirmed_recently(user)
    if count >= limit:
        suspension.suspend(
            user=user,
            by=None,
            reason=(
                f"automatic: {count} confirmed content violations in the last 30 days "
                f"(limit {limit})"
            ),
            action="suspension.auto",
        )
