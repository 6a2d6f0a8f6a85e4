"""`{% submission_key %}`: the hidden one-time key of a form that makes generations (see
generations/submission_keys.py). A fresh key each time the form is drawn."""

from django import template
from django.utils.html import format_html

from studio.generations.submission_keys import FIELD, new_key

register = template.Library()


@register.simple_tag
def submission_key(value: str = "") -> str:
    return format_html(
        '<input type="hidden" name="{}" value="{}" data-submission-key>', FIELD, value or new_key()
    )
