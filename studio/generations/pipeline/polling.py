"""Polling one row: GET it, take the provider's answer onto it, copy its outputs in.

Every write names what it read (see transitions.py): a poll's answer applies only to the
state the poll saw; a download completes only a row still at the provider; with a `fence`
(the lease's number), only while the loop that started it still holds the lease.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from studio.core import logs
from studio.upstream.client import get_client, new_request_id
from studio.upstream.errors import DownloadError, UpstreamError

from .. import metrics, outputs, timing, transitions
from ..models import Generation, Output, State
from ..transitions import AT_PROVIDER_ROW, Fence
from .rows import due_in

log = logging.getLogger("studio.generations")


# Runs `fn(*args)` now or beside the loop (a thread pool); None: now, in the caller.
Handoff = Callable[..., Any]

# The rows whose outputs this process is downloading: never handed off a second time while
# one runs (a worker starting elsewhere makes every in-flight row due at once, these too).
_downloading: set[int] = set()
_downloading_lock = threading.Lock()


def downloading() -> list[int]:
    with _downloading_lock:
        return list(_downloading)


def release_download(generation_id: int) -> None:
    with _downloading_lock:
        _downloading.discard(generation_id)


def poll_one(
    gen: Generation,
    *,
    handoff: Handoff | None = None,
    fence: Fence | None = None,
    cancel: threading.Event | None = None,
) -> None:
    """GET one in-flight row and act on its upstream state. With a `handoff`, the download
    of a completed job runs beside the loop, so it never delays the polls of other rows."""
    seen = Q(state=gen.state)
    request_id = new_request_id()
    # This GET's id on the log lines it causes (a transition, a failure).
    with logs.request_context(request_id):
        _poll(gen, request_id, seen, handoff, fence, cancel)


def _poll(
    gen: Generation,
    request_id: str,
    seen: Q,
    handoff: Handoff | None,
    fence: Fence | None,
    cancel: threading.Event | None,
) -> None:
    gen.poll_count += 1
    previous_poll = gen.last_polled_at
    gen.last_polled_at = timezone.now()
    try:
        answer = get_client().get_generation(gen.upstream_id, request_id=request_id)
    except UpstreamError as exc:
        gen.note_request("GET", exc.request_id or request_id, exc.status)
        if exc.retryable:
            metrics.RETRIES.labels(method="GET").inc()
            delay = exc.retry_after if exc.retry_after is not None else poll_interval(gen)
            gen.next_attempt_at = due_in(delay)
        elif exc.status in (401, 403):
            gen.fail("access_denied", exc.detail)
        else:
            gen.fail(
                "generation_failed", f"the provider no longer answers for this job: {exc.detail}"
            )
        transitions.write(gen, seen, fence=fence)
        return
    gen.note_request("GET", request_id, 200)
    done_at = provider_done_at(answer, previous_poll, gen.last_polled_at)
    if answer.get("state") in ("completed", "failed"):
        # Its kind's pool of GETs saved learns what this job saved in the end.
        timing.seen_done(gen, previous_poll)
    if answer.get("state") == "completed":
        # The first answer that says so fixes it: a download retried later measures its
        # latency, and the output URLs' hour, from the same moment.
        gen.upstream_done_at = gen.upstream_done_at or done_at
        done_at = gen.upstream_done_at
    if answer.get("state") == "completed" and handoff is not None:
        # Not polled again while the download runs; if it is lost with its process, the
        # row is due again after this (at once when a worker starts: redrive).
        gen.next_attempt_at = due_in(settings.DOWNLOAD_CLAIM_SECONDS)
        if transitions.write(gen, seen, fence=fence):
            with _downloading_lock:
                if gen.pk in _downloading:
                    return
                _downloading.add(gen.pk)
            handoff(fetch_outputs, gen.pk, answer.get("output") or [], done_at, fence, cancel)
        return
    apply_upstream(gen, answer, seen, fence=fence, provider_done=done_at)


def provider_done_at(answer: dict, previous_poll: datetime | None, seen_at: datetime) -> datetime:
    """When the provider finished a job: its own `completed_at` if it says, else halfway
    between the GET that last saw it running and the one that saw it done (the expected
    moment, for a finish that falls anywhere between them)."""
    said = answer.get("completed_at")
    if isinstance(said, str):
        parsed = parse_datetime(said)
        if parsed is not None and parsed.tzinfo is not None:
            return min(parsed, seen_at)
    if previous_poll is None or previous_poll >= seen_at:
        return seen_at
    return previous_poll + (seen_at - previous_poll) / 2


def fetch_outputs(
    generation_id: int,
    answered: list[dict],
    provider_done: datetime | None = None,
    fence: Fence | None = None,
    cancel: threading.Event | None = None,
) -> str:
    """Copy a completed job's outputs in and complete the row (a handed-off download);
    `cancel` (the loop stopping) stops it at the next chunk, to be retried."""
    try:
        gen = Generation.objects.at_provider().filter(pk=generation_id).first()
        if gen is None:
            return "not in flight"
        if fence is not None and not fence.holds():
            return "lease lost"
        complete(
            gen, answered, AT_PROVIDER_ROW, fence=fence, provider_done=provider_done, cancel=cancel
        )
        return gen.state
    finally:
        release_download(generation_id)


def poll_interval(gen: Generation) -> float:
    """Seconds until the row is next worth a GET (see timing.py)."""
    return timing.next_poll_delay(gen, timezone.now())


def apply_upstream(
    gen: Generation,
    answer: dict,
    expect: Q,
    *,
    fence: Fence | None = None,
    provider_done: datetime | None = None,
) -> bool:
    """Take the provider's answer for a job onto its row, if the row still matches
    `expect`; False when it had moved on (the answer is dropped)."""
    state = answer.get("state")
    if state == "failed":
        gen.fail(
            answer.get("failure_code") or "generation_failed", answer.get("failure_reason") or ""
        )
    elif state == "completed":
        return complete(
            gen, answer.get("output") or [], expect, fence=fence, provider_done=provider_done
        )
    elif state in ("queued", "processing"):
        gen.set_state(state)
        gen.next_attempt_at = due_in(poll_interval(gen))
    else:
        # Treated as in flight: polled like any other (an accepted job is at the provider
        # whatever it is called, never `pending` with an upstream id, which no rule ends),
        # and failed `timed_out` if it never ends (recovery.redrive).
        if gen.state == State.PENDING:
            gen.set_state(State.QUEUED)
        gen.next_attempt_at = due_in(poll_interval(gen))
        log.warning("generation %s: unexpected upstream state %r", gen.pk, state)
    return transitions.write(gen, expect, fence=fence)


def complete(
    gen: Generation,
    answered: list[dict],
    expect: Q,
    *,
    fence: Fence | None = None,
    provider_done: datetime | None = None,
    cancel: threading.Event | None = None,
) -> bool:
    """Copy every output into our storage now (the upstream URLs expire in an hour), then
    complete the row, if it still matches `expect`, in the transaction that saves the
    outputs. A download that lost (the row was failed, or completed by another download,
    meanwhile) deletes the files it wrote. False when the row had moved on.
    `provider_done`: when the provider finished it (default: the row's `upstream_done_at`,
    else now, as the answer came)."""
    provider_done = provider_done or gen.upstream_done_at or timezone.now()
    gen.upstream_done_at = gen.upstream_done_at or provider_done
    images = [o for o in answered if isinstance(o, dict) and o.get("url")]
    if not images:
        gen.fail("output_not_found", "the job completed without any output")
        return transitions.write(gen, expect, fence=fence)
    stored = []
    started = time.monotonic()

    def replace_outputs() -> None:
        gen.outputs.all().delete()
        for out in stored:
            out.save()

    position = 0
    try:
        for position, item in enumerate(images):
            with get_client().download(item["url"], cancel=cancel) as fh:
                stored.append(_store(gen, position, fh))
        gen.completed_at = timezone.now()
        gen.set_state(State.COMPLETED)
        gen.next_attempt_at = None
        won = transitions.write(gen, expect, fence=fence, before=replace_outputs)
    except (DownloadError, outputs.OutputInvalid) as exc:
        _delete_stored(stored)
        return _download_failed(gen, position, exc, expect, fence)
    except BaseException:
        # Whatever stopped us (a database error, a stop signal), no file is left without
        # its row.
        _delete_stored(stored)
        raise
    if not won:
        _delete_stored(stored)
        return False
    metrics.ADDED_LATENCY.observe(max(0.0, (gen.completed_at - provider_done).total_seconds()))
    log.info(
        "generation %s: %d output(s) stored in %.0f ms",
        gen.pk,
        len(stored),
        (time.monotonic() - started) * 1000,
    )
    return True


def _store(gen: Generation, position: int, fh) -> Output:
    """Keep one downloaded output. The storage refusing it (a full disk, an S3 5xx, the
    thumbnail's write alone failing) is retried like a CDN failure: it may pass later, and
    the provider's URL answers for an hour."""
    try:
        return outputs.store_output(gen, position, fh)
    except outputs.OutputInvalid:
        raise
    except Exception as exc:
        log.warning("generation %s: output %d could not be stored: %r", gen.pk, position, exc)
        raise DownloadError(
            None, f"the storage refused it ({exc.__class__.__name__})", retryable=True
        ) from exc


def _delete_stored(stored) -> None:
    outputs.delete_files(n for o in stored for n in (o.file.name, o.thumbnail.name))


def _download_failed(
    gen: Generation,
    position: int,
    exc: DownloadError | outputs.OutputInvalid,
    expect: Q,
    fence: Fence | None,
) -> bool:
    """Retry a download that may work later (a CDN 5xx, a broken connection, a stop) with
    backoff on that output's own count of failures, for as long as the provider's output
    URLs may still answer (DOWNLOAD_RETRY_SECONDS from when the job completed upstream,
    however long it ran before); else fail."""
    retryable = isinstance(exc, DownloadError) and exc.retryable
    detail = exc.detail if isinstance(exc, DownloadError) else str(exc)
    failures = dict(gen.download_failures or {})
    failures[str(position)] = attempts = failures.get(str(position), 0) + 1
    gen.download_failures = failures
    delay = download_backoff(attempts)
    since = gen.upstream_done_at or gen.submitted_at or gen.created_at
    urls_until = since + timedelta(seconds=settings.DOWNLOAD_RETRY_SECONDS)
    if retryable and timezone.now() + timedelta(seconds=delay) < urls_until:
        metrics.RETRIES.labels(method="download").inc()
        gen.next_attempt_at = due_in(delay)
        log.warning(
            "generation %s: download of output %d failed (%d), retrying in %.0f s: %s",
            gen.pk,
            position,
            attempts,
            delay,
            detail,
        )
        return transitions.write(gen, expect, fence=fence)
    if retryable:
        detail = f"{detail} (gave up after {attempts} attempts)"
    gen.fail("output_not_found", f"The image could not be copied to the studio: {detail}.")
    return transitions.write(gen, expect, fence=fence)


def download_backoff(failures: int) -> float:
    """Seconds before the next download attempt after `failures` failed ones: 2, 4, 8 … 60."""
    return min(60.0, 2.0 ** max(1, failures))
