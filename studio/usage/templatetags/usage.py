from decimal import Decimal

from django import template

from studio.teams.access import teams_for
from studio.usage import budgets, prices

register = template.Library()


@register.filter
def usd(amount: Decimal) -> str:
    """A sum of money: $5.00, $6.27."""
    return prices.usd(amount)


@register.filter
def unit_usd(amount: Decimal) -> str:
    """The price of one image: $0.0404."""
    return prices.unit_usd(amount)


@register.simple_tag(takes_context=True)
def budget_standings(context, user) -> list[budgets.Standing]:
    """What is left of `user`'s monthly cap and of those of the teams they own, which the
    composer shows by the price (a warning past 80 %)."""
    request = context.get("request")
    if request is not None and getattr(request, "user", None) == user:
        # The page's own reading of the person's teams: no query of its own for them.
        return budgets.standings_for(user, teams=teams_for(request))
    return budgets.standings_for(user)


@register.filter
def personal_budget_spent(standings: list[budgets.Standing]) -> bool:
    """The person's own cap is used up: the composer shows Generate disabled (the server
    refuses such a submission anyway)."""
    return any(s.personal and s.spent for s in standings)
