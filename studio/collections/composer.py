"""The composer's "Collect into": new images land in the chosen collection (plugged into
studio.generations through settings.SUBMITTED_HOOKS and the collecting template tags)."""

from __future__ import annotations

from . import access, services

FIELD = "collection"


def chosen(user, raw) -> int | None:
    """The collection id `raw` when `user` may add to it; anything else is no choice."""
    raw = str(raw or "").strip()
    if not raw.isdigit():
        return None
    return (
        access.editable_collections(user).filter(pk=int(raw)).values_list("pk", flat=True).first()
    )


def collect_submitted(*, user, generations, data) -> None:
    """Put a submission's new images at the top of the collection chosen in the composer.
    A collection the person may no longer add to (a stale page) collects nothing; the images
    are made all the same."""
    collection_id = chosen(user, data.get(FIELD))
    if collection_id is None or not generations:
        return
    collection = access.editable_collections(user).get(pk=collection_id)
    services.add(user=user, collection=collection, ids=[g.pk for g in generations])
