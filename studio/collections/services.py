"""Changing collections: create, add, remove, move, cover, delete. Each takes a collection
the caller got through access.get_collection_for(write=True)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Min

from studio.generations.models import Generation
from studio.teams.models import Team

from . import access
from .models import Collection, CollectionItem

NAME_MAX = 100


class CollectionError(ValueError):
    """Refused whole (400); the message is for the person who asked."""


def create_collection(*, user, name: str, team: Team | None = None) -> Collection:
    name = " ".join(name.split())[:NAME_MAX]
    if not name:
        raise CollectionError("Give the collection a name.")
    return Collection.objects.create(name=name, user=user, team=team)


@dataclass
class Added:
    added: list[int] = field(default_factory=list)
    already: int = 0
    refused: int = 0  # not something everyone who sees the collection may see

    def message(self, collection: Collection) -> str:
        parts = [f"{len(self.added)} added to {collection.name}"]
        if self.already:
            parts.append(f"{self.already} {'was' if self.already == 1 else 'were'} in it already")
        if self.refused:
            reason = (
                f"not shared with {collection.team.name}"
                if collection.team_id
                else "not yours to collect"
            )
            parts.append(f"{self.refused} {'was' if self.refused == 1 else 'were'} {reason}")
        return ", ".join(parts)


def add(*, user, collection: Collection, ids: list[int]) -> Added:
    """Put the generations `ids` at the top of `collection`, in the order given; what may
    not be shown there is refused (counted, never an error for the rest)."""
    outcome = Added()
    allowed = set(
        access.collectable_generations(user, collection)
        .filter(pk__in=ids)
        .values_list("pk", flat=True)
    )
    with transaction.atomic():
        # Lock the collection so two adds do not take the same positions.
        Collection.objects.select_for_update().filter(pk=collection.pk).first()
        present = set(
            CollectionItem.objects.filter(
                collection=collection, generation_id__in=allowed
            ).values_list("generation_id", flat=True)
        )
        new = [i for i in ids if i in allowed and i not in present]
        outcome.already = len([i for i in ids if i in present])
        outcome.refused = len(ids) - len(new) - outcome.already
        top = CollectionItem.objects.filter(collection=collection).aggregate(m=Min("position"))
        start = (top["m"] if top["m"] is not None else 0) - len(new)
        CollectionItem.objects.bulk_create(
            [
                CollectionItem(
                    collection=collection, generation_id=gen_id, position=start + i, added_by=user
                )
                for i, gen_id in enumerate(new)
            ],
            ignore_conflicts=True,
        )
        outcome.added = new
        if new:
            collection.save(update_fields=["updated_at"])
    return outcome


def remove(*, collection: Collection, ids: list[int]) -> int:
    """Take `ids` out of `collection` (the images stay where they are); how many were in it."""
    removed, _ = CollectionItem.objects.filter(
        collection=collection, generation_id__in=ids
    ).delete()
    if removed:
        Collection.objects.filter(pk=collection.pk, cover_id__in=ids).update(cover=None)
        collection.save(update_fields=["updated_at"])
    return removed


def move(*, user, collection: Collection, generation_id: int, before: int | None) -> None:
    """Put `generation_id` just before `before` in the order everyone sees, or last when
    `before` is None. Only the rows between the old and the new place are rewritten."""
    shown = list(
        access.items_of(user, collection)
        .order_by("collection_items__position", "pk")
        .values_list("pk", "collection_items__position")
    )
    ids = [pk for pk, _ in shown]
    if generation_id not in ids or generation_id == before:
        raise CollectionError("That image is not in this collection.")
    if before is not None and before not in ids:
        raise CollectionError("That image is not in this collection.")
    old = ids.index(generation_id)
    ids.remove(generation_id)
    ids.insert(ids.index(before) if before is not None else len(ids), generation_id)
    new = ids.index(generation_id)
    low, high = min(old, new), max(old, new)
    positions = [pos for _, pos in shown]
    span = positions[low : high + 1]
    if any(later <= earlier for earlier, later in zip(span, span[1:], strict=False)):
        # Ties (never made here, but possible in old data): number everything shown afresh.
        low, high = 0, len(ids) - 1
        span = list(range(positions[0], positions[0] + len(ids)))
    # The same positions, handed out again in the new order: items hidden from this person
    # keep theirs.
    with transaction.atomic():
        items = {
            item.generation_id: item
            for item in CollectionItem.objects.select_for_update().filter(
                collection=collection, generation_id__in=ids[low : high + 1]
            )
        }
        for at, position in zip(range(low, high + 1), span, strict=True):
            items[ids[at]].position = position
        CollectionItem.objects.bulk_update(items.values(), ["position"])
        collection.save(update_fields=["updated_at"])


def step(*, user, collection: Collection, generation_id: int, by: int) -> None:
    """Move one place earlier (by=-1) or later (by=1): the keyboard's and no-script's move."""
    ids = list(
        access.items_of(user, collection)
        .order_by("collection_items__position", "pk")
        .values_list("pk", flat=True)
    )
    if generation_id not in ids:
        raise CollectionError("That image is not in this collection.")
    at = ids.index(generation_id)
    target = at + by
    if target < 0 or target >= len(ids):
        return  # already first or last
    # One earlier: before the card now there. One later: before the card after that one.
    later = ids[target + 1] if target + 1 < len(ids) else None
    before = ids[target] if by < 0 else later
    move(user=user, collection=collection, generation_id=generation_id, before=before)


def set_cover(*, user, collection: Collection, generation_id: int) -> None:
    if not access.items_of(user, collection).filter(pk=generation_id).exists():
        raise CollectionError("That image is not in this collection.")
    collection.cover_id = generation_id
    collection.save(update_fields=["cover", "updated_at"])


def cover_of(user, collection: Collection) -> Generation | None:
    """The chosen cover while it is still shown, else the first item with an image."""
    shown = access.items_of(user, collection).filter(state="completed")
    if collection.cover_id and (gen := shown.filter(pk=collection.cover_id).first()):
        return gen
    return shown.order_by("collection_items__position", "pk").first()


def delete_collection(*, collection: Collection) -> None:
    """The collection and its rows; no image is touched."""
    collection.delete()
