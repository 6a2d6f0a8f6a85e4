"""The provider's request budget, shared by every worker: POSTs per minute and jobs in
flight at once (both kept in the database, so every worker and every process sees the
same), and GETs per second (spent only by the one polling loop that holds the lease, so a
bucket in that process is shared by construction).

A row the budget holds back stays `pending`, due again when a slot may be free; the card
says it is waiting for a free slot. The provider's own 429 + Retry-After still applies on
top of this.
"""

from __future__ import annotations

import time
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from . import transitions
from .models import UNSENT, Generation, RequestBudget

POST_BUCKET = "post"


def jobs_in_flight() -> int:
    """Jobs the provider is running for us, plus submits under way (they may be)."""
    return Generation.objects.at_provider().count() + Generation.objects.sending().count()


def free_slots() -> int:
    """How many more jobs may be sent now (a cheap check, before taking a POST token)."""
    limit = settings.UPSTREAM_MAX_CONCURRENT_JOBS
    return max(0, limit - jobs_in_flight()) if limit else 10**6


def take_post() -> float:
    """Spend one POST under the shared budget. 0.0 when it may go now, else the seconds
    to wait before asking again. Call it inside the transaction that claims the row, so
    the concurrency count and the claim are one step for every other worker."""
    per_minute = settings.UPSTREAM_POSTS_PER_MINUTE
    # The bucket row is the lock every worker's claim goes through, limit or not, so the
    # count of jobs in flight cannot change between the check and the claim.
    RequestBudget.objects.get_or_create(name=POST_BUCKET, defaults={"tokens": per_minute})
    bucket = RequestBudget.objects.select_for_update().get(name=POST_BUCKET)
    if settings.UPSTREAM_MAX_CONCURRENT_JOBS and free_slots() <= 0:
        return settings.BUDGET_SLOT_WAIT_SECONDS
    if not per_minute:
        return 0.0
    now = timezone.now()
    bucket.tokens = _refilled(bucket, now)
    bucket.refilled_at = now
    if bucket.tokens < 1.0:
        bucket.save(update_fields=["tokens", "refilled_at"])
        return (1.0 - bucket.tokens) / (per_minute / 60.0)
    bucket.tokens -= 1.0
    bucket.save(update_fields=["tokens", "refilled_at"])
    return 0.0


def sendable_now() -> tuple[int, float]:
    """How many POSTs the budget would allow now, and, when none, the seconds until one
    may: read without a lock, so the loop offers only that many held-back rows (each
    submit still takes its token under the lock) and sleeps until then instead of
    offering every due row every turn."""
    slots = free_slots()
    if slots <= 0:
        return 0, settings.BUDGET_SLOT_WAIT_SECONDS
    per_minute = settings.UPSTREAM_POSTS_PER_MINUTE
    bucket = RequestBudget.objects.filter(name=POST_BUCKET).first()
    if not per_minute or bucket is None:
        return slots, 0.0
    tokens = _refilled(bucket, timezone.now())
    if tokens < 1.0:
        return 0, (1.0 - tokens) / (per_minute / 60.0)
    return min(slots, int(tokens)), 0.0


def _refilled(bucket: RequestBudget, now) -> float:
    """The bucket's tokens at `now`: a burst of up to a tenth of the minute's allowance, so
    a full minute's worth is not sent in one second after a quiet spell."""
    per_minute = settings.UPSTREAM_POSTS_PER_MINUTE
    capacity = max(1.0, per_minute / 10.0)
    elapsed = max(0.0, (now - bucket.refilled_at).total_seconds())
    return min(capacity, bucket.tokens + elapsed * per_minute / 60.0)


def hold_back(generation_id: int, wait: float) -> None:
    """Leave a pending row for the polling loop to send once the budget allows."""
    transitions.touch(
        generation_id, UNSENT, next_attempt_at=timezone.now() + timedelta(seconds=wait)
    )


class GetBucket:
    """GETs per second for the polling loop's process (see the module docstring)."""

    def __init__(self, per_second: float | None = None) -> None:
        self.rate = float(
            per_second if per_second is not None else settings.UPSTREAM_GETS_PER_SECOND
        )
        self.capacity = max(1.0, self.rate)
        self.tokens = self.capacity
        self.at = time.monotonic()

    def available(self) -> int:
        if not self.rate:
            return 10**6
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.at) * self.rate)
        self.at = now
        return int(self.tokens)

    def spend(self) -> None:
        if self.rate:
            self.tokens -= 1.0
