"""Batches: several images of one prompt from one submit (the composer's `count`).

Each member is an ordinary generation (its own upstream job, its own card, its own
failure); the Batch row only links them and gives them positions 1..size. A batch is
accepted whole or refused whole: every member is saved in one transaction, after the form
(and the budget and rate limit, which count the whole batch) said yes.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction

from . import gate, services
from .models import Batch, Generation


def create(
    *, user, data: dict[str, Any], inputs: Iterable[dict[str, Any]], team=None, count: int = 1
) -> list[Generation]:
    """`count` generations with the same parameters and inputs, in position order; linked
    as one batch when there are several. Nothing is sent before the transaction commits."""
    inputs = list(inputs)
    if count == 1:
        return [services.create_generation(user=user, data=data, inputs=inputs, team=team)]
    with transaction.atomic():
        # The whole batch against the caps at once: refused whole, and the message names
        # what all of it costs.
        gate.reserve(
            user=user, team=team, estimate=services.price_of(data, inputs, count=count), count=count
        )
        batch = Batch.objects.create(user=user, size=count)
        # One timestamp for all, so the gallery's (created_at, id) order keeps them side by
        # side; made last position first, so the newest-first gallery reads 1, 2, 3, 4.
        members = [
            services.create_generation(
                user=user,
                data=data,
                inputs=inputs,
                team=team,
                batch=batch,
                batch_position=position,
                created_at=batch.created_at,
                reserved=True,
            )
            for position in range(count, 0, -1)
        ]
    return members[::-1]


def grouped(generations: Iterable[Generation]) -> list[Generation]:
    """One gallery page with the members of each batch together, in position order, where
    the first of them comes. (A retried member is newer than the rest of its batch: it
    brings the others on the same page up with it, and never moves across pages.)"""
    items = list(generations)
    by_batch: dict[int, list[Generation]] = {}
    for gen in items:
        if gen.batch_id is not None:
            by_batch.setdefault(gen.batch_id, []).append(gen)
    result: list[Generation] = []
    for gen in items:
        if gen.batch_id is None:
            result.append(gen)
        elif gen.batch_id in by_batch:
            result += sorted(by_batch.pop(gen.batch_id), key=lambda g: g.batch_position or 0)
    return result
