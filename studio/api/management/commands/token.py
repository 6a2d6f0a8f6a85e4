"""`manage.py token create USERNAME --name NAME [--team SLUG] [--expires-days N]`,
`token revoke USERNAME --name NAME`, `token list USERNAME`."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from studio.accounts.models import ApiToken
from studio.api import tokens
from studio.teams.models import Team


class Command(BaseCommand):
    help = "Create, revoke or list a person's API tokens."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="make a token; printed alone on the last line")
        create.add_argument("username")
        create.add_argument("--name", required=True)
        create.add_argument("--team", help="a team slug: what it makes is shared there")
        create.add_argument(
            "--expires-days",
            type=int,
            default=tokens.DEFAULT_EXPIRY_DAYS,
            help="days until it expires (default 90; 0: never)",
        )
        revoke = sub.add_parser("revoke", help="revoke a live token by its name")
        revoke.add_argument("username")
        revoke.add_argument("--name", required=True)
        listing = sub.add_parser("list", help="a person's tokens (never their secrets)")
        listing.add_argument("username")

    def handle(self, *args, action: str, username: str, **options):
        User = get_user_model()
        try:
            user = User.objects.get(**{User.USERNAME_FIELD: username})
        except User.DoesNotExist:
            raise CommandError(f"No such user: {username}") from None
        getattr(self, f"_{action}")(user, **options)

    def _create(self, user, *, name: str, team: str | None, expires_days: int, **_):
        team_row = None
        if team:
            team_row = Team.objects.filter(slug=team).first()
            if team_row is None:
                raise CommandError(f"No such team: {team}")
        try:
            row, text = tokens.create(
                user=user, name=name, team=team_row, expires_days=expires_days or None
            )
        except tokens.TokenRefused as refused:
            raise CommandError(refused.message) from None
        expiry = row.expires_at.date().isoformat() if row.expires_at else "never"
        self.stdout.write(f"Token “{row.name}” for {user.get_username()} (expires: {expiry}):")
        self.stdout.write(text)

    def _revoke(self, user, *, name: str, **_):
        row = ApiToken.objects.filter(user=user, name=name, revoked_at__isnull=True).first()
        if row is None:
            raise CommandError(f"{user.get_username()} has no live token named “{name}”.")
        tokens.revoke(token=row)
        self.stdout.write(f"Token “{name}” of {user.get_username()} is revoked.")

    def _list(self, user, **_):
        items = tokens.listed(user)
        if not items:
            self.stdout.write(f"{user.get_username()} has no API tokens.")
        for item in items:
            t = item.token
            status = "revoked" if t.is_revoked else "expired" if t.is_expired else "live"
            if item.team_lapsed:
                status += " (cannot create: not an editor of its team)"
            self.stdout.write(
                "\t".join(
                    [
                        t.name,
                        t.hint,
                        t.team.slug if t.team else "-",
                        f"created {t.created_at:%Y-%m-%d}",
                        f"last used {t.last_used_at:%Y-%m-%d %H:%M}"
                        if t.last_used_at
                        else "never used",
                        f"expires {t.expires_at:%Y-%m-%d}" if t.expires_at else "never expires",
                        status,
                    ]
                )
            )
