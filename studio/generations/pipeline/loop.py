"""The polling loop: each turn sends the due submits the budget allows and polls the due
rows, under the lease, then sleeps exactly until the next row is due."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import connections
from django.db.models import Q
from django.utils import timezone

from .. import metrics, provider_budget, timing, transitions
from ..models import UNSENT, Generation, PollLease
from ..transitions import Fence
from .polling import Handoff, downloading, poll_one
from .rows import due_in
from .sending import submit

log = logging.getLogger("studio.generations")


def poll_due(
    batch: int = 50,
    *,
    handoff: Handoff | None = None,
    gets: provider_budget.GetBucket | None = None,
    renew: Callable[[], bool] | None = None,
    fence: Fence | None = None,
) -> int:
    """Send the due submits the budget allows, then poll the rows that are due now within
    the turn's time budget; the rest wait for the next turn. Returns how many were handled.

    When the GET budget cannot serve every due row, the ones most likely done go first.
    `renew` keeps the loop's lease alive during a long turn; False from it ends the turn.
    `fence`: the lease's number, checked by every write the turn (and its downloads) makes.
    """
    now = timezone.now()
    handled = _send_due(now, batch, handoff=handoff, fence=fence)
    rows = list(
        Generation.objects.at_provider()
        .due(now)
        .exclude(pk__in=downloading())
        .select_related("user")[:batch]
    )
    if gets is not None:
        metrics.GET_BUDGET_AVAILABLE.set(gets.available())
    if gets is not None and len(rows) > gets.available():
        rows.sort(key=lambda g: timing.likelihood_done(g, now), reverse=True)
        metrics.GETS_DEFERRED.inc(len(rows) - gets.available())
        rows = rows[: gets.available()]
    started = time.monotonic()
    for gen in rows:
        if time.monotonic() - started > settings.POLL_TURN_BUDGET_SECONDS:
            break
        if renew is not None and not renew():
            break
        try:
            poll_one(gen, handoff=handoff, fence=fence)
        except Exception:
            # One bad row must not stop the loop for everyone else.
            log.exception("generation %s: poll failed", gen.pk)
            transitions.touch(
                gen.pk, Q(), fence=fence, next_attempt_at=due_in(settings.POLL_MAX_SECONDS)
            )
        if gets is not None:
            gets.spend()
        handled += 1
    return handled


def _send_due(now: datetime, batch: int, *, handoff: Handoff | None, fence: Fence | None) -> int:
    """Send (or hand off) the due unsent rows the budget allows, oldest first: a burst is
    sent in the order it was made. Returns how many."""
    due_submits = (
        Generation.objects.unsent().filter(next_attempt_at__lte=now).order_by("created_at", "id")
    )
    handled = 0
    for gen in due_submits[: min(batch, provider_budget.free_slots())]:
        if handoff is None:
            submit(gen.pk)
        # Not handed off twice; submit() sets its own next time if it must wait.
        elif transitions.touch(
            gen.pk, UNSENT, fence=fence, next_attempt_at=due_in(settings.STUCK_SUBMIT_SECONDS)
        ):
            handoff(submit, gen.pk)
        handled += 1
    return handled


def next_due() -> datetime | None:
    """When the next in-flight row is due, if any is scheduled."""
    return (
        Generation.objects.in_flight()
        .filter(next_attempt_at__isnull=False)
        .order_by("next_attempt_at")
        .values_list("next_attempt_at", flat=True)
        .first()
    )


def any_in_flight() -> bool:
    return Generation.objects.in_flight().exists()


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
    gets = provider_budget.GetBucket()
    started = time.monotonic()
    result = "stopped"
    with ThreadPoolExecutor(
        max_workers=settings.PIPELINE_THREADS, thread_name_prefix="pipeline"
    ) as pool:

        def handoff(fn: Callable[..., Any], *args: Any) -> None:
            pool.submit(_in_thread, fn, *args)

        renew = _Renewer(token)
        try:
            while not stop.is_set():
                if not PollLease.acquire(token):
                    result = "lease lost"
                    break
                metrics.LEASE_HELD.set(1)
                metrics.LOOP_TURNS.inc()
                if beat is not None:
                    beat()
                number = PollLease.fence_of(token)
                if number is None:
                    result = "lease lost"
                    break
                poll_due(handoff=handoff, gets=gets, renew=renew, fence=Fence(number))
                if idle_exit and not any_in_flight():
                    result = "idle"
                    break
                if seconds is not None and time.monotonic() - started >= seconds:
                    result = "turn over"
                    break
                stop.wait(_sleep_before_next())
        finally:
            metrics.LEASE_HELD.set(0)
    return result


def _sleep_before_next() -> float:
    wait = settings.POLL_IDLE_SECONDS
    due = next_due()
    if due is not None:
        wait = min(wait, (due - timezone.now()).total_seconds())
    # Never a busy loop: rows may stay due while the budget holds them back.
    return max(0.1, wait)
