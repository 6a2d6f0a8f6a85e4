"""Who may see or change a generation, and whose team gallery one may open.

Every view, partial, poll and file download asks here; the team rules themselves
(membership, who may share) belong to `studio.teams`. Outsiders get 404, never 403, so
that a guessed id tells them nothing.

Today: a generation is seen by its author, by the members of the team it is shared with
(any role), and by holders of `generations.view_generation` (reviewers in the admin); only
its author may change it (favourite, retry, delete).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q, QuerySet
from django.http import Http404

from studio.teams.models import Team

from .models import Generation


def visible_generations(user) -> QuerySet[Generation]:
    if not user.is_authenticated:
        return Generation.objects.none()
    if user.has_perm("generations.view_generation"):
        # Admins reviewing moderated failures see the inputs and outputs they judge.
        return Generation.objects.all()
    return Generation.objects.filter(Q(user=user) | Q(team__in=Team.objects.for_member(user)))


def own_generations(user) -> QuerySet[Generation]:
    """The user's own work, shared or not: what the studio's gallery lists."""
    if not user.is_authenticated:
        return Generation.objects.none()
    return Generation.objects.filter(user=user)


def is_author(user, generation: Generation) -> bool:
    return user.is_authenticated and generation.user_id == user.pk


def may_change(user, generation: Generation) -> bool:
    # Only the author: teammates, whatever their role, and reviewers look but do not touch.
    return is_author(user, generation)


def get_generation_for(user, generation_id, *, write: bool = False) -> Generation:
    """The generation, or 404 for anyone who may not see it (or change it, with write)."""
    # The write queryset is may_change() as a query.
    qs = own_generations(user) if write else visible_generations(user)
    try:
        return qs.get(pk=generation_id)
    except (Generation.DoesNotExist, ValueError, TypeError):
        raise Http404("No such generation") from None


def mark_for(user, generations: Iterable[Generation]) -> list[Generation]:
    """The generations, each told what this viewer may do with it, for the card template:
    `is_own` (no "by …" line) and `can_change` (star, retry)."""
    marked = list(generations)
    for gen in marked:
        gen.is_own = is_author(user, gen)
        gen.can_change = may_change(user, gen)
    return marked


def get_team_for(user, slug: str) -> Team:
    """The team whose gallery `user` may open (any member), or 404."""
    try:
        return Team.objects.for_member(user).get(slug=slug)
    except Team.DoesNotExist:
        raise Http404("No such team") from None


def team_generations(team: Team) -> QuerySet[Generation]:
    """What a team's gallery lists; `team` comes from get_team_for."""
    return Generation.objects.filter(team=team)


def batch_members_for(user, batch_id) -> list[Generation]:
    """The members of a batch that `user` may see, by position; 404 when there are none
    (a batch is seen through its images, so a member unshared later drops out)."""
    members = list(
        visible_generations(user)
        .filter(batch_id=batch_id)
        .exclude(batch_position=None)
        .select_related("user", "batch")
        .prefetch_related("outputs")
        .order_by("batch_position")
    )
    if not members:
        raise Http404("No such batch")
    return members
