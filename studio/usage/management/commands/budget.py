from decimal import Decimal, InvalidOperation

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from studio.teams.models import Team
from studio.usage import budgets, prices


def _usd(value: str) -> Decimal:
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise CommandError(f"Not an amount in USD: {value!r}") from None
    if not amount.is_finite() or amount < 0 or amount != amount.quantize(prices.CENT):
        raise CommandError(f"A monthly cap is a positive amount in dollars and cents: {value!r}")
    return amount


class Command(BaseCommand):
    help = (
        "Set a monthly cap in USD: `budget USERNAME --monthly 5.00`, "
        "`budget --team NAME --monthly 50`; `--clear` removes it."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("username", nargs="?")
        parser.add_argument("--team", metavar="NAME", help="the team's name (or slug)")
        what = parser.add_mutually_exclusive_group(required=True)
        what.add_argument("--monthly", metavar="USD", type=_usd)
        what.add_argument("--clear", action="store_true", help="remove the cap")

    def handle(self, *args, username, team, monthly, clear, **options) -> None:
        if (username is None) == (team is None):
            raise CommandError("Name either a USERNAME or --team NAME.")
        if team is not None:
            found = Team.objects.filter(name=team).first() or Team.objects.filter(slug=team).first()
            if found is None:
                raise CommandError(f"No team named {team!r}")
            budget = budgets.set_cap(team=found, monthly=None if clear else monthly)
        else:
            try:
                user = get_user_model().objects.get(username=username)
            except get_user_model().DoesNotExist:
                raise CommandError(f"No user named {username!r}") from None
            budget = budgets.set_cap(user=user, monthly=None if clear else monthly)
        if budget.monthly_usd is None:
            self.stdout.write(f"{budget.owner_label}: no monthly cap")
        else:
            self.stdout.write(f"{budget.owner_label}: {prices.usd(budget.monthly_usd)} a month")
