"""Who may see or change a collection, and which of its items each person is shown.

- A personal collection (no team) is its maker's alone: anyone else gets 404.
- A team's collection is seen by every member (viewer, editor, owner); editors and owners
  create it, rename it, add to it, remove from it, reorder it, choose its cover and delete it.
  A viewer who may see it but not change it gets 403 on those actions (as on a team's
  members page); outsiders get 404.
- An item is shown, and may be added, only where nobody who sees the collection could
  otherwise not see it: in a team's collection only what is shared with that team; in a
  personal one only what its maker may see as an author or member. A reviewer's extra view
  of the review queue never counts here (reviewers see nothing of collections through it).
- Items are filtered when shown, not when stored: an image unshared or put in the trash
  drops out, and comes back if it is shared again or restored.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from studio.generations.models import Generation
from studio.teams.models import PersonTeams, Team

from .models import Collection


def visible_collections(user) -> QuerySet[Collection]:
    if not user.is_authenticated:
        return Collection.objects.none()
    return Collection.objects.filter(
        Q(team__isnull=True, user=user) | Q(team__in=Team.objects.for_member(user))
    )


def editable_collections(user) -> QuerySet[Collection]:
    """The collections `user` may add to (the "Collect into" and "Add to collection" choices)."""
    if not user.is_authenticated:
        return Collection.objects.none()
    return Collection.objects.filter(
        Q(team__isnull=True, user=user) | Q(team__in=Team.objects.shareable_by(user))
    )


def seen_collections(user, teams: PersonTeams) -> list[Collection]:
    """visible_collections with each marked `editable` (as editable_collections decides), by
    name, from the person's teams as the page read them: one query for both lists."""
    if not user.is_authenticated:
        return []
    seen = Collection.objects.filter(
        Q(team__isnull=True, user=user) | Q(team_id__in=list(teams.roles))
    )
    shareable = {team.pk for team in teams.shareable}
    marked = list(seen.select_related("team").order_by("name", "pk"))
    for collection in marked:
        collection.editable = collection.team_id is None or collection.team_id in shareable
    return marked


def may_change(user, collection: Collection) -> bool:
    if collection.team_id is None:
        return user.is_authenticated and collection.user_id == user.pk
    return collection.team.can_share(user)


def get_collection_for(user, collection_id, *, write: bool = False) -> Collection:
    """The collection, or 404 for anyone who may not see it; with `write`, 403 for a member
    who sees it but may not change it."""
    try:
        collection = visible_collections(user).select_related("team", "user").get(pk=collection_id)
    except (Collection.DoesNotExist, ValueError, TypeError):
        raise Http404("No such collection") from None
    if write and not may_change(user, collection):
        raise PermissionDenied("Only the team's editors and owners change its collections.")
    return collection


def collectable_generations(user, collection: Collection) -> QuerySet[Generation]:
    """What may be shown in (and added to) `collection`, for anyone who sees it."""
    if collection.team_id is not None:
        return Generation.objects.kept().filter(team_id=collection.team_id)
    owner = collection.user
    mine = Q(user=owner) | Q(team__in=Team.objects.for_member(owner))
    return Generation.objects.kept().filter(mine)


def items_of(user, collection: Collection) -> QuerySet[Generation]:
    """The generations shown in `collection` (already checked with get_collection_for)."""
    return collectable_generations(user, collection).filter(collection_items__collection=collection)
