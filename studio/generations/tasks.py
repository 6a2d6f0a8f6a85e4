"""The entry points django-q2 calls, by dotted path (queue.py enqueues them by name; the
Schedule made by migration 0002 runs `watchdog`). Each is a trigger that moves rows along:
the decisions are in pipeline.py, the row is the source of truth.

Any task may run twice or never: `submit` claims its row, the polling loop runs under a
lease, and the once-a-minute `watchdog` re-drives what was lost.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.utils import timezone

from . import pipeline, queue
from .models import PollLease


def submit(generation_id: int) -> str:
    """POST one pending row upstream, at most once."""
    return pipeline.submit(generation_id)


def poll_loop(token: str) -> str:
    """One turn of the loop: poll what is due, wait briefly, hand over to the next turn.

    django-q2 has no delayed enqueue, so the loop is a chain of short tasks, one at a time
    under the lease, rather than one task per job sleeping between polls.
    """
    if not PollLease.acquire(token):
        return "lease held by another loop"
    pipeline.poll_due()
    if not pipeline.any_in_flight():
        PollLease.release(token)
        # A row may have arrived between the check and the release: look once more.
        if pipeline.any_in_flight():
            pipeline.ensure_poller()
        return "idle"
    next_due = pipeline.next_due()
    wait = settings.POLL_LOOP_MAX_SLEEP
    if next_due is not None:
        wait = min(wait, max(0.0, (next_due - timezone.now()).total_seconds()))
    time.sleep(wait)
    if PollLease.acquire(token):
        queue.enqueue("poll_loop", token)
    return "continues"


def watchdog() -> str:
    """Run once a minute by a Schedule: re-drive whatever lost its task."""
    return "; ".join(pipeline.redrive()) or "ok"
