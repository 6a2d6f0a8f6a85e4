"""Where a generation came from and what was made from it: "Edit of #12",
"Remix of #9" and, the other way, "Edited in #15", "Remixed in #16". Each link is shown
only to someone who may see the generation at its other end (access.py)."""

from __future__ import annotations

from dataclasses import dataclass

from . import access
from .models import Generation, Lineage

# A generation remixed more often than this lists its first ones only.
MAX_CHILDREN = 50

PARENT_LABELS = {Lineage.EDIT: "Edit of", Lineage.REMIX: "Remix of"}
CHILD_LABELS = {Lineage.EDIT: "Edited in", Lineage.REMIX: "Remixed in"}


@dataclass(frozen=True)
class Link:
    label: str
    pk: int


def parent_for(user, gen: Generation) -> Link | None:
    """What `gen` was made from, when `user` may see it (one query)."""
    if gen.derived_from_id is None or gen.derived_kind not in PARENT_LABELS:
        return None
    if not access.visible_generations(user).filter(pk=gen.derived_from_id).exists():
        return None
    return Link(PARENT_LABELS[gen.derived_kind], gen.derived_from_id)


def children_for(user, gen: Generation) -> list[Link]:
    """What was made from `gen` that `user` may see, oldest first (one query)."""
    rows = (
        access.visible_generations(user)
        .filter(derived_from=gen)
        .order_by("created_at", "id")
        .values_list("pk", "derived_kind")[:MAX_CHILDREN]
    )
    return [Link(CHILD_LABELS[kind], pk) for pk, kind in rows if kind in CHILD_LABELS]
