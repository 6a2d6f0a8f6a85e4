"""`{% cards generations %}` (and `oob=True` for the poll's out-of-band swaps): a list of
gallery cards, each kept once drawn (see generations/cards.py)."""

from django import template

from .. import cards as card_cache

register = template.Library()


@register.simple_tag(takes_context=True, name="cards")
def cards_tag(context, generations, oob=False):
    return card_cache.draw_in(context, generations, oob=bool(oob))
