"""The polling loop: each turn sends the due submits the budget allows and polls the due
rows, under the lease, then sleeps exactly until the next row is due."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connections
from django.db.models import Q
from django.utils import timezone

from .. import metrics, provider_budget, timing, transitions
from ..models import UNSENT, Generation, PollLease, State
from ..transitions import Fence
from .polling import Handoff, downloading, fetch_outputs, poll_one, release_download
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
    cancel: threading.Event | None = None,
) -> int:
    """Send the due submits the budget allows, then poll the rows that are due now within
    the turn's time budget; the rest wait for the next turn. Returns how many were handled.

    When the GET budget cannot serve every due row, the ones most likely done go first.
    `renew` keeps the loop's lease alive during a long turn; False from it ends the turn.
    `fence`: the lease's number, checked by every write the turn (and its downloads) makes.
    `cancel`: set when the loop stops; a download under way stops at its next chunk.
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
            poll_one(gen, handoff=handoff, fence=fence, cancel=cancel)
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
    # Only as many rows as the budget would send now: a held-back row waits in order,
    # without a claim attempt (and the bucket's row lock) per row and turn.
    sendable, _ = provider_budget.sendable_now()
    handled = 0
    for gen in due_submits[: min(batch, sendable)]:
        if handoff is None:
            submit(gen.pk)
        # Not handed off twice; submit() sets its own next time if it must wait.
        elif transitions.touch(
            gen.pk, UNSENT, fence=fence, next_attempt_at=due_in(settings.STUCK_SUBMIT_SECONDS)
        ):
            handoff(submit, gen.pk)
        handled += 1
    return handled


def next_due(*, sends_after: datetime | None = None) -> datetime | None:
    """When the next in-flight row is due, if any is scheduled; rows not yet sent count
    from `sends_after` at the earliest (when the request budget will let one go)."""
    scheduled = Generation.objects.filter(next_attempt_at__isnull=False)
    first_poll = (
        scheduled.at_provider()
        .exclude(pk__in=downloading())
        .order_by("next_attempt_at")
        .values_list("next_attempt_at", flat=True)
        .first()
    )
    first_send = (
        scheduled.filter(state=State.PENDING)
        .order_by("next_attempt_at")
        .values_list("next_attempt_at", flat=True)
        .first()
    )
    if first_send is not None and sends_after is not None:
        first_send = max(first_send, sends_after)
    times = [t for t in (first_poll, first_send) if t is not None]
    return min(times) if times else None


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


class _LeaseKeeper(threading.Thread):
    """Renews the loop's lease every LEASE_RENEW_SECONDS from a thread of its own, so no
    GET or turn of the loop, however slow, outlives the lease while this process runs. A
    frozen process (SIGSTOP) stops this thread too: the lease lapses, another worker takes
    it over with a higher fencing number, and the frozen loop's writes change nothing."""

    def __init__(self, token: str, cancel: threading.Event) -> None:
        super().__init__(name="lease", daemon=True)
        self.token = token
        self.cancel = cancel
        self.done = threading.Event()
        self.lost = threading.Event()

    def run(self) -> None:
        renewed = time.monotonic()
        try:
            while not self.done.wait(settings.POLL_LEASE_RENEW_SECONDS):
                try:
                    if PollLease.acquire(self.token):
                        renewed = time.monotonic()
                        continue
                    # Another loop holds it now (this one was frozen or cut off).
                    self._give_up()
                    return
                except Exception as exc:
                    # A database blip: try again while the lease lasts; past it another
                    # worker may hold it, so this loop stops as if it had lost it.
                    log.warning("pipeline: the lease could not be renewed: %s", exc)
                    if time.monotonic() - renewed > settings.POLL_LEASE_SECONDS:
                        self._give_up()
                        return
        finally:
            connections.close_all()

    def _give_up(self) -> None:
        # The downloads stop at their next chunk, so the loop that takes over (once a
        # download's claim, STUDIO_DOWNLOAD_CLAIM_SECONDS, has lapsed) never fetches an
        # output while this one still does; their writes would fail the fence anyway.
        self.lost.set()
        self.cancel.set()

    def holds(self) -> bool:
        return not self.lost.is_set()


def _handoff_to(pool: ThreadPoolExecutor) -> Handoff:
    """Runs a download or a submit in `pool`; one dropped before it started (a stop) leaves
    its row to be taken up again at once."""

    def handoff(fn: Callable[..., Any], *args: Any) -> None:
        future = pool.submit(_in_thread, fn, *args)
        if fn is fetch_outputs:
            future.add_done_callback(
                lambda done, pk=args[0]: done.cancelled() and release_download(pk)
            )
        elif fn is submit:
            future.add_done_callback(
                lambda done, pk=args[0]: (
                    done.cancelled()
                    and transitions.touch(pk, UNSENT, next_attempt_at=timezone.now())
                )
            )

    return handoff


def _end(pool: ThreadPoolExecutor, *, stopping: bool, cancel: threading.Event) -> None:
    if stopping:
        # Stopping waits for no download: those not started are dropped, those under way
        # stop at their next chunk (each row is due again, for whoever holds the lease).
        cancel.set()
        pool.shutdown(wait=False, cancel_futures=True)
    else:
        # A turn that ended (the task chain's, a lost lease) lets its hand-offs finish.
        pool.shutdown(wait=True)


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
    if not PollLease.acquire(token):
        return "lease lost"
    cancel = threading.Event()
    keeper = _LeaseKeeper(token, cancel)
    keeper.start()
    pool = ThreadPoolExecutor(max_workers=settings.PIPELINE_THREADS, thread_name_prefix="pipeline")

    handoff = _handoff_to(pool)

    try:
        while not stop.is_set():
            if not keeper.holds() or not PollLease.acquire(token):
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
            poll_due(
                handoff=handoff, gets=gets, renew=keeper.holds, fence=Fence(number), cancel=cancel
            )
            if idle_exit and not any_in_flight():
                result = "idle"
                break
            if seconds is not None and time.monotonic() - started >= seconds:
                result = "turn over"
                break
            stop.wait(_sleep_before_next())
    finally:
        metrics.LEASE_HELD.set(0)
        if result == "lease lost":
            cancel.set()
        _end(pool, stopping=stop.is_set(), cancel=cancel)
        keeper.done.set()
    return result


def _sleep_before_next() -> float:
    wait = settings.POLL_IDLE_SECONDS
    sendable, send_wait = provider_budget.sendable_now()
    due = next_due(sends_after=None if sendable else timezone.now() + timedelta(seconds=send_wait))
    if due is not None:
        wait = min(wait, (due - timezone.now()).total_seconds())
    # Never a busy loop: rows may stay due while the budget holds them back.
    return max(0.1, wait)
