"""Suspending a person: what it stops (new submissions) and what it keeps (their gallery,
their files, jobs already at the provider).

`check_may_submit(user)` is the submission gate's first check (settings.SUBMISSION_CHECKS),
asked by every create, retry and remix path before saving anything; it raises `Suspended`,
which the composer answers with 403 and the API with its own refusal.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from studio.core import audit
from studio.generations import pipeline
from studio.generations.gate import SubmissionRefused
from studio.generations.models import Generation

from .models import Suspension

SUSPENDED = "suspended"


class Suspended(SubmissionRefused):
    """A submission refused because its author is suspended."""

    def __init__(self, suspension: Suspension) -> None:
        self.suspension = suspension
        super().__init__(SUSPENDED, message_for(suspension))


def message_for(suspension: Suspension) -> str:
    # A reason is typed as a sentence or not ("example." or "example"): one full stop.
    reason = suspension.reason.strip().rstrip(".!;: ")
    return (
        f"Your account is suspended: {reason}. You can still see your gallery "
        "and download your images, but you cannot generate new ones. Contact an admin."
    )


def active_suspension(user) -> Suspension | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return Suspension.objects.active().filter(user=user).first()


def check_may_submit(user) -> None:
    """Raise Suspended when `user` may not submit a generation now."""
    if suspension := active_suspension(user):
        raise Suspended(suspension)


def send_check(generation: Generation) -> tuple[str, str] | None:
    """Refuse to send a saved job whose author is suspended now (STUDIO_SEND_CHECKS: asked
    under the submit's claim, just before the POST), so a job that was claimed when the
    suspension came (and then answered 429, say) is never sent after it."""
    if active_suspension(generation.user) is not None:
        return SUSPENDED, SUSPENDED
    return None


def _state(suspension: Suspension | None) -> dict | None:
    if suspension is None:
        return None
    return {"suspended": True, "reason": suspension.reason}


def suspend(*, user, by, reason: str, action: str = "suspension.suspend") -> Suspension:
    """Suspend `user` (no-op when already suspended: the open suspension is returned) and
    fail their jobs not yet sent. Jobs already at the provider finish as usual."""
    reason = reason.strip() or "suspended by an admin"
    with transaction.atomic():
        if current := active_suspension(user):
            return current
        actor = by if getattr(by, "is_authenticated", False) else None
        try:
            with transaction.atomic():
                suspension = Suspension.objects.create(user=user, reason=reason, suspended_by=actor)
        except IntegrityError:
            # Two suspensions at once: the other one won.
            return active_suspension(user)
        failed = fail_pending(user)
        audit.record(
            actor=actor,
            action=action,
            subject=user,
            target=suspension,
            before=None,
            after={**_state(suspension), "pending_failed": failed},
        )
    return suspension


def fail_pending(user) -> list[int]:
    """Fail the person's jobs that were never sent (those at the provider finish)."""
    return pipeline.fail_unsent(Generation.objects.filter(user=user), SUSPENDED, SUSPENDED)


def lift(*, user, by, reason: str = "") -> Suspension | None:
    """Lift the person's suspension (None when they were not suspended)."""
    with transaction.atomic():
        suspension = Suspension.objects.select_for_update().active().filter(user=user).first()
        if suspension is None:
            return None
        actor = by if getattr(by, "is_authenticated", False) else None
        suspension.lifted_at = timezone.now()
        suspension.lifted_by = actor
        suspension.lift_reason = reason.strip()
        suspension.save(update_fields=["lifted_at", "lifted_by", "lift_reason"])
        audit.record(
            actor=actor,
            action="suspension.lift",
            subject=user,
            target=suspension,
            before=_state(suspension),
            after={"suspended": False, "reason": suspension.lift_reason},
        )
    return suspension
