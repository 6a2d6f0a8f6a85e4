"""Invitation links: an owner makes one for a role (single-use or up to N uses, expiring,
revocable); a signed-in person who opens it joins the team. Every step is audited through
`services._audit` (the app's one audit call), like any other change of membership."""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from . import services
from .models import Invitation, Membership, Team

DEFAULT_DAYS = 7
MAX_DAYS = 90
MAX_USES = 1000


class InvitationRefused(services.TeamRuleError):
    """The invitation cannot be accepted (expired, used up, revoked); the message says why."""


def _check_owner(team: Team, by) -> None:
    if not team.can_manage(by):
        raise services.TeamRuleError("Only an owner of the team may invite people.")


def create_invitation(
    *, team: Team, role: str, by, max_uses: int = 1, days: int = DEFAULT_DAYS
) -> Invitation:
    _check_owner(team, by)
    services._check_role(role)
    if not 1 <= max_uses <= MAX_USES:
        raise services.TeamRuleError(f"An invitation is good for 1 to {MAX_USES} people.")
    if not 1 <= days <= MAX_DAYS:
        raise services.TeamRuleError(f"An invitation lasts 1 to {MAX_DAYS} days.")
    invitation = Invitation.objects.create(
        team=team,
        role=role,
        max_uses=max_uses,
        token=secrets.token_urlsafe(24),
        created_by=by,
        expires_at=timezone.now() + timedelta(days=days),
    )
    services._audit(
        actor=by,
        action="invitation_created",
        team=team,
        after={"invitation": invitation.pk, "role": role, "max_uses": max_uses, "days": days},
    )
    return invitation


def revoke_invitation(*, invitation: Invitation, by) -> None:
    _check_owner(invitation.team, by)
    updated = Invitation.objects.filter(pk=invitation.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    if updated:
        services._audit(
            actor=by,
            action="invitation_revoked",
            team=invitation.team,
            before={"invitation": invitation.pk, "uses": invitation.uses},
        )


def listed_for(team: Team) -> list[Invitation]:
    """What the members page shows its owners: the invitations still open, newest first."""
    return list(team.invitations.open().select_related("created_by"))


def accept_invitation(*, token: str, user) -> tuple[Membership, bool]:
    """Join the invitation's team as its role. Returns the membership and whether it is new:
    someone already in the team keeps their role and uses nothing up."""
    with transaction.atomic():
        try:
            invitation = (
                Invitation.objects.select_for_update().select_related("team").get(token=token)
            )
        except Invitation.DoesNotExist:
            raise InvitationRefused("This invitation link is not valid.") from None
        team = invitation.team
        existing = Membership.objects.filter(team=team, user=user).first()
        if existing is not None:
            return existing, False
        refusal = invitation.refusal()
        if refusal:
            raise InvitationRefused(refusal)
        # Counted with a condition, so two people racing for the last use cannot both join.
        counted = Invitation.objects.filter(pk=invitation.pk, uses__lt=F("max_uses")).update(
            uses=F("uses") + 1
        )
        if not counted:
            raise InvitationRefused("This invitation has already been used.")
        membership = services.add_member(team=team, user=user, role=invitation.role, by=user)
    services._audit(
        actor=user,
        action="invitation_accepted",
        team=team,
        subject=user,
        after={"invitation": invitation.pk, "role": invitation.role},
    )
    return membership, True


def invitation_for_token(token: str) -> Invitation | None:
    return Invitation.objects.select_related("team").filter(token=token).first()
