"""The trash: Delete moves an item here for 30 days (restorable), then its files are purged.

Trashing only sets `trashed_at`: the row keeps its team, its collections and its state (a job
in flight still finishes), so Restore brings all of it back. A trashed row is hidden from
every gallery, page, file and API answer (`Generation.objects.kept()`, asked by the access
module). Purging deletes its outputs and inputs (their files go with them, signals.py) and
keeps the row, hidden for good, so that what it cost still counts in its month's spend.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from .models import Generation

KEEP = timedelta(days=30)


def trashed_for(user) -> QuerySet[Generation]:
    """What `user` may restore: their own items in the trash, most recently deleted first."""
    if not getattr(user, "is_authenticated", False):
        return Generation.objects.none()
    return Generation.objects.in_trash().filter(user=user).order_by("-trashed_at", "-pk")


def trash(generations: Iterable[Generation]) -> list[int]:
    """Move `generations` (already checked: the person may change each) to the trash."""
    ids = [g.pk for g in generations]
    now = timezone.now()
    Generation.objects.filter(pk__in=ids, trashed_at__isnull=True).update(trashed_at=now)
    return ids


def restore(*, user, ids: Iterable[int]) -> int:
    """Bring `user`'s own trashed `ids` back, team, collections and all; others are ignored."""
    return trashed_for(user).filter(pk__in=list(ids)).update(trashed_at=None)


def purge(generations: QuerySet[Generation]) -> int:
    """Delete the files of trashed `generations` for good; their rows stay (spend)."""
    from .models import Output, Reference

    with transaction.atomic():
        rows = list(generations.filter(trashed_at__isnull=False).values_list("pk", flat=True))
        # One by one, so that each row's post_delete signal deletes its file on commit.
        for item in Output.objects.filter(generation_id__in=rows):
            item.delete()
        for item in Reference.objects.filter(generation_id__in=rows):
            item.delete()
        Generation.objects.filter(pk__in=rows).update(purged_at=timezone.now())
    return len(rows)


def empty(*, user) -> int:
    return purge(trashed_for(user))


def purge_due(now=None) -> int:
    """Purge what has been in the trash longer than KEEP (the hourly Schedule)."""
    cutoff = (now or timezone.now()) - KEEP
    return purge(Generation.objects.in_trash().filter(trashed_at__lte=cutoff))
