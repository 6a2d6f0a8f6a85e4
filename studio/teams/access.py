"""What one may do in a team: open its gallery and members page, manage its members, share
with it. The generation rules (`studio.generations.access`) ask here for team membership;
every team page asks here for the team."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from .models import Membership, PersonTeams, Team


def may_manage_members(user, team: Team) -> bool:
    return team.can_manage(user)


def get_team_for(user, slug: str) -> Team:
    """The team whose gallery and members page `user` may open (any member), or 404."""
    try:
        return Team.objects.for_member(user).get(slug=slug)
    except Team.DoesNotExist:
        raise Http404("No such team") from None


def get_team_owned_by(user, slug: str) -> Team:
    """The team whose owner `user` is (for its usage page), or 404 for anyone else."""
    try:
        return Team.objects.managed_by(user).get(slug=slug)
    except Team.DoesNotExist:
        raise Http404("No such team") from None


def shareable_teams(user) -> QuerySet[Team]:
    """The teams `user` may share their own work with (the form's and menu's choices)."""
    return Team.objects.shareable_by(user)


def teams_for(request) -> PersonTeams:
    """The signed-in person's teams (Membership.objects.teams_of), read once per request
    for every part of a page that asks (the gallery, the composer, the collections)."""
    if not hasattr(request, "_person_teams"):
        request._person_teams = Membership.objects.teams_of(request.user)
    return request._person_teams
