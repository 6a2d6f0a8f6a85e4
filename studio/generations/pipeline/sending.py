"""Sending a row upstream: claim it, POST it at most once, retry or fail a refusal."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from django.conf import settings
from django.db import InterfaceError, OperationalError, close_old_connections, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.module_loading import import_string

from studio.core import logs
from studio.upstream.client import get_client, new_request_id
from studio.upstream.errors import UnknownOutcome, UpstreamError

from .. import metrics, provider_budget, transitions
from ..models import UNSENT, Generation
from .body import request_body
from .polling import apply_upstream
from .rows import due_in, ensure_poller

log = logging.getLogger("studio.generations")

# Synchronous statuses of a POST that end the job, and the failure code each maps to.
SUBMIT_FAILURE_CODES = {
    401: "access_denied",
    402: "budget_exhausted",
    403: "access_denied",
    413: "image_too_large",
}


def submit(generation_id: int) -> str:
    """POST one pending row upstream, at most once. Returns what happened, for the log."""
    claimable = Generation.objects.unsent().filter(pk=generation_id)
    with transaction.atomic():
        if not claimable.exists():
            return "not claimable"
        wait = provider_budget.take_post()
        # The conditional UPDATE decides, not the check above: two workers may both have
        # passed it (PostgreSQL's READ COMMITTED), only one of them changes the row.
        if not wait and not transitions.claim_submit(generation_id):
            return "not claimable"
    if wait:
        metrics.POSTS_HELD_BACK.inc()
        provider_budget.hold_back(generation_id, wait)
        ensure_poller()
        return f"waiting for a free slot ({wait:.1f} s)"
    gen = Generation.objects.select_related("user").get(pk=generation_id)
    # Every later write names this claim: a watchdog or a suspension that failed the row
    # meanwhile wins, and a late answer changes nothing.
    mine = transitions.claimed(gen.submit_claimed_at)
    if refusal := _refused_here(gen):
        code, reason = refusal
        transitions.fail(gen, code, reason, mine)
        return f"refused: {code}"
    # The id of the request that made the job (passed on through its task), so the
    # provider's logs and ours can be matched; a resend gets one of its own.
    request_id = logs.current_request_id() or new_request_id()
    try:
        body = request_body(gen)
        answer = get_client().create_generation(body, request_id=request_id)
    except UnknownOutcome as exc:
        gen.note_request("POST", exc.request_id or request_id, None)
        transitions.fail(
            gen,
            "submit_interrupted",
            f"{exc.detail}. The job may or may not have been created upstream.",
            mine,
        )
        return "unknown outcome"
    except UpstreamError as exc:
        gen.note_request("POST", exc.request_id or request_id, exc.status)
        refusal = exc
        return _through_blips(gen, lambda: _submit_refused(gen, refusal, mine))
    except OSError as exc:
        # An input file went missing from our own storage: nothing was sent.
        transitions.fail(gen, "corrupt_input", f"an input image could not be read: {exc}", mine)
        return "failed: input"
    gen.note_request("POST", request_id, 201)
    return _through_blips(gen, lambda: _submit_accepted(gen, answer, mine))


def _through_blips(gen: Generation, write: Callable[[], str]) -> str:
    """Make the write that follows a POST's answer, again through a short database outage
    (a failover, a 1-s cut): the POST went out, and an answer lost here would leave the row
    claimed until the watchdog fails it `submit_interrupted`. Retried for a third of
    STUCK_SUBMIT_SECONDS at most (the watchdog must never see a claim this could still
    end); each write is guarded, so one that did commit before its error cannot apply
    twice."""
    deadline = time.monotonic() + settings.STUCK_SUBMIT_SECONDS / 3
    delay = 0.2
    while True:
        try:
            return write()
        except (OperationalError, InterfaceError) as exc:
            if time.monotonic() + delay > deadline:
                raise
            log.warning("generation %s: the database is away (%s); trying again", gen.pk, exc)
            time.sleep(delay)
            delay = min(2.0, delay * 2)
            # A connection the outage broke is closed, so the next try opens a new one.
            close_old_connections()


def _refused_here(gen: Generation) -> tuple[str, str] | None:
    """What the checks named in STUDIO_SEND_CHECKS say of sending `gen` now, under its
    claim: the first (code, reason) that refuses it, else None. Higher apps plug in here
    (moderation: its author was suspended after it was saved, or while a 429 held it)."""
    for path in settings.STUDIO_SEND_CHECKS:
        if refusal := import_string(path)(gen):
            return refusal
    return None


def fail_unsent(rows, code: str, reason: str) -> list[int]:
    """Fail each of `rows` that is still unsent; the ids failed. The submit's claim is a
    conditional UPDATE on the same condition, so a row is either sent or failed here,
    never both (a suspension stops what its author had not sent yet this way); one claimed
    meanwhile is checked again under its claim (STUDIO_SEND_CHECKS) before its POST."""
    return transitions.fail_where(UNSENT, code, reason, pks=rows.unsent().values("pk"))


def _submit_refused(gen: Generation, exc: UpstreamError, mine: Q) -> str:
    """The provider said the job was not created: retry later, or fail the row."""
    if exc.retryable and gen.submit_attempts < settings.UPSTREAM_SUBMIT_MAX_ATTEMPTS:
        delay = exc.retry_after if exc.retry_after is not None else backoff(gen.submit_attempts)
        gen.submit_claimed_at = None
        gen.next_attempt_at = due_in(delay)
        metrics.RETRIES.labels(method="POST").inc()
        if not transitions.write(gen, mine):
            return "refused, and the row was ended meanwhile"
        log.info("generation %s: submit answered %s, retrying in %.1fs", gen.pk, exc.status, delay)
        ensure_poller()
        return f"retry in {delay}"
    if exc.retryable:
        code = "rate_limited" if exc.status == 429 else "upstream_unavailable"
        reason = f"{exc.detail} (gave up after {gen.submit_attempts} attempts)"
    else:
        code = SUBMIT_FAILURE_CODES.get(exc.status or 0, "invalid_request")
        reason = exc.detail
    transitions.fail(gen, code, reason, mine)
    return f"failed: {code}"


def _submit_accepted(gen: Generation, answer: dict, mine: Q) -> str:
    if not answer.get("id"):
        # Accepted, but there is nothing to poll: the job may run (and be billed) upstream.
        transitions.fail(
            gen, "submit_interrupted", "The provider accepted the job but returned no id.", mine
        )
        return "no id"
    gen.upstream_id = str(answer["id"])
    gen.submitted_at = timezone.now()
    gen.poll_count = 0
    # Accepted is at the provider, whatever state it named (see apply_upstream).
    if not apply_upstream(gen, answer, mine) and not _already_written(gen):
        # The watchdog failed the row while the POST was out (a frozen worker, a slow
        # network): it stays failed, and nothing is sent again for it.
        log.warning(
            "generation %s: accepted upstream as %s after the row was ended; kept ended",
            gen.pk,
            gen.upstream_id,
        )
        return "accepted too late"
    ensure_poller()
    return f"submitted as {gen.upstream_id}"


def _already_written(gen: Generation) -> bool:
    """The row already carries this answer: an earlier try (_through_blips) committed it
    before its error."""
    return Generation.objects.filter(pk=gen.pk, upstream_id=gen.upstream_id).exists()


def backoff(attempt: int) -> float:
    """Seconds before resubmitting after `attempt` refusals without a Retry-After."""
    return min(30.0, 2.0 ** max(1, attempt))
