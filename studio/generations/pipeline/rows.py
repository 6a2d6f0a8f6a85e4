"""The pipeline's own columns and the small writes every stage shares."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from django.utils import timezone

from .. import queue
from ..models import PIPELINE_FIELDS, Generation, PollLease


def save(gen: Generation) -> None:
    """Save only the columns the pipeline owns (see PIPELINE_FIELDS)."""
    gen.save(update_fields=PIPELINE_FIELDS)


def fail(gen: Generation, code: str, reason: str) -> None:
    gen.fail(code, reason)
    save(gen)


def due_in(seconds: float) -> datetime:
    return timezone.now() + timedelta(seconds=seconds)


def ensure_poller() -> bool:
    """Start the polling loop (as a chain of tasks) unless a live one holds the lease; a
    studio_worker's own loop holds it for as long as that worker lives."""
    token = uuid.uuid4().hex
    if PollLease.acquire(token):
        queue.enqueue("poll_loop", token)
        return True
    return False
