"""The gallery's bulk action `collect` (`collection`: an id), plugged into
studio.generations.bulk through settings.BULK_ACTIONS (generations does not know of
collections)."""

from __future__ import annotations

from studio.generations.bulk import BulkError

from . import access, services


def collect(*, user, ids: list[int], data) -> str:
    raw = str(data.get("collection", "")).strip()
    collection = None
    if raw.isdigit():
        collection = access.editable_collections(user).filter(pk=int(raw)).first()
    if collection is None:
        raise BulkError("Choose one of your collections (or a team's, as its editor) first.")
    return services.add(user=user, collection=collection, ids=ids).message(collection)
