"""The entry points django-q2 calls, by dotted path (queue.py enqueues them by name; the
Schedule made by migration 0002 runs `watchdog`). Each is a trigger that moves rows along:
the decisions are in the pipeline package, the row is the source of truth.

Any task may run twice or never: `submit` claims its row, the polling loop runs under a
lease, and the once-a-minute `watchdog` re-drives what was lost.
"""

from __future__ import annotations

import os

from django.conf import settings

from studio.core import logs

from . import media_check, pipeline, queue, trash
from .models import PollLease


@logs.traced
def submit(generation_id: int) -> str:
    """POST one pending row upstream, at most once."""
    return pipeline.submit(generation_id)


@logs.traced
def poll_loop(token: str) -> str:
    """The polling loop as a chain of tasks, for a bare `qcluster` (studio_worker runs the
    loop in its own thread and holds the lease, so this one then finds it taken).

    django-q2 has no delayed enqueue and kills long tasks, so each turn polls for at most
    POLL_TASK_SECONDS, then hands over to the next task.
    """
    if not PollLease.acquire(token):
        return "lease held by another loop"
    result = pipeline.run_loop(token, seconds=settings.POLL_TASK_SECONDS, idle_exit=True)
    if result == "idle":
        PollLease.release(token)
        # A row may have arrived between the check and the release: look once more.
        if pipeline.any_in_flight():
            pipeline.ensure_poller()
        return "idle"
    if result == "turn over" and PollLease.acquire(token):
        queue.enqueue("poll_loop", token)
        return "continues"
    return result


def heartbeat(worker_id: str) -> str:
    """Enqueued every few seconds by each studio_worker: proof that a cluster runs tasks.

    It names the cluster that ran it (its STUDIO_WORKER_ID, whoever enqueued it); the beat
    itself is written by the cluster's monitor once it has saved the result (signals.py),
    so a cluster whose pusher, workers or monitor is stuck stops beating.
    """
    return os.environ.get("STUDIO_WORKER_ID") or worker_id


@logs.traced
def watchdog() -> str:
    """Run once a minute by a Schedule: re-drive whatever lost its task."""
    return "; ".join(pipeline.redrive()) or "ok"


def purge_trash() -> str:
    """Run hourly by the Schedule migration 0016 makes: files 30 days in the trash go."""
    purged = trash.purge_due()
    return f"{purged} trashed items purged" if purged else "ok"


def sweep_orphans() -> str:
    """Run daily by the Schedule migration 0017 makes: files no row names (a delete the
    storage refused, a process killed between writing a file and committing its row) are
    removed once they are older than media_check.MIN_AGE, so they cannot pile up."""
    removed, left = media_check.sweep()
    if not removed and not left:
        return "ok"
    return f"{removed} orphan files removed" + (f", {left} could not be" if left else "")
