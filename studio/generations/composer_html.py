"""The composer's fields, drawn once per process for each set of what they show.

Django's widget templates make the composer the costliest part of the studio page after
the cards, and a new form draws the same HTML for everyone with the same defaults. The
fields (`_form.html#composer-fields`) are kept under a key made of what they show: the
default team, the teams it may be shared with, the batch and upload limits. What is per
request (the CSRF token, the one-time submission key) and per person (budget standings,
suspension, "Collect into") is drawn around them on each request. A bound form (errors,
what was typed) and a prefilled one (Remix, Edit, kept uploads) are drawn every time.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import caches
from django.template import loader
from django.utils.safestring import SafeString, mark_safe

PARTIAL = "generations/_form.html#composer-fields"
CACHE = "cards"
VERSION = "1"


# A new form's initial values that are not one-offs: a prefilled form (Remix, Edit, the
# last settings, kept uploads) is drawn for one page and is not kept.
KEPT_INITIAL = {"team"}


def _key(form) -> str | None:
    """None when the fields are not the same for everyone with these defaults."""
    if form.is_bound or set(form.initial) - KEPT_INITIAL:
        return None
    teams = [(t.pk, t.slug, str(t)) for t in form.share_team_list()]
    drawn = (
        VERSION,
        sorted((str(k), repr(v)) for k, v in form.initial.items()),
        teams,
        settings.BATCH_MAX,
        settings.UPLOAD_MAX_BYTES,  # (in the script's config, with the price table)
    )
    digest = hashlib.blake2b(repr(drawn).encode(), digest_size=16).hexdigest()
    return f"composer:{digest}"


def draw(context, form) -> SafeString:
    partial = loader.get_template(PARTIAL).template
    key = _key(form)
    if key is None:
        return mark_safe(partial.render(context))  # noqa: S308 - rendered by the template
    cache = caches[CACHE]
    html = cache.get(key)
    if html is None:
        html = str(partial.render(context))
        cache.set(key, html)
    return mark_safe(html)  # noqa: S308 - rendered by the template
