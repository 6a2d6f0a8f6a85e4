from django.core.management.base import BaseCommand, CommandError

from studio.teams import services
from studio.teams.models import Membership, Team


class Command(BaseCommand):
    help = (
        "Manage teams: `team create NAME [--owner USERNAME]`, "
        "`team add NAME USERNAME [--role ROLE]`, `team remove NAME USERNAME`."
    )

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="create a team")
        create.add_argument("name")
        create.add_argument("--owner", help="username of the team's first owner")
        add = sub.add_parser("add", help="add a user to a team (or change their role)")
        add.add_argument("name")
        add.add_argument("username")
        add.add_argument("--role", choices=Membership.Role.values, default=Membership.Role.EDITOR)
        remove = sub.add_parser("remove", help="remove a user from a team")
        remove.add_argument("name")
        remove.add_argument("username")

    def handle(self, *args, action: str, name: str, **options) -> None:
        # CommandError exits 1 with its message: an unknown team or user, the last owner.
        try:
            getattr(self, f"_{action}")(name, **options)
        except services.TeamRuleError as exc:
            raise CommandError(str(exc)) from None

    def _create(self, name: str, *, owner=None, **options) -> None:
        owner_user = services.user_named(owner) if owner else None
        existing = Team.objects.filter(name=name).first()
        if existing is not None:
            self.stdout.write(f"Team already exists: {existing.name} (/teams/{existing.slug}/)")
            if owner_user is not None:
                services.set_member(team=existing, user=owner_user, role=Membership.Role.OWNER)
            return
        team = services.create_team(name=name, owner=owner_user)
        self.stdout.write(f"Created {team.name} (/teams/{team.slug}/)")

    def _team(self, name: str) -> Team:
        try:
            return Team.objects.get(name=name)
        except Team.DoesNotExist:
            raise CommandError(f"No team named {name!r}; create it first.") from None

    def _add(self, name: str, *, username: str, role: str, **options) -> None:
        team = self._team(name)
        user = services.user_named(username)
        membership, _ = services.set_member(team=team, user=user, role=role)
        self.stdout.write(f"{user.username} is {membership.role} of {team.name}")

    def _remove(self, name: str, *, username: str, **options) -> None:
        team = self._team(name)
        user = services.user_named(username)
        services.remove_member(team=team, user=user)
        self.stdout.write(f"Removed {user.username} from {team.name}")
