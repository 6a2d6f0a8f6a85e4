"""The job pipeline's decisions: what a submit, a poll and a completion do to a row.

The row is the source of truth; the tasks in tasks.py only call in here. Any step may run
twice or never, so: a submit claims its row with a conditional UPDATE and POSTs at most
once; a definite "not created" (429, 5xx, connection refused) is retried with backoff; an
unknown outcome (a read timeout after sending) fails the row instead of being resent.
"""

from __future__ import annotations

import logging
import time
import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from studio.upstream.client import get_client, new_request_id
from studio.upstream.errors import DownloadError, UnknownOutcome, UpstreamError

from . import outputs, queue, services
from .models import IN_FLIGHT, Generation, PollLease, State

log = logging.getLogger("studio.generations")

# Synchronous statuses of a POST that end the job, and the failure code each maps to.
SUBMIT_FAILURE_CODES = {
    401: "access_denied",
    402: "budget_exhausted",
    403: "access_denied",
    413: "image_too_large",
}

# A completed job whose image cannot be downloaded yet is retried for this many polls.
DOWNLOAD_MAX_POLLS = 20

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


def _fail(gen: Generation, code: str, reason: str) -> None:
    gen.fail(code, reason)
    _save(gen)


def _due_in(seconds: float) -> datetime:
    return timezone.now() + timedelta(seconds=seconds)


# --- submit ---------------------------------------------------------------------------


def submit(generation_id: int) -> str:
    """POST one pending row upstream, at most once. Returns what happened, for the log."""
    claimed = Generation.objects.filter(
        pk=generation_id, state=State.PENDING, submit_claimed_at__isnull=True, upstream_id=""
    ).update(submit_claimed_at=timezone.now(), submit_attempts=F("submit_attempts") + 1)
    if not claimed:
        return "not claimable"
    gen = Generation.objects.select_related("user").get(pk=generation_id)
    request_id = new_request_id()
    try:
        body = services.request_body(gen)
        answer = get_client().create_generation(body, request_id=request_id)
    except UnknownOutcome as exc:
        gen.note_request("POST", exc.request_id or request_id, None)
        _fail(
            gen,
            "submit_interrupted",
            f"{exc.detail}. The job may or may not have been created upstream.",
        )
        return "unknown outcome"
    except UpstreamError as exc:
        gen.note_request("POST", exc.request_id or request_id, exc.status)
        return _submit_refused(gen, exc)
    except OSError as exc:
        # An input file went missing from our own storage: nothing was sent.
        _fail(gen, "corrupt_input", f"an input image could not be read: {exc}")
        return "failed: input"
    gen.note_request("POST", request_id, 201)
    return _submit_accepted(gen, answer)


def _submit_refused(gen: Generation, exc: UpstreamError) -> str:
    """The provider said the job was not created: retry later, or fail the row."""
    if exc.retryable and gen.submit_attempts < settings.UPSTREAM_SUBMIT_MAX_ATTEMPTS:
        delay = exc.retry_after if exc.retry_after is not None else backoff(gen.submit_attempts)
        gen.submit_claimed_at = None
        gen.next_attempt_at = _due_in(delay)
        _save(gen)
        log.info("generation %s: submit answered %s, retrying in %.1fs", gen.pk, exc.status, delay)
        ensure_poller()
        return f"retry in {delay}"
    if exc.retryable:
        code = "rate_limited" if exc.status == 429 else "upstream_unavailable"
        reason = f"{exc.detail} (gave up after {gen.submit_attempts} attempts)"
    else:
        code = SUBMIT_FAILURE_CODES.get(exc.status or 0, "invalid_request")
        reason = exc.detail
    _fail(gen, code, reason)
    return f"failed: {code}"


def _submit_accepted(gen: Generation, answer: dict) -> str:
    if not answer.get("id"):
        # Accepted, but there is nothing to poll: the job may run (and be billed) upstream.
        _fail(gen, "submit_interrupted", "The provider accepted the job but returned no id.")
        return "no id"
    gen.upstream_id = str(answer["id"])
    gen.submitted_at = timezone.now()
    gen.next_attempt_at = _due_in(settings.POLL_MIN_SECONDS)
    gen.poll_count = 0
    apply_upstream(gen, answer)
    _save(gen)
    ensure_poller()
    return f"submitted as {gen.upstream_id}"


def backoff(attempt: int) -> float:
    """Seconds before resubmitting after `attempt` refusals without a Retry-After."""
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
        gen.note_request("GET", exc.request_id or request_id, exc.status)
        if exc.retryable:
            delay = exc.retry_after if exc.retry_after is not None else poll_interval(gen)
            gen.next_attempt_at = _due_in(delay)
        elif exc.status in (401, 403):
            gen.fail("access_denied", exc.detail)
        else:
            gen.fail(
                "generation_failed", f"the provider no longer answers for this job: {exc.detail}"
            )
        _save(gen)
        return
    gen.note_request("GET", request_id, 200)
    apply_upstream(gen, answer)
    _save(gen)


def poll_interval(gen: Generation) -> float:
    """About 2 s at first, rising to 10 s for slow jobs."""
    return min(
        settings.POLL_MAX_SECONDS, settings.POLL_MIN_SECONDS * 1.5 ** max(0, gen.poll_count - 1)
    )


def apply_upstream(gen: Generation, answer: dict) -> None:
    """Take the provider's answer for a job onto its row (unsaved)."""
    state = answer.get("state")
    if state == "failed":
        gen.fail(
            answer.get("failure_code") or "generation_failed", answer.get("failure_reason") or ""
        )
    elif state == "completed":
        complete(gen, answer.get("output") or [])
    elif state in ("queued", "processing"):
        gen.set_state(state)
        gen.next_attempt_at = _due_in(poll_interval(gen))
    else:
        gen.next_attempt_at = _due_in(poll_interval(gen))
        log.warning("generation %s: unexpected upstream state %r", gen.pk, state)


def complete(gen: Generation, answered: list[dict]) -> None:
    """Copy every output into our storage now: the upstream URLs expire in an hour."""
    images = [o for o in answered if o.get("url")]
    if not images:
        gen.fail("output_not_found", "the job completed without any output")
        return
    stored = []
    try:
        for position, item in enumerate(images):
            with get_client().download(item["url"]) as fh:
                stored.append(outputs.store_output(gen, position, fh))
        with transaction.atomic():
            gen.outputs.all().delete()
            for out in stored:
                out.save()
    except (DownloadError, outputs.OutputInvalid) as exc:
        outputs.delete_files(n for o in stored for n in (o.file.name, o.thumbnail.name))
        _download_failed(gen, exc)
        return
    gen.set_state(State.COMPLETED)
    gen.completed_at = timezone.now()
    gen.next_attempt_at = None


def _download_failed(gen: Generation, exc: DownloadError | outputs.OutputInvalid) -> None:
    retryable = isinstance(exc, DownloadError) and exc.retryable
    if retryable and gen.poll_count < DOWNLOAD_MAX_POLLS:
        gen.next_attempt_at = _due_in(poll_interval(gen))
        log.warning("generation %s: download failed, will retry: %s", gen.pk, exc)
        return
    detail = exc.detail if isinstance(exc, DownloadError) else str(exc)
    gen.fail("output_not_found", f"The image could not be copied to the studio: {detail}.")


# --- the polling loop's turn ----------------------------------------------------------


def ensure_poller() -> bool:
    """Start the polling loop unless a live one holds the lease."""
    token = uuid.uuid4().hex
    if PollLease.acquire(token):
        queue.enqueue("poll_loop", token)
        return True
    return False


def _due_rows(now: datetime) -> QuerySet[Generation]:
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
                next_attempt_at=_due_in(settings.POLL_MAX_SECONDS)
            )
        handled += 1
    return handled


def next_due() -> datetime | None:
    """When the next in-flight row is due, if any is scheduled."""
    return (
        Generation.objects.filter(state__in=IN_FLIGHT, next_attempt_at__isnull=False)
        .order_by("next_attempt_at")
        .values_list("next_attempt_at", flat=True)
        .first()
    )


def any_in_flight() -> bool:
    return Generation.objects.filter(state__in=IN_FLIGHT).exists()


# --- re-driving what lost its task ----------------------------------------------------


def redrive() -> list[str]:
    """Repair rows whose task was lost or that ran far too long; returns what was done."""
    now = timezone.now()
    report = []
    # A claimed submit that never finished: the POST may have gone out, so don't resend.
    for gen in Generation.objects.filter(
        state=State.PENDING,
        submit_claimed_at__lt=now - timedelta(seconds=settings.STUCK_SUBMIT_SECONDS),
        upstream_id="",
    ):
        _fail(
            gen,
            "submit_interrupted",
            "The worker stopped while sending this job; "
            "it may or may not have reached the provider.",
        )
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
        _fail(gen, "timed_out", "No result arrived from the provider in time.")
        report.append(f"{gen.pk}: timed out")
    if any_in_flight() and ensure_poller():
        report.append("poller restarted")
    return report
