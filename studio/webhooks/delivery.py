"""Sending the outbox: claim a due delivery, sign it, POST it, log the attempt, and decide
what comes next (done, retry later, give up, disable the endpoint)."""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from . import notify, sender
from .models import Attempt, Delivery, Endpoint

log = logging.getLogger(__name__)

# How long a sender owns a claimed row: above the POST's own time limit, so a row is never
# sent by two workers at once unless its first sender died.
CLAIM_SECONDS = 60


def due(now=None):
    now = now or timezone.now()
    return Delivery.objects.filter(state=Delivery.State.PENDING, next_attempt_at__lte=now).filter(
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    )


def claim(delivery_id: int) -> Delivery | None:
    """Take one due delivery for this worker; None when it is not due or another has it. The
    conditional UPDATE decides, so two workers never both send one attempt."""
    now = timezone.now()
    claimed = (
        due(now).filter(pk=delivery_id).update(claimed_until=now + timedelta(seconds=CLAIM_SECONDS))
    )
    if not claimed:
        return None
    return Delivery.objects.select_related("endpoint__user").get(pk=delivery_id)


def attempt(delivery: Delivery, *, replay: bool = False) -> Attempt:
    """One POST of `delivery` and what follows from its answer."""
    endpoint = delivery.endpoint
    now = timezone.now()
    headers = sender.signed_headers(
        delivery.message_id, now, delivery.body, endpoint.signing_secrets(now)
    )
    result = sender.post(endpoint.url, headers, delivery.body)
    with transaction.atomic():
        logged = Attempt.objects.create(
            delivery=delivery,
            at=now,
            status=result.status,
            duration_ms=result.duration_ms,
            error=result.error[:300],
            excerpt=result.excerpt[:500],
            replay=replay,
        )
        delivery.attempts += 1
        delivery.claimed_until = None
        if result.ok:
            delivery.state = Delivery.State.DELIVERED
            delivery.delivered_at = timezone.now()
            delivery.next_attempt_at = None
            Endpoint.objects.filter(pk=endpoint.pk).update(failing_since=None)
        elif result.status == 410:
            _disable(endpoint, "The endpoint answered 410 Gone.")
            delivery.state = Delivery.State.FAILED
            delivery.next_attempt_at = None
        else:
            if not replay:
                _schedule_retry(delivery)
            _note_failure(endpoint, now)
        delivery.save(
            update_fields=["attempts", "claimed_until", "state", "delivered_at", "next_attempt_at"]
        )
    log.info(
        "webhook %s to endpoint %s: %s in %d ms",
        delivery.message_id,
        endpoint.pk,
        result.status or result.error,
        result.duration_ms,
    )
    return logged


def _schedule_retry(delivery: Delivery) -> None:
    schedule = settings.WEBHOOK_RETRY_SCHEDULE
    # attempts counts the one just made: after the first, the first retry's delay applies.
    if delivery.attempts <= len(schedule):
        delay = schedule[delivery.attempts - 1]
        delivery.next_attempt_at = timezone.now() + timedelta(seconds=delay)
    else:
        delivery.state = Delivery.State.FAILED
        delivery.next_attempt_at = None


def _note_failure(endpoint: Endpoint, now) -> None:
    """Start, or extend, the endpoint's run of failures; a run as long as
    WEBHOOK_DISABLE_AFTER_SECONDS disables it (a success ends the run)."""
    fresh = Endpoint.objects.get(pk=endpoint.pk)
    if fresh.failing_since is None:
        Endpoint.objects.filter(pk=endpoint.pk, failing_since__isnull=True).update(
            failing_since=now
        )
        return
    if fresh.disabled_at is None and now - fresh.failing_since >= timedelta(
        seconds=settings.WEBHOOK_DISABLE_AFTER_SECONDS
    ):
        days = settings.WEBHOOK_DISABLE_AFTER_SECONDS / 86400
        _disable(fresh, f"Every delivery failed for {days:g} days.")


def _disable(endpoint: Endpoint, reason: str) -> None:
    """Disable `endpoint` (once), give up its waiting deliveries, and tell its person."""
    changed = Endpoint.objects.filter(pk=endpoint.pk, disabled_at__isnull=True).update(
        disabled_at=timezone.now(), disabled_reason=reason[:300]
    )
    if not changed:
        return
    Delivery.objects.filter(endpoint=endpoint, state=Delivery.State.PENDING).update(
        state=Delivery.State.FAILED, next_attempt_at=None
    )
    transaction.on_commit(lambda: notify.endpoint_disabled(endpoint.pk))


def deliver(delivery_id: int) -> str:
    """Send one delivery now; a first retry due within WEBHOOK_INLINE_RETRY_SECONDS is made
    in the same task (django-q2 cannot enqueue for later, and its schedules run once a
    minute), later ones are left to the sweep."""
    outcome = "not due"
    while True:
        delivery = claim(delivery_id)
        if delivery is None:
            return outcome
        logged = attempt(delivery)
        outcome = str(logged.status or logged.error)
        delivery.refresh_from_db(fields=["state", "next_attempt_at"])
        if delivery.state != Delivery.State.PENDING or delivery.next_attempt_at is None:
            return outcome
        wait = (delivery.next_attempt_at - timezone.now()).total_seconds()
        if wait > settings.WEBHOOK_INLINE_RETRY_SECONDS:
            return outcome
        time.sleep(max(0.0, wait))


def send_due(*, limit: int = 200) -> int:
    """Send every due delivery (the sweep): what a lost task or a restarted worker left."""
    sent = 0
    for pk in due().order_by("next_attempt_at").values_list("pk", flat=True)[:limit]:
        delivery = claim(pk)
        if delivery is not None:
            attempt(delivery)
            sent += 1
    return sent


def prune(now=None, *, batch: int = 500) -> int:
    """Delete finished deliveries (and their attempt log) older than WEBHOOK_KEEP_DAYS, so the
    outbox does not grow without end; a pending one is kept whatever its age. In batches, so
    a first prune after months deletes without holding every row in memory at once."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.WEBHOOK_KEEP_DAYS)
    old = Delivery.objects.filter(
        state__in=[Delivery.State.DELIVERED, Delivery.State.FAILED], created_at__lt=cutoff
    )
    pruned = 0
    while pks := list(old.values_list("pk", flat=True)[:batch]):
        Attempt.objects.filter(delivery_id__in=pks).delete()
        pruned += Delivery.objects.filter(pk__in=pks).delete()[0]
    return pruned


def replay_now(delivery_id: int) -> str:
    now = timezone.now()
    taken = (
        Delivery.objects.filter(pk=delivery_id)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .update(claimed_until=now + timedelta(seconds=CLAIM_SECONDS))
    )
    if not taken:
        return "busy"
    delivery = Delivery.objects.select_related("endpoint__user").get(pk=delivery_id)
    if not delivery.endpoint.active:
        Delivery.objects.filter(pk=delivery_id).update(claimed_until=None)
        return "endpoint disabled"
    logged = attempt(delivery, replay=True)
    return str(logged.status or logged.error)
