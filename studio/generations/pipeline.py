"""The job pipeline's decisions: what a submit, a poll and a completion do to a row.

The row is the source of truth; the tasks in tasks.py only call in here. Any step may run
twice or never, so: a submit claims its row with a conditional UPDATE and POSTs at most
once; a definite "not created" (429, 5xx, connection refused) is retried with backoff; an
unknown outcome (a read timeout after sending) fails the row instead of being resent.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connections, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from studio.upstream.client import get_client, new_request_id
from studio.upstream.errors import DownloadError, UnknownOutcome, UpstreamError

from . import budget, outputs, queue, services, timing
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
    claimable = Generation.objects.filter(
        pk=generation_id, state=State.PENDING, submit_claimed_at__isnull=True, upstream_id=""
    )
    with transaction.atomic():
        if not claimable.exists():
            return "not claimable"
        wait = budget.take_post()
        # The conditional UPDATE decides, not the check above: two workers may both have
        # passed it (PostgreSQL's READ COMMITTED), only one of them changes the row.
        if not wait and not claimable.update(
            submit_claimed_at=timezone.now(), submit_attempts=F("submit_attempts") + 1
        ):
            return "not claimable"
    if wait:
        budget.hold_back(generation_id, wait)
        ensure_poller()
        return f"waiting for a free slot ({wait:.1f} s)"
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
    gen.poll_count = 0
    apply_upstream(gen, answer)
    _save(gen)
    ensure_poller()
    return f"submitted as {gen.upstream_id}"


def backoff(attempt: int) -> float:
    """Seconds before resubmitting after `attempt` refusals without a Retry-After."""
    return min(30.0, 2.0 ** max(1, attempt))


# --- poll -----------------------------------------------------------------------------

# Runs `fn(*args)` now or beside the loop (a thread pool); None: now, in the caller.
Handoff = Callable[..., Any]


def poll_one(gen: Generation, *, handoff: Handoff | None = None) -> None:
    """GET one in-flight row and act on its upstream state. With a `handoff`, the download
    of a completed job runs beside the loop, so it never delays the polls of other rows."""
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
    if answer.get("state") == "completed" and handoff is not None:
        # Not polled again while the download runs; if it is lost with its process, the
        # row is due again after this (at once when a worker starts: redrive).
        gen.next_attempt_at = _due_in(settings.DOWNLOAD_CLAIM_SECONDS)
        _save(gen)
        handoff(fetch_outputs, gen.pk, answer.get("output") or [])
        return
    apply_upstream(gen, answer)
    _save(gen)


def fetch_outputs(generation_id: int, answered: list[dict]) -> str:
    """Copy a completed job's outputs in and complete the row (a handed-off download)."""
    gen = Generation.objects.filter(
        pk=generation_id, state__in=[State.QUEUED, State.PROCESSING]
    ).first()
    if gen is None:
        return "not in flight"
    complete(gen, answered)
    _save(gen)
    return gen.state


def poll_interval(gen: Generation) -> float:
    """Seconds until the row is next worth a GET (see timing.py)."""
    return timing.next_poll_delay(gen, timezone.now())


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
    images = [o for o in answered if isinstance(o, dict) and o.get("url")]
    if not images:
        gen.fail("output_not_found", "the job completed without any output")
        return
    stored = []
    started = time.monotonic()
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
    except BaseException:
        # Whatever stopped us (a second download of the same job won the race, a database
        # error, a stop signal), no file is left without its row.
        outputs.delete_files(n for o in stored for n in (o.file.name, o.thumbnail.name))
        raise
    gen.set_state(State.COMPLETED)
    gen.completed_at = timezone.now()
    gen.next_attempt_at = None
    log.info(
        "generation %s: %d output(s) stored in %.0f ms",
        gen.pk,
        len(stored),
        (time.monotonic() - started) * 1000,
    )


def _download_failed(gen: Generation, exc: DownloadError | outputs.OutputInvalid) -> None:
    retryable = isinstance(exc, DownloadError) and exc.retryable
    if retryable and gen.poll_count < DOWNLOAD_MAX_POLLS:
        gen.next_attempt_at = _due_in(poll_interval(gen))
        log.warning("generation %s: download failed, will retry: %s", gen.pk, exc)
        return
    detail = exc.detail if isinstance(exc, DownloadError) else str(exc)
    gen.fail("output_not_found", f"The image could not be copied to the studio: {detail}.")


# --- the polling loop -----------------------------------------------------------------


def ensure_poller() -> bool:
    """Start the polling loop (as a chain of tasks) unless a live one holds the lease; a
    studio_worker's own loop holds it for as long as that worker lives."""
    token = uuid.uuid4().hex
    if PollLease.acquire(token):
        queue.enqueue("poll_loop", token)
        return True
    return False


def _due_polls(now: datetime) -> QuerySet[Generation]:
    return Generation.objects.filter(
        state__in=[State.QUEUED, State.PROCESSING], next_attempt_at__lte=now
    ).order_by("next_attempt_at")


def _due_submits(now: datetime) -> QuerySet[Generation]:
    # Oldest first: a burst is sent in the order it was made.
    return Generation.objects.filter(
        state=State.PENDING, submit_claimed_at__isnull=True, next_attempt_at__lte=now
    ).order_by("created_at", "id")


def poll_due(
    batch: int = 50,
    *,
    handoff: Handoff | None = None,
    gets: budget.GetBucket | None = None,
    renew: Callable[[], bool] | None = None,
) -> int:
    """Send the due submits the budget allows, then poll the rows that are due now within
    the turn's time budget; the rest wait for the next turn. Returns how many were handled.

    When the GET budget cannot serve every due row, the ones most likely done go first.
    `renew` keeps the loop's lease alive during a long turn; False from it ends the turn.
    """
    now = timezone.now()
    handled = 0
    for gen in _due_submits(now)[: min(batch, budget.free_slots())]:
        if handoff is None:
            submit(gen.pk)
        else:
            # Not handed off twice; submit() sets its own next time if it must wait.
            Generation.objects.filter(pk=gen.pk).update(
                next_attempt_at=_due_in(settings.STUCK_SUBMIT_SECONDS)
            )
            handoff(submit, gen.pk)
        handled += 1
    rows = list(_due_polls(now).select_related("user")[:batch])
    if gets is not None and len(rows) > gets.available():
        rows.sort(key=lambda g: timing.likelihood_done(g, now), reverse=True)
        rows = rows[: gets.available()]
    started = time.monotonic()
    for gen in rows:
        if time.monotonic() - started > settings.POLL_TURN_BUDGET_SECONDS:
            break
        if renew is not None and not renew():
            break
        try:
            poll_one(gen, handoff=handoff)
        except Exception:
            # One bad row must not stop the loop for everyone else.
            log.exception("generation %s: poll failed", gen.pk)
            Generation.objects.filter(pk=gen.pk).update(
                next_attempt_at=_due_in(settings.POLL_MAX_SECONDS)
            )
        if gets is not None:
            gets.spend()
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


def _in_thread(fn: Callable[..., Any], *args: Any) -> None:
    try:
        fn(*args)
    except Exception:
        log.exception("pipeline: %s%r failed", fn.__name__, args)
    finally:
        # A pool thread's connection is its own: close it rather than leak one per thread.
        connections.close_all()


class _Renewer:
    """Renews the lease at most once a second (a poll turn may take many GETs)."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.at = time.monotonic()

    def __call__(self) -> bool:
        if time.monotonic() - self.at < 1.0:
            return True
        self.at = time.monotonic()
        return PollLease.acquire(self.token)


def run_loop(
    token: str,
    *,
    stop: threading.Event | None = None,
    seconds: float | None = None,
    idle_exit: bool = False,
    beat: Callable[[], None] | None = None,
) -> str:
    """Poll while holding the lease, sleeping exactly until the next due row (at most
    POLL_IDLE_SECONDS, to notice new ones): the loop itself adds no latency.

    Downloads and resubmits run in a small thread pool beside it. Ends when the lease is
    lost, after `seconds`, when nothing is in flight (`idle_exit`) or on `stop`.
    """
    stop = stop or threading.Event()
    gets = budget.GetBucket()
    started = time.monotonic()
    result = "stopped"
    with ThreadPoolExecutor(
        max_workers=settings.PIPELINE_THREADS, thread_name_prefix="pipeline"
    ) as pool:

        def handoff(fn: Callable[..., Any], *args: Any) -> None:
            pool.submit(_in_thread, fn, *args)

        renew = _Renewer(token)
        while not stop.is_set():
            if not PollLease.acquire(token):
                result = "lease lost"
                break
            if beat is not None:
                beat()
            poll_due(handoff=handoff, gets=gets, renew=renew)
            if idle_exit and not any_in_flight():
                result = "idle"
                break
            if seconds is not None and time.monotonic() - started >= seconds:
                result = "turn over"
                break
            stop.wait(_sleep_before_next())
    return result


def _sleep_before_next() -> float:
    wait = settings.POLL_IDLE_SECONDS
    due = next_due()
    if due is not None:
        wait = min(wait, (due - timezone.now()).total_seconds())
    # Never a busy loop: rows may stay due while the budget holds them back.
    return max(0.1, wait)


# --- re-driving what lost its task ----------------------------------------------------


def redrive(*, at_start: bool = False) -> list[str]:
    """Repair rows whose task was lost or that ran far too long; returns what was done.

    `at_start` (a worker starting): whatever was in flight is polled at once rather than
    when its next poll, or a lost download's claim, comes due, and unsent rows are sent.
    """
    now = timezone.now()
    report = []
    if at_start:
        woken = Generation.objects.filter(state__in=[State.QUEUED, State.PROCESSING]).update(
            next_attempt_at=now
        )
        # A submit task lost with the broker: the claim keeps a live one from sending twice.
        unsent = Generation.objects.filter(
            state=State.PENDING, submit_claimed_at__isnull=True, next_attempt_at__isnull=True
        ).update(next_attempt_at=now)
        report.append(f"{woken} in flight polled now, {unsent} unsent made due")
    # A claimed submit that never finished: the POST may have gone out, so don't resend.
    interrupted = Q(
        state=State.PENDING,
        submit_claimed_at__lt=now - timedelta(seconds=settings.STUCK_SUBMIT_SECONDS),
        upstream_id="",
    )
    report += _fail_each(
        interrupted,
        "submit_interrupted",
        "The worker stopped while sending this job; it may or may not have reached the provider.",
        "interrupted",
    )
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
    too_long = Q(
        state__in=[State.QUEUED, State.PROCESSING],
        created_at__lt=now - timedelta(seconds=settings.JOB_MAX_SECONDS),
    )
    report += _fail_each(
        too_long, "timed_out", "No result arrived from the provider in time.", "timed out"
    )
    if any_in_flight() and ensure_poller():
        report.append("poller restarted")
    return report


def _fail_each(still: Q, code: str, reason: str, label: str) -> list[str]:
    """Fail every row matching `still`, each once however many workers re-drive at once."""
    return [
        f"{pk}: {label}"
        for pk in Generation.objects.filter(still).values_list("pk", flat=True)
        if _fail_if_still(pk, still, code, reason)
    ]


def _fail_if_still(pk: int, still: Q, code: str, reason: str) -> bool:
    """Fail row `pk` if it still matches `still`; False when another worker got there first.

    A conditional UPDATE decides: on PostgreSQL it holds the row lock until commit, and a
    second worker's UPDATE re-checks `still` against the committed row, which no longer
    matches; SQLite has one writer at a time. The row is read after the claim, so what a
    poll wrote meanwhile is kept.
    """
    with transaction.atomic():
        if not Generation.objects.filter(pk=pk).filter(still).update(updated_at=timezone.now()):
            return False
        _fail(Generation.objects.get(pk=pk), code, reason)
    return True
