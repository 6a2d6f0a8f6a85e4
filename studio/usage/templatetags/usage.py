from decimal import Decimal

from django import template

from studio.usage import prices

register = template.Library()


@register.filter
def usd(amount: Decimal) -> str:
    """A sum of money: $5.00, $6.27."""
    return prices.usd(amount)


@register.filter
def unit_usd(amount: Decimal) -> str:
    """The price of one image: $0.0404."""
    return prices.unit_usd(amount)
