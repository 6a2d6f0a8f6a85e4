"""Keeping validated uploads between two submits of a form: stage, resolve a token for its
owner, read, trim a user's pile, purge what is stale."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import timedelta

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from studio.core.media import extension_for

from .models import StagedUpload
from .validation import NormalisedImage

log = logging.getLogger("studio.uploads")

# Past this many staged files a user's oldest ones are dropped, so failed submits cannot
# fill the disk before the purge of stale ones (uploads/tasks.py).
MAX_STAGED_PER_USER = 200


def stage(user, image: NormalisedImage, *, origin: str = "") -> StagedUpload:
    """Keep a validated, normalised image for `user` and return its row (with a token)."""
    staged = StagedUpload(
        user=user,
        origin=origin,
        media_type=image.media_type,
        width=image.width,
        height=image.height,
        bytes=len(image.content),
        original_name=image.name[:255],
    )
    staged.file.save(
        f"{staged.token}.{extension_for(image.media_type)}",
        ContentFile(image.content),
        save=True,
    )
    _trim(user)
    return staged


def _trim(user) -> None:
    old_ids = list(
        StagedUpload.objects.filter(user=user)
        .order_by("-created_at", "-id")
        .values_list("id", flat=True)[MAX_STAGED_PER_USER:]
    )
    if old_ids:
        for row in StagedUpload.objects.filter(id__in=old_ids):
            _delete_once(row)


def resolve(user, tokens: Iterable[str]) -> tuple[list[StagedUpload], list[str]]:
    """The user's own staged uploads for `tokens`, in the order given, and the tokens that
    did not resolve (expired, mistyped or someone else's: all look the same)."""
    wanted = [t for t in dict.fromkeys(t.strip() for t in tokens if t and t.strip())]
    if not wanted:
        return [], []
    if user is None or not user.is_authenticated:
        return [], wanted
    found = {s.token: s for s in StagedUpload.objects.filter(user=user, token__in=wanted)}
    return [found[t] for t in wanted if t in found], [t for t in wanted if t not in found]


def read(staged: StagedUpload) -> bytes:
    with staged.file.open("rb") as fh:
        return fh.read()


def purge_stale(older_than: timedelta = timedelta(days=1)) -> int:
    """Delete staged uploads (rows and files) older than `older_than`; returns how many."""
    cutoff = timezone.now() - older_than
    count = 0
    for row in StagedUpload.objects.filter(created_at__lt=cutoff).iterator():
        count += _delete_once(row)
    if count:
        log.info("purged %s stale staged uploads", count)
    return count


class _GoneAlready(Exception):
    pass


def _delete_once(row: StagedUpload) -> int:
    """Delete `row` (the post_delete signal removes its file on commit): 1, or 0 when
    another worker purging at the same time deleted it first.

    Django sends post_delete even when the DELETE found no row, so the DELETE's own count
    decides: with none, the savepoint is rolled back and the file deletion queued inside it
    is dropped with it (the other worker's is the one that runs).
    """
    try:
        with transaction.atomic():
            deleted, _ = row.delete()
            if not deleted:
                raise _GoneAlready
    except _GoneAlready:
        return 0
    return 1
