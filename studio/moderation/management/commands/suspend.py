"""`python manage.py suspend USERNAME --reason "…"` and `suspend USERNAME --lift`."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from studio.moderation import suspension


class Command(BaseCommand):
    help = "Suspend a person (they can no longer generate), or lift their suspension."

    def add_arguments(self, parser):
        parser.add_argument("username")
        group = parser.add_mutually_exclusive_group(required=True)
        group.add_argument("--reason", help="why: shown to the person")
        group.add_argument("--lift", action="store_true", help="lift the suspension")

    def handle(self, *args, username: str, reason: str | None, lift: bool, **options):
        User = get_user_model()
        try:
            user = User.objects.get(**{User.USERNAME_FIELD: username})
        except User.DoesNotExist:
            raise CommandError(f"No such user: {username}") from None
        if lift:
            if suspension.lift(user=user, by=None, reason="lifted from the command line"):
                self.stdout.write(f"{username}: suspension lifted.")
            else:
                self.stdout.write(f"{username} was not suspended.")
            return
        if not (reason or "").strip():
            raise CommandError("Give a --reason: it is shown to the person.")
        if suspension.active_suspension(user):
            self.stdout.write(f"{username} is already suspended.")
            return
        suspension.suspend(user=user, by=None, reason=reason)
        self.stdout.write(f"{username} is suspended: {reason}")
