"""Making, listing and revoking personal access tokens, each change in the audit log.

The token itself (its shape, hash and lookup) is `studio.accounts.tokens`; this module adds
the rules around it: a team token only for a team the person may share with, one live token
per name, and the record of who made or revoked which.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from studio.accounts import tokens
from studio.accounts.models import ApiToken
from studio.core import audit
from studio.teams.models import Team

DEFAULT_EXPIRY_DAYS = tokens.DEFAULT_EXPIRY_DAYS
NAME_MAX = 100
EXPIRY_MAX_DAYS = 3650


class TokenRefused(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class Listed:
    token: ApiToken
    # A team token whose person may no longer share there: it authenticates but cannot create.
    team_lapsed: bool


def create(
    *, user, name: str, team: Team | None = None, expires_days: int | None, actor=None
) -> tuple[ApiToken, str]:
    """A new token for `user`; returns the row and the text (show it once). `actor`: who
    made it (the person, staff, or None for a command)."""
    name = (name or "").strip()
    if not name:
        raise TokenRefused("Give the token a name, to tell it apart later.")
    if len(name) > NAME_MAX or any(ord(ch) < 32 for ch in name):
        raise TokenRefused(f"A token's name is at most {NAME_MAX} printable characters.")
    if expires_days is not None and not 1 <= expires_days <= EXPIRY_MAX_DAYS:
        raise TokenRefused(f"A token expires after 1 to {EXPIRY_MAX_DAYS} days, or never.")
    if team is not None and not Team.objects.shareable_by(user).filter(pk=team.pk).exists():
        raise TokenRefused(f"A token for team “{team.name}” needs you to be its editor or owner.")
    try:
        with transaction.atomic():
            row, text = tokens.issue(user=user, name=name, team=team, expires_days=expires_days)
            audit.record(
                actor=actor,
                action="token.create",
                subject=user,
                target=row,
                after={
                    "name": name,
                    "team": team.slug if team else None,
                    "expires_at": row.expires_at.isoformat() if row.expires_at else None,
                },
            )
    except IntegrityError:
        raise TokenRefused(
            f"You already have a token named “{name}”: choose another name."
        ) from None
    return row, text


def revoke(*, token: ApiToken, actor=None) -> bool:
    """Revoke `token` from the next request on; False when it already was."""
    with transaction.atomic():
        changed = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        if changed:
            audit.record(actor=actor, action="token.revoke", subject=token.user, target=token)
    token.refresh_from_db(fields=["revoked_at"])
    return bool(changed)


def listed(user) -> list[Listed]:
    """The person's tokens, newest first: live ones, then revoked and expired ones."""
    rows = list(ApiToken.objects.filter(user=user).select_related("team"))
    shareable = set(Team.objects.shareable_by(user).values_list("pk", flat=True))
    return [Listed(t, t.team_id is not None and t.team_id not in shareable) for t in rows]


def team_lapsed(token: ApiToken) -> bool:
    """True when a team token's person may no longer share with (create for) its team."""
    if token.team_id is None:
        return False
    return not Team.objects.shareable_by(token.user).filter(pk=token.team_id).exists()
