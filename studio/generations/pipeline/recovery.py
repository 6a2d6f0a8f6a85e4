"""Re-driving what lost its task: rows whose submit or poll was lost with a process or a
broker, and jobs that ran far longer than any real one."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django_q.models import Failure

from .. import transitions
from ..models import AT_PROVIDER, UNSENT, Generation, RequestBudget, State, WorkerHeartbeat
from .loop import any_in_flight
from .rows import ensure_poller

# How long a stopped worker's heartbeat row, a failed task's row and an idle request
# budget's row are kept.
HEARTBEATS_KEPT = timedelta(days=1)
FAILED_TASKS_KEPT = timedelta(days=7)
BUDGETS_KEPT = timedelta(days=1)


def redrive(*, at_start: bool = False) -> list[str]:
    """Repair rows whose task was lost or that ran far too long; returns what was done.

    `at_start` (a worker starting): whatever was in flight is polled at once rather than
    when its next poll, or a lost download's claim, comes due, and unsent rows are sent.
    """
    now = timezone.now()
    report = []
    if at_start:
        woken = Generation.objects.at_provider().update(next_attempt_at=now)
        # A submit task lost with the broker: the claim keeps a live one from sending twice.
        unsent = (
            Generation.objects.unsent()
            .filter(next_attempt_at__isnull=True)
            .update(next_attempt_at=now)
        )
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
    report += _accepted_but_pending()
    # A pending row whose submit task was lost: make it due, the loop will send it.
    lost = (
        Generation.objects.unsent()
        .filter(next_attempt_at__isnull=True, created_at__lt=now - timedelta(seconds=30))
        .update(next_attempt_at=now)
    )
    if lost:
        report.append(f"{lost} lost submits")
    # In flight with no poll scheduled (e.g. a crash between two writes).
    Generation.objects.at_provider().filter(next_attempt_at__isnull=True).update(
        next_attempt_at=now
    )
    # Held back by the request budget (or never sent) for too long: say so, never wait on.
    report += _fail_each(
        UNSENT & Q(created_at__lt=now - timedelta(seconds=settings.PENDING_MAX_SECONDS)),
        "timed_out",
        f"Not sent: it waited more than {settings.PENDING_MAX_SECONDS / 60:.0f} minutes for "
        "a free slot under the provider's request limits.",
        "waited too long",
    )
    # Give up on jobs that have run far longer than any real one.
    too_long = Q(
        state__in=AT_PROVIDER,
        created_at__lt=now - timedelta(seconds=settings.JOB_MAX_SECONDS),
    )
    report += _fail_each(
        too_long, "timed_out", "No result arrived from the provider in time.", "timed out"
    )
    trim(now)
    if any_in_flight() and ensure_poller():
        report.append("poller restarted")
    return report


def _fail_each(still: Q, code: str, reason: str, label: str) -> list[str]:
    """Fail every row matching `still`, each once however many workers re-drive at once
    (a guarded transition: a row that a poll or another worker moved meanwhile is left)."""
    return [f"{pk}: {label}" for pk in transitions.fail_where(still, code, reason)]


def _accepted_but_pending() -> list[str]:
    """Rows an older version left `pending` with an upstream id (an accepted job whose
    state it did not know): at the provider, so polled as queued from now on."""
    moved = []
    stuck = Q(state=State.PENDING) & ~Q(upstream_id="")
    for gen in Generation.objects.filter(stuck):
        gen.set_state(State.QUEUED)
        gen.next_attempt_at = timezone.now()
        if transitions.write(gen, stuck):
            moved.append(f"{gen.pk}: accepted, polled as queued")
    return moved


def trim(now) -> None:
    """Rows that would otherwise grow without end: a heartbeat row per worker ever
    started, django-q2's failed tasks (it keeps them for ever; successes are capped by
    `save_limit`), and request-budget rows not used for a day (a bucket an older version
    named, or one idle that long: it would be full again, and is made full when next used)."""
    WorkerHeartbeat.objects.filter(expires_at__lt=now - HEARTBEATS_KEPT).delete()
    Failure.objects.filter(stopped__lt=now - FAILED_TASKS_KEPT).delete()
    RequestBudget.objects.filter(refilled_at__lt=now - BUDGETS_KEPT).delete()
