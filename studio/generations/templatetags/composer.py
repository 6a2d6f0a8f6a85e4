"""`{% composer_fields form %}`: the composer's fields, kept once drawn (see
generations/composer_html.py)."""

from django import template

from .. import composer_html

register = template.Library()


@register.simple_tag(takes_context=True)
def composer_fields(context, form):
    return composer_html.draw(context, form)
