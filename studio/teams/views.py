"""The team pages: my teams (and creating one), the members page and its actions.

Who may do what in a team is asked of `access`; the changes themselves, and their rules
(a team keeps an owner), are `services`."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from studio.accounts.models import ExternalIdentity
from studio.accounts.oidc import provider_name

from . import access, invitations, services
from .http import leaves_team_on_404
from .models import Membership, Team


@login_required
@require_http_methods(["GET", "POST"])
def team_list(request: HttpRequest) -> HttpResponse:
    """My teams with my role and item counts. POST `name` creates a team (I own it);
    POST `default` (a slug, empty for none) chooses the team the composer preselects."""
    error = ""
    if request.method == "POST":
        if "default" in request.POST:
            return _set_default(request)
        try:
            team = services.create_team(name=request.POST.get("name", ""), owner=request.user)
        except services.TeamRuleError as exc:
            error = str(exc)
        else:
            messages.success(request, f"Created {team.name}: you are its owner.")
            return redirect("team-members", team.slug)
    memberships = {m.team_id: m for m in Membership.objects.filter(user=request.user)}
    teams = list(Team.objects.for_member(request.user).with_counts())
    for team in teams:
        team.my_role = memberships[team.pk].role
        team.is_my_default = memberships[team.pk].is_default
    context = {"teams": teams, "error": error, "name": request.POST.get("name", "")}
    return render(request, "teams/list.html", context, status=400 if error else 200)


def _set_default(request: HttpRequest) -> HttpResponse:
    slug = request.POST.get("default", "")
    team = access.shareable_teams(request.user).filter(slug=slug).first() if slug else None
    if slug and team is None:
        messages.error(request, "You can only choose a team you may share with.")
    else:
        services.set_default_team(user=request.user, team=team)
        messages.success(
            request,
            f"New images are shared with {team.name} by default."
            if team
            else "New images are only yours by default.",
        )
    return redirect("teams")


def _managed_team(request: HttpRequest, slug: str) -> Team:
    """The team for a member-management action: 404 for outsiders, 403 for members who
    may see the team but not manage it."""
    team = access.get_team_for(request.user, slug)
    if not access.may_manage_members(request.user, team):
        raise PermissionDenied("Only an owner of the team may do that.")
    return team


def _members_page(request: HttpRequest, team: Team, *, error: str = "", status: int = 200):
    memberships = team.memberships.select_related("user").order_by("user__username")
    can_manage = access.may_manage_members(request.user, team)
    context = {
        "team": team,
        "memberships": memberships,
        "can_manage": can_manage,
        "invitations": invitations.listed_for(team) if can_manage else [],
        "provider_name": provider_name(),
        "provider_members": set(
            ExternalIdentity.objects.filter(user__memberships__team=team).values_list(
                "user_id", flat=True
            )
        )
        if team.managed_by_claims
        else set(),
        "my_role": team.role_of(request.user),
        "roles": Membership.Role.values,
        "error": error,
        "form_username": request.POST.get("username", ""),
    }
    return render(request, "teams/members.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
@leaves_team_on_404
def members(request: HttpRequest, slug: str) -> HttpResponse:
    """Everyone in the team sees who is in it; owners add a member (`username`, `role`)."""
    if request.method == "GET":
        return _members_page(request, access.get_team_for(request.user, slug))
    team = _managed_team(request, slug)
    try:
        user = services.user_named(request.POST.get("username", ""))
        role = request.POST.get("role", Membership.Role.VIEWER)
        services.add_member(team=team, user=user, role=role, by=request.user)
    except services.TeamRuleError as exc:
        return _members_page(request, team, error=str(exc), status=400)
    messages.success(request, f"Added {user.username} as {role}.")
    return redirect("team-members", team.slug)


def _member_of(team: Team, username: str):
    try:
        return team.memberships.select_related("user").get(user__username=username).user
    except Membership.DoesNotExist:
        raise services.TeamRuleError(f"{username} is not a member of {team.name}.") from None


@login_required
@require_POST
@leaves_team_on_404
def member(request: HttpRequest, slug: str, username: str) -> HttpResponse:
    """An owner changes a member's `role`."""
    team = _managed_team(request, slug)
    try:
        user = _member_of(team, username)
        role = request.POST.get("role", "")
        services.change_role(team=team, user=user, role=role, by=request.user)
    except services.TeamRuleError as exc:
        return _members_page(request, team, error=str(exc), status=400)
    messages.success(request, f"{user.username} is now {role}.")
    return redirect("team-members", team.slug)


@login_required
@require_POST
@leaves_team_on_404
def remove_member(request: HttpRequest, slug: str, username: str) -> HttpResponse:
    """An owner removes a member; any member may remove themselves (leave)."""
    team = access.get_team_for(request.user, slug)
    leaving = username == request.user.get_username()
    if not leaving:
        team = _managed_team(request, slug)
    try:
        user = _member_of(team, username)
        services.remove_member(team=team, user=user, by=request.user)
    except services.TeamRuleError as exc:
        return _members_page(request, team, error=str(exc), status=400)
    if leaving:
        messages.success(request, f"You left {team.name}.")
        return redirect("teams")
    messages.success(request, f"Removed {user.username} from {team.name}.")
    return redirect("team-members", team.slug)


@login_required
@require_POST
@leaves_team_on_404
def rename(request: HttpRequest, slug: str) -> HttpResponse:
    team = _managed_team(request, slug)
    try:
        services.rename_team(team=team, name=request.POST.get("name", ""), by=request.user)
    except services.TeamRuleError as exc:
        return _members_page(request, team, error=str(exc), status=400)
    messages.success(request, f"The team is now called {team.name}.")
    return redirect("team-members", team.slug)


@login_required
@require_POST
@leaves_team_on_404
def delete(request: HttpRequest, slug: str) -> HttpResponse:
    """An owner deletes the team: what was shared with it is unshared, never deleted."""
    team = _managed_team(request, slug)
    name = team.name
    services.delete_team(team=team, by=request.user)
    messages.success(request, f"Deleted {name}; what was shared with it is private again.")
    return redirect("teams")
