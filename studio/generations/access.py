"""Who may see or change a generation, and what one may do in a team: the one place that
answers "may see", "may share", "may unshare", "may delete", "may favourite", "may manage
members". Every view, partial, poll and file download asks here; the team rules
themselves (membership, roles) and the team look-ups belong to `studio.teams`
(`studio.teams.access`, named here too so that generations' views ask one module).

The rule:
- a generation is seen by its author, by every member of the team it is shared with
  (viewer, editor, owner), by superusers, and by reviewers (staff holding
  `moderation.review_moderatedfailure`, the Reviewers group) while it is in the review
  queue (a moderated failure): its detail page and input files, nothing else of other
  people's; `generations.view_generation` opens nothing here;
- anyone who sees it may star it (the star is theirs) and remix it into their own work;
- its author may share it with a team where they are editor or owner, and unshare it
  (even after leaving that team); a team owner may take any item out of the team gallery;
- only the author may delete or retry it;
- a team's gallery and members page are seen by its members; only owners manage members.

Outsiders get 404, never 403, so that a guessed id tells them nothing. A refused change to
a generation one may see is also 404 (as if the action did not exist for them); a member
who may see a team but not manage it gets 403 on the members page's actions.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q, QuerySet
from django.http import Http404

from studio.teams.access import (  # noqa: F401 (the team look-ups, asked here by generations' views)
    get_team_for,
    get_team_owned_by,
    may_manage_members,
    shareable_teams,
    teams_for,
)
from studio.teams.models import MANAGING_ROLES, SHARING_ROLES, Membership, PersonTeams, Team

from .models import MODERATED_FAILURE, Favourite, Generation

REVIEW_PERMISSION = "moderation.review_moderatedfailure"


def is_reviewer(user) -> bool:
    return user.is_authenticated and user.is_staff and user.has_perm(REVIEW_PERMISSION)


def visible_generations(user, *, teams: PersonTeams | None = None) -> QuerySet[Generation]:
    """`teams`: the person's teams as the request read them (teams_for), when it has."""
    if not user.is_authenticated:
        return Generation.objects.none()
    # Nothing in the trash, for anyone (studio.generations.trash lists it to its author).
    if user.is_superuser:
        return Generation.objects.kept()
    if teams is not None:
        member_of = [pk for pk, role in teams.roles.items() if role in Membership.Role.values]
        mine = Q(user=user) | Q(team_id__in=member_of)
    else:
        mine = Q(user=user) | Q(team__in=Membership.objects.team_ids_of(user))
    if is_reviewer(user):
        # What they judge, and only that: the queue's items (their inputs with them).
        mine |= MODERATED_FAILURE
    return Generation.objects.kept().filter(mine)


def own_generations(user) -> QuerySet[Generation]:
    """The user's own work, shared or not: what the studio's gallery lists."""
    if not user.is_authenticated:
        return Generation.objects.none()
    return Generation.objects.kept().filter(user=user)


def is_author(user, generation: Generation) -> bool:
    return user.is_authenticated and generation.user_id == user.pk


def may_change(user, generation: Generation) -> bool:
    """Delete or retry: only the author; teammates, whatever their role, and reviewers
    look but do not touch."""
    return is_author(user, generation)


may_delete = may_change
may_retry = may_change


def may_see(user, generation: Generation) -> bool:
    return visible_generations(user).filter(pk=generation.pk).exists()


def may_favourite(user, generation: Generation) -> bool:
    """Anyone who sees a generation may star it: the star is theirs alone."""
    return may_see(user, generation)


def may_share(user, generation: Generation, team: Team) -> bool:
    """Put `generation` in `team`'s gallery: its author, an editor or owner there."""
    return is_author(user, generation) and team.can_share(user)


def may_unshare(user, generation: Generation) -> bool:
    """Take `generation` out of its team's gallery: its author (even one who left the
    team), or an owner of that team."""
    if generation.team_id is None:
        return False
    return is_author(user, generation) or generation.team.can_manage(user)


def get_generation_for(user, generation_id, *, write: bool = False) -> Generation:
    """The generation, or 404 for anyone who may not see it (or change it, with write)."""
    # The write queryset is may_change() as a query.
    qs = own_generations(user) if write else visible_generations(user)
    try:
        return qs.select_related("team", "user", "api_token").get(pk=generation_id)
    except (Generation.DoesNotExist, ValueError, TypeError):
        raise Http404("No such generation") from None


def for_viewer(
    user, generations: Iterable[Generation], *, teams: PersonTeams | None = None
) -> list[Generation]:
    """The generations, each told what this viewer may do with it, for the card template:
    `is_own` (no author line), `can_change` (retry, delete), `can_share` (the share menu),
    `can_unshare`, `is_starred` (this viewer's star). Two queries for any number of cards
    (their roles, their stars; a third for the teams to share with when some card is the
    viewer's own), whatever the page size; none of these with `teams`, the viewer's teams
    when the page has them already (Membership.objects.teams_of)."""
    marked = list(generations)
    if not marked:
        return marked
    roles = teams.roles if teams is not None else Membership.objects.roles_of(user)
    starred = set()
    if user.is_authenticated:
        starred = set(
            Favourite.objects.filter(user=user, generation__in=marked).values_list(
                "generation_id", flat=True
            )
        )
    share_teams: list[Team] = []
    if any(role in SHARING_ROLES for role in roles.values()) and any(
        is_author(user, g) for g in marked
    ):
        share_teams = teams.shareable if teams is not None else list(shareable_teams(user))
    for gen in marked:
        own = is_author(user, gen)
        gen.is_own = own
        gen.can_change = own
        gen.can_share = own and bool(share_teams)
        gen.share_teams = share_teams
        gen.can_unshare = gen.team_id is not None and (
            own or roles.get(gen.team_id) in MANAGING_ROLES
        )
        gen.is_starred = gen.pk in starred
        gen.can_star = user.is_authenticated
    return marked


def team_generations(team: Team) -> QuerySet[Generation]:
    """What a team's gallery lists; `team` comes from get_team_for."""
    return Generation.objects.kept().filter(team=team)


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
