"""Invitation links: owners make and revoke them from the members page; whoever opens one
is asked to sign in (or to make an account when sign-up is open) and then joins."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from . import invitations, services
from .http import leaves_team_on_404
from .models import Invitation, Membership, Team


def _owned_team(request: HttpRequest, slug: str) -> Team:
    """404 for anyone outside the team, 403 for members who are not owners."""
    team = Team.objects.for_member(request.user).filter(slug=slug).first()
    if team is None:
        raise Http404("No such team")
    if not team.can_manage(request.user):
        raise PermissionDenied("Only an owner of the team may invite people.")
    return team


def _number(value: str, default: int) -> int | None:
    value = (value or "").strip()
    if not value:
        return default
    return int(value) if value.isdigit() else None


@login_required
@require_http_methods(["GET", "POST"])
@leaves_team_on_404
def invites(request: HttpRequest, slug: str) -> HttpResponse:
    """POST `role` (and optional `uses`, `days`): a new invitation link. The links are
    listed on the members page, where GET sends you."""
    team = _owned_team(request, slug)
    members_url = reverse("team-members", args=[team.slug]) + "#invitations"
    if request.method == "GET":
        return redirect(members_url)
    role = request.POST.get("role", Membership.Role.VIEWER)
    uses = _number(request.POST.get("uses", ""), 1)
    days = _number(request.POST.get("days", ""), invitations.DEFAULT_DAYS)
    try:
        if uses is None or days is None:
            raise services.TeamRuleError("Uses and days are whole numbers.")
        invitation = invitations.create_invitation(
            team=team, role=role, by=request.user, max_uses=uses, days=days
        )
    except services.TeamRuleError as exc:
        messages.error(request, str(exc))
        return redirect(members_url)
    people = "1 person" if invitation.max_uses == 1 else f"{invitation.max_uses} people"
    messages.success(
        request,
        f"Invitation link made: {people} may join as {invitation.role} within {days} days. "
        "Copy it from the list below.",
    )
    return redirect(members_url)


@login_required
@require_POST
@leaves_team_on_404
def revoke(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    team = _owned_team(request, slug)
    invitation = get_object_or_404(Invitation, pk=pk, team=team)
    invitations.revoke_invitation(invitation=invitation, by=request.user)
    messages.success(request, "Invitation revoked: its link no longer works.")
    return redirect(reverse("team-members", args=[team.slug]) + "#invitations")


@require_http_methods(["GET", "POST"])
def accept(request: HttpRequest, token: str) -> HttpResponse:
    """GET: what the invitation is and how to take it up; POST (signed in): join."""
    invitation = invitations.invitation_for_token(token)
    if invitation is None:
        return _page(request, None, refusal="This invitation link is not valid.", status=404)
    user = request.user
    if not user.is_authenticated:
        if request.method == "POST":
            return redirect(f"{settings.LOGIN_URL}?next={request.path}")
        refusal = invitation.refusal()
        return _page(request, invitation, refusal=refusal, status=410 if refusal else 200)
    if request.method == "GET":
        if invitation.team.is_member(user):
            return _page(request, invitation, already=True)
        refusal = invitation.refusal()
        return _page(request, invitation, refusal=refusal, status=410 if refusal else 200)
    try:
        membership, joined = invitations.accept_invitation(token=token, user=user)
    except invitations.InvitationRefused as exc:
        return _page(request, invitation, refusal=str(exc), status=410)
    team = membership.team
    if joined:
        messages.success(request, f"Welcome to {team.name}: you joined as {membership.role}.")
    else:
        messages.success(request, f"You are already in {team.name} ({membership.role}).")
    return redirect("team-gallery", team.slug)


def _page(request, invitation, *, refusal: str = "", already: bool = False, status: int = 200):
    context = {
        "invitation": invitation,
        "refusal": refusal,
        "already": already,
        "signup_open": settings.STUDIO_SIGNUP,
    }
    return render(request, "teams/invite.html", context, status=status)
