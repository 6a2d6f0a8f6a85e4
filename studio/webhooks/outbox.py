"""The outbox: a job's end becomes delivery rows in the transaction that ends it.

`on_transition` is named by the STUDIO_TRANSITION_HOOKS setting and called by the pipeline
inside the transaction of every state change, so a delivery exists exactly when the change
committed: a crash after the commit loses no event (the worker sends the row when it comes
back), a rolled-back change leaves no row and sends nothing.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from studio.generations.api_object import as_api_object
from studio.generations.models import Generation, State

from . import queue, sender
from .models import Delivery, Endpoint
from .notify import wants_email

EVENT_FOR_STATE = {State.COMPLETED: "generation.completed", State.FAILED: "generation.failed"}


def on_transition(generation: Generation, old_state: str, new_state: str) -> None:
    """Queue the deliveries (and the e-mail check) for a job that just ended."""
    event = EVENT_FOR_STATE.get(new_state)
    if event is None or old_state == new_state:
        return
    endpoints = [
        e
        for e in Endpoint.objects.filter(user_id=generation.user_id, disabled_at__isnull=True)
        if event in e.events
    ]
    if endpoints:
        now = timezone.now()
        data = as_api_object(generation, base=settings.STUDIO_PUBLIC_URL)
        body = sender.body_for(event, data, now)
        made = Delivery.objects.bulk_create(
            Delivery(
                endpoint=e,
                event=event,
                generation_id=generation.pk,
                body=body,
                next_attempt_at=now,
                created_at=now,
            )
            for e in endpoints
        )
        ids = [d.pk for d in made]
        # A fast path only: if this task is lost, the once-a-minute sweep sends the rows.
        transaction.on_commit(lambda: [queue.enqueue("deliver", pk) for pk in ids])
    if wants_email(generation.user_id):
        transaction.on_commit(lambda: queue.enqueue("notify_by_email", generation.pk))
