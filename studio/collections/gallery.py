"""A collection's page of cards: its own order (position, then id), paged by keyset like
every other gallery (no OFFSET however deep)."""

from __future__ import annotations

import base64

from django.db.models import F, Q, QuerySet

from studio.generations.gallery import PAGE_SIZE, Page
from studio.generations.models import Generation

from . import access


def encode_cursor(gen: Generation) -> str:
    return base64.urlsafe_b64encode(f"{gen.slot}|{gen.pk}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[int, int] | None:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        slot, pk = base64.urlsafe_b64decode(padded).decode().split("|", 1)
        return int(slot), int(pk)
    except (ValueError, UnicodeDecodeError):
        return None


def ordered(items: QuerySet[Generation]) -> QuerySet[Generation]:
    """`items` (access.items_of, which joins the collection's rows) in the collection's order,
    each with its `slot`."""
    return items.annotate(slot=F("collection_items__position")).order_by("slot", "id")


# Up to this many, a collection's page counts what it shows exactly. Past it, the count
# would check every item's visibility on each page view (a join over the whole collection:
# 40 ms at 10,000 items on PostgreSQL), so the page says "about" the number of stored items.
EXACT_COUNT_UP_TO = 1000


def shown_count(items: QuerySet[Generation], collection) -> tuple[int, bool]:
    """How many images `collection` shows (`items`: access.items_of), and whether exactly."""
    shown = items.order_by()[: EXACT_COUNT_UP_TO + 1].count()
    if shown <= EXACT_COUNT_UP_TO:
        return shown, True
    return collection.items.count(), False


def page_of(items: QuerySet[Generation], cursor: str | None, size: int = PAGE_SIZE) -> Page:
    qs = ordered(items).select_related("user", "team", "batch").prefetch_related("outputs")
    if cursor and (position := decode_cursor(cursor)):
        slot, pk = position
        qs = qs.filter(Q(slot__gt=slot) | Q(slot=slot, pk__gt=pk))
    got = list(qs[: size + 1])
    more = len(got) > size
    got = got[:size]
    return Page(items=got, next_cursor=encode_cursor(got[-1]) if more and got else None)


def in_collection(qs: QuerySet[Generation], *, user, collection_id: int) -> QuerySet[Generation]:
    """A gallery's `collection` filter (settings.COLLECTION_FILTER): what of `qs` is shown in
    that collection to `user`; nothing when they may not see the collection."""
    collection = access.visible_collections(user).filter(pk=collection_id).first() if user else None
    if collection is None:
        return qs.none()
    return qs.filter(pk__in=access.items_of(user, collection).values("pk"))
