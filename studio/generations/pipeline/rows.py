"""Small helpers every stage shares (the writes themselves go through transitions.py)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from django.utils import timezone

from .. import queue
from ..models import PollLease


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
