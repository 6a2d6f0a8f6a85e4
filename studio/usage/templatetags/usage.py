from decimal import Decimal

from django import template

from studio.usage import prices

register = template.Library()


@register.filter
def usd(amount: Decimal) -> str:
    """An amount as the usage pages and the composer write it: $5.00, $0.0404."""
    return prices.usd(amount)
