"""django-q2 tasks. Each is a trigger that moves rows along; the row is the source of truth.

Any task may run twice or never: `submit` claims its row with a conditional UPDATE, the
polling loop runs under a lease, and the once-a-minute `watchdog` re-drives what was lost.
"""

from __future__ import annotations

import logging
import time
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from studio.upstream.client import get_client, new_request_id
from studio.upstream.errors import DownloadError, UnknownOutcome, UpstreamError

from . import queue, services
from .models import IN_FLIGHT, Generation, PollLease, State

log = logging.getLogger("studio.generations")

LEASE_NAME = "poller"

# Synchronous statuses of a POST that end the job, and the failure code each maps to.
SUBMIT_FAILURE_CODES = {
    401: "access_denied",
    402: "budget_exhausted",
    403: "access_denied",
    413: "image_too_large",
}


# The columns the pipeline owns. Saving only these means a worker never overwrites what a
# person changed meanwhile (a favourite star, a team).
PIPELINE_FIELDS = [
    "state",
    "failure_code",
    "failure_reason",
    "request_ids",
    "history",
    "upstream_id",
    "submitted_at",
    "completed_at",
    "submit_claimed_at",
    "submit_attempts",
    "next_attempt_at",
    "poll_count",
    "last_polled_at",
    "updated_at",
]


def _save(gen: Generation) -> None:
    gen.save(update_fields=PIPELINE_FIELDS)


# --- submit ---------------------------------------------------------------------------


def submit(generation_id: int) -> str:
    """POST one pending row upstream, at most once."""
    now = timezone.now()
    claimed = Generation.objects.filter(
        pk=generation_id, state=State.PENDING, submit_claimed_at__isnull=True, upstream_id=""
    ).update(submit_claimed_at=now, submit_attempts=F("submit_attempts") + 1)
    if not claimed:
        return "not claimable"
    gen = Generation.objects.select_related("user").get(pk=generation_id)
    request_id = new_request_id()
    try:
        body = services.request_body(gen)
        answer = get_client().create_generation(body, request_id=request_id)
    except UnknownOutcome as exc:
        services.note_request(gen, "POST", exc.request_id or request_id, None)
        services.fail(
            gen,
            "submit_interrupted",
            f"{exc.detail}. The job may or may not have been created upstream.",
        )
        _save(gen)
        return "unknown outcome"
    except UpstreamError as exc:
        services.note_request(gen, "POST", exc.request_id or request_id, exc.status)
        if exc.retryable and gen.submit_attempts < settings.UPSTREAM_SUBMIT_MAX_ATTEMPTS:
            delay = (
                exc.retry_after if exc.retry_after is not None else _backoff(gen.submit_attempts)
            )
            gen.submit_claimed_at = None
            gen.next_attempt_at = timezone.now() + timedelta(seconds=delay)
            _save(gen)
            log.info(
                "generation %s: submit answered %s, retrying in %.1fs", gen.pk, exc.status, delay
            )
            ensure_poller()
            return f"retry in {delay}"
        if exc.retryable:
            code = "rate_limited" if exc.status == 429 else "upstream_unavailable"
            reason = f"{exc.detail} (gave up after {gen.submit_attempts} attempts)"
        else:
            code = SUBMIT_FAILURE_CODES.get(exc.status or 0, "invalid_request")
            reason = exc.detail
        services.fail(gen, code, reason)
        _save(gen)
        return f"failed: {code}"
    except OSError as exc:
        # An input file went missing from our own storage: nothing was sent.
        services.fail(gen, "corrupt_input", f"an input image could not be read: {exc}")
        _save(gen)
        return "failed: input"

    services.note_request(gen, "POST", request_id, 201)
    if not answer.get("id"):
        # Accepted, but there is nothing to poll: the job may run (and be billed) upstream.
        services.fail(
            gen, "submit_interrupted", "The provider accepted the job but returned no id."
        )
        _save(gen)
        return "no id"
    gen.upstream_id = str(answer["id"])
    gen.submitted_at = timezone.now()
    gen.next_attempt_at = timezone.now() + timedelta(seconds=settings.POLL_MIN_SECONDS)
    gen.poll_count = 0
    _apply_upstream(gen, answer)
    _save(gen)
    ensure_poller()
    return f"submitted as {gen.upstream_id}"


def _backoff(attempt: int) -> float:
    return min(30.0, 2.0 ** max(1, attempt))


# --- poll -----------------------------------------------------------------------------


def poll_one(gen: Generation) -> None:
    """GET one in-flight row and act on its upstream state."""
    request_id = new_request_id()
    gen.poll_count += 1
    gen.last_polled_at = timezone.now()
    try:
        answer = get_client().get_generation(gen.upstream_id, request_id=request_id)
    except UpstreamError as exc:
        services.note_request(gen, "GET", exc.request_id or request_id, exc.status)
        if exc.retryable:
            delay = exc.retry_after if exc.retry_after is not None else _poll_interval(gen)
            gen.next_attempt_at = timezone.now() + timedelta(seconds=delay)
        elif exc.status in (401, 403):
            services.fail(gen, "access_denied", exc.detail)
        else:
            services.fail(
                gen,
                "generation_failed",
                f"the provider no longer answers for this job: {exc.detail}",
            )
        _save(gen)
        return
    services.note_request(gen, "GET", request_id, 200)
    _apply_upstream(gen, answer)
    _save(gen)


def _poll_interval(gen: Generation) -> float:
    # About 2 s at first, rising to 10 s for slow jobs.
    return min(
        settings.POLL_MAX_SECONDS, settings.POLL_MIN_SECONDS * 1.5 ** max(0, gen.poll_count - 1)
    )


def _apply_upstream(gen: Generation, answer: dict) -> None:
    state = answer.get("state")
    if state == "failed":
        services.fail(
            gen,
            answer.get("failure_code") or "generation_failed",
            answer.get("failure_reason") or "",
        )
    elif state == "completed":
        _complete(gen, answer.get("output") or [])
    elif state in ("queued", "processing"):
        services.set_state(gen, state)
        gen.next_attempt_at = timezone.now() + timedelta(seconds=_poll_interval(gen))
    else:
        gen.next_attempt_at = timezone.now() + timedelta(seconds=_poll_interval(gen))
        log.warning("generation %s: unexpected upstream state %r", gen.pk, state)


def _complete(gen: Generation, outputs: list[dict]) -> None:
    """Copy every output into our storage now: the upstream URLs expire in an hour."""
    images = [o for o in outputs if o.get("url")]
    if not images:
        services.fail(gen, "output_not_found", "the job completed without any output")
        return
    stored = []
    try:
        for position, item in enumerate(images):
            with get_client().download(item["url"]) as fh:
                stored.append(services.store_output(gen, position, fh))
        with transaction.atomic():
            gen.outputs.all().delete()
            for out in stored:
                out.save()
    except (DownloadError, services.OutputInvalid) as exc:
        services.delete_files(n for o in stored for n in (o.file.name, o.thumbnail.name))
        retryable = isinstance(exc, DownloadError) and exc.retryable
        if retryable and gen.poll_count < 20:
            gen.next_attempt_at = timezone.now() + timedelta(seconds=_poll_interval(gen))
            log.warning("generation %s: download failed, will retry: %s", gen.pk, exc)
            return
        detail = exc.detail if isinstance(exc, DownloadError) else str(exc)
        services.fail(
            gen, "output_not_found", f"The image could not be copied to the studio: {detail}."
        )
        return
    services.set_state(gen, State.COMPLETED)
    gen.completed_at = timezone.now()
    gen.next_attempt_at = None


# --- the polling loop -----------------------------------------------------------------


def acquire_lease(token: str) -> bool:
    now = timezone.now()
    PollLease.objects.get_or_create(name=LEASE_NAME)
    return bool(
        PollLease.objects.filter(name=LEASE_NAME)
        .filter(Q(expires_at__lt=now) | Q(holder=token) | Q(holder=""))
        .update(holder=token, expires_at=now + timedelta(seconds=settings.POLL_LEASE_SECONDS))
    )


def release_lease(token: str) -> None:
    PollLease.objects.filter(name=LEASE_NAME, holder=token).update(
        holder="", expires_at=timezone.now()
    )


def ensure_poller() -> bool:
    """Start the polling loop unless a live one holds the lease."""
    token = uuid.uuid4().hex
    if acquire_lease(token):
        queue.enqueue("poll_loop", token)
        return True
    return False


def _due_rows(now):
    return Generation.objects.filter(
        Q(state__in=[State.QUEUED, State.PROCESSING], next_attempt_at__lte=now)
        | Q(state=State.PENDING, submit_claimed_at__isnull=True, next_attempt_at__lte=now)
    ).order_by("next_attempt_at")


def poll_due(batch: int = 50) -> int:
    """Poll (or resubmit) the rows that are due now, within the turn's time budget; the
    rest wait for the next turn. Returns how many were handled."""
    handled = 0
    started = time.monotonic()
    for gen in _due_rows(timezone.now()).select_related("user")[:batch]:
        if time.monotonic() - started > settings.POLL_TURN_BUDGET_SECONDS:
            break
        try:
            if gen.state == State.PENDING:
                submit(gen.pk)
            else:
                poll_one(gen)
        except Exception:
            # One bad row must not stop the loop for everyone else.
            log.exception("generation %s: poll failed", gen.pk)
            Generation.objects.filter(pk=gen.pk).update(
                next_attempt_at=timezone.now() + timedelta(seconds=settings.POLL_MAX_SECONDS)
            )
        handled += 1
    return handled


def _next_due():
    row = (
        Generation.objects.filter(state__in=IN_FLIGHT, next_attempt_at__isnull=False)
        .order_by("next_attempt_at")
        .values_list("next_attempt_at", flat=True)
        .first()
    )
    return row


def poll_loop(token: str) -> str:
    """One turn of the loop: poll what is due, wait briefly, hand over to the next turn."""
    if not acquire_lease(token):
        return "lease held by another loop"
    poll_due()
    if not Generation.objects.filter(state__in=IN_FLIGHT).exists():
        release_lease(token)
        # A row may have arrived between the check and the release: look once more.
        if Generation.objects.filter(state__in=IN_FLIGHT).exists():
            ensure_poller()
        return "idle"
    next_due = _next_due()
    wait = settings.POLL_LOOP_MAX_SLEEP
    if next_due is not None:
        wait = min(wait, max(0.0, (next_due - timezone.now()).total_seconds()))
    time.sleep(wait)
    if acquire_lease(token):
        queue.enqueue("poll_loop", token)
    return "continues"


# --- the watchdog ---------------------------------------------------------------------


def watchdog() -> str:
    """Run once a minute by a Schedule: re-drive whatever lost its task."""
    now = timezone.now()
    stuck_claim = now - timedelta(seconds=settings.STUCK_SUBMIT_SECONDS)
    report = []
    # A claimed submit that never finished: the POST may have gone out, so don't resend.
    for gen in Generation.objects.filter(
        state=State.PENDING, submit_claimed_at__lt=stuck_claim, upstream_id=""
    ):
        services.fail(
            gen,
            "submit_interrupted",
            "The worker stopped while sending this job; "
            "it may or may not have reached the provider.",
        )
        _save(gen)
        report.append(f"{gen.pk}: interrupted")
    # A pending row whose submit task was lost: make it due, the loop will send it.
    lost = Generation.objects.filter(
        state=State.PENDING,
        submit_claimed_at__isnull=True,
        next_attempt_at__isnull=True,
        created_at__lt=now - timedelta(seconds=30),
    ).update(next_attempt_at=now)
    if lost:
        report.append(f"{lost} lost submits")
    # In flight with no poll scheduled (e.g. a crash between two writes).
    Generation.objects.filter(
        state__in=[State.QUEUED, State.PROCESSING], next_attempt_at__isnull=True
    ).update(next_attempt_at=now)
    # Give up on jobs that have run far longer than any real one.
    for gen in Generation.objects.filter(
        state__in=[State.QUEUED, State.PROCESSING],
        created_at__lt=now - timedelta(seconds=settings.JOB_MAX_SECONDS),
    ):
        services.fail(gen, "timed_out", "No result arrived from the provider in time.")
        _save(gen)
        report.append(f"{gen.pk}: timed out")
    if Generation.objects.filter(state__in=IN_FLIGHT).exists() and ensure_poller():
        report.append("poller restarted")
    return "; ".join(report) or "ok"
