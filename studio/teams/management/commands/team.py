from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils.text import slugify

from studio.teams.models import Membership, Team


class Command(BaseCommand):
    help = "Manage teams: `team create NAME`, `team add NAME USERNAME [--role ROLE]`."

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="create a team")
        create.add_argument("name")
        add = sub.add_parser("add", help="add a user to a team (or change their role)")
        add.add_argument("name")
        add.add_argument("username")
        add.add_argument("--role", choices=Membership.Role.values, default=Membership.Role.EDITOR)

    def handle(self, *args, action: str, name: str, **options) -> None:
        if action == "create":
            slug = slugify(name)
            if not slug:
                raise CommandError("A team name needs at least one letter or digit.")
            team, created = Team.objects.get_or_create(name=name, defaults={"slug": slug})
            verb = "Created" if created else "Team already exists:"
            self.stdout.write(f"{verb} {team.name} (/teams/{team.slug}/)")
            return
        try:
            team = Team.objects.get(name=name)
        except Team.DoesNotExist:
            raise CommandError(f"No team named {name!r}; create it first.") from None
        try:
            user = get_user_model().objects.get(username=options["username"])
        except get_user_model().DoesNotExist:
            raise CommandError(f"No user named {options['username']!r}") from None
        membership, _ = Membership.objects.update_or_create(
            team=team, user=user, defaults={"role": options["role"]}
        )
        self.stdout.write(f"{user.username} is {membership.role} of {team.name}")
