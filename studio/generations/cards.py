"""Gallery cards, drawn once and kept.

A card's HTML is most of a gallery page's CPU (24 cards, each a dozen URLs, forms and
menus). It is kept in the `cards` cache under a key made of everything the card draws:
the row's fields and its related rows' (team, batch, author, token, first output), what
this viewer may do with it and their star, the gallery it sits in, and what the apps
above add to it (CARD_KEY_PARTS: collections' menu, moderation's review note). Any change
to any of these is a new key, so a kept card is never stale and never one viewer's card
shown to another; old keys simply age out.

What is per request is not in the kept HTML: the CSRF token, the `next` and `back`
addresses, Retry's one-time submission key and the seconds an in-flight job has taken.
The card is drawn with markers in their place, and each request fills in its own values
(escaped as the template would have), so every form still works without JavaScript.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from urllib.parse import quote

from django.conf import settings
from django.core.cache import caches
from django.middleware.csrf import get_token
from django.template import Context, loader
from django.urls import get_script_prefix, reverse
from django.utils.html import escape
from django.utils.module_loading import import_string
from django.utils.safestring import SafeString, mark_safe

from .submission_keys import new_key

TEMPLATE = "generations/_card.html"
CACHE = "cards"
# Bump when _card.html (or a template it includes) changes in a way a running process
# must not mix with what it kept before (the cache is per process unless configured).
VERSION = "2"

# What access.for_viewer marks on each generation for this viewer.
VIEWER_FLAGS = ("is_own", "can_change", "can_share", "can_unshare", "is_starred", "can_star")

# Markers for the per-request parts. Each has a "<", which escaped content never holds,
# so a prompt cannot be mistaken for one.
CSRF = "<!card:csrf!>"
NEXT = "<!card:next!>"
BACK = "<!card:back!>"
BACK_QUERY = "<!card:backq!>"
ELAPSED = "<!card:elapsed!>"
KEY = "<!card:key!>"
# Out of band (a poll's or a redraw's card) or in place (a page's): one kept card for both.
OOB = "<!card:oob!>"
OOB_ATTRIBUTE = ' hx-swap-oob="true"'
MARKERS = {
    "csrf_token": SafeString(CSRF),
    "card_next": SafeString(NEXT),
    "back": SafeString(BACK),
    "back_query": SafeString(BACK_QUERY),
    "card_elapsed": SafeString(ELAPSED),
    "card_submission_key": SafeString(KEY),
    "card_oob": SafeString(OOB),
}


@lru_cache(maxsize=4)
def _key_parts(paths: tuple[str, ...]) -> list:
    return [import_string(path) for path in paths]


def per_request(request, *, filtered_url: str = "", csrf_token=None) -> dict[str, str]:
    """The per-request values of every card on one page, unescaped: the star and share
    forms return to `card_next`; the detail link, Delete and "Add to collection" to `back`
    (the gallery as filtered)."""
    htmx = getattr(request, "htmx", None)
    current = htmx.current_url_abs_path if htmx is not None else None
    card_next = (current or reverse("studio")) if htmx else request.get_full_path()
    back = filtered_url or current or request.get_full_path()
    token = str(csrf_token) if csrf_token else get_token(request)
    return {"csrf_token": token, "card_next": card_next, "back": back}


def _fill(html: str, gen, values: dict[str, str], *, oob: bool) -> str:
    back = values["back"]
    back_query = f"?back={quote(back, safe='')}" if back and back != "/" else ""
    html = (
        html.replace(CSRF, escape(values["csrf_token"]))
        .replace(NEXT, escape(values["card_next"]))
        .replace(BACK_QUERY, escape(back_query))
        .replace(BACK, escape(back))
        .replace(OOB, OOB_ATTRIBUTE if oob else "", 1)
    )
    if ELAPSED in html:
        html = html.replace(ELAPSED, str(gen.elapsed_seconds()))
    if KEY in html:
        # Each Retry its own key (or the one its last post spent, see views.item._retry).
        html = html.replace(KEY, escape(getattr(gen, "spent_submission_key", "") or new_key()))
    return html


def key(request, gen, *, team_slug: str = "") -> str:
    """Everything the card draws, hashed. `gen` is marked by access.for_viewer."""
    out = gen.card_output
    drawn = (
        VERSION,
        get_script_prefix(),
        gen.pk,
        gen.state,
        gen.card_version,
        gen.prompt,
        gen.model,
        gen.aspect_ratio,
        gen.type,
        gen.style,
        gen.failure_code,
        gen.failure_reason,
        gen.created_at.timestamp(),
        gen.waiting_for_slot,
        gen.batch_id,
        gen.batch_position,
        gen.batch.size if gen.batch_id else None,
        gen.api_token_id,
        gen.api_token.name if gen.api_token_id else None,
        gen.team_id,
        (gen.team.slug, gen.team.name) if gen.team_id else None,
        gen.user.get_username(),
        (out.position, out.width, out.height) if out is not None else None,
        # What this viewer may do, and their star (unmarked: nothing, as the template reads it).
        *(getattr(gen, flag, False) for flag in VIEWER_FLAGS),
        [(t.pk, t.slug, t.name) for t in gen.share_teams]
        if getattr(gen, "can_share", False)
        else None,
        # Where it is drawn.
        team_slug,
        *(part(request, gen) for part in _key_parts(tuple(settings.CARD_KEY_PARTS))),
    )
    digest = hashlib.blake2b(repr(drawn).encode(), digest_size=16).hexdigest()
    return f"card:{gen.pk}:{digest}"


def _template():
    return loader.get_template(TEMPLATE).template


def draw(
    request,
    generations,
    *,
    team_slug: str = "",
    oob: bool = False,
    filtered_url: str = "",
    csrf_token=None,
) -> SafeString:
    """The cards of `generations` (marked by access.for_viewer), in order."""
    generations = list(generations)
    if not generations:
        return SafeString("")
    values = per_request(request, filtered_url=filtered_url, csrf_token=csrf_token)
    keys = [key(request, gen, team_slug=team_slug) for gen in generations]
    cache = caches[CACHE]
    kept = cache.get_many(set(keys))
    new: dict[str, str] = {}
    template = None
    parts = []
    for gen, card_key in zip(generations, keys, strict=True):
        html = kept.get(card_key) or new.get(card_key)
        if html is None:
            template = template or _template()
            context = {"gen": gen, "team_slug": team_slug, "request": request}
            html = new[card_key] = str(template.render(Context(context | MARKERS)))
        parts.append(_fill(html, gen, values, oob=oob))
    if new:
        cache.set_many(new)
    return mark_safe("".join(parts))  # noqa: S308 - rendered by the template, values escaped


def draw_in(context, generations, *, oob: bool = False) -> SafeString:
    """The cards as a template draws them (`{% cards %}`): cached, except on a
    collection's page, whose editors' tools (reorder, cover) are drawn from its context."""
    request = context.get("request")
    team_slug = context.get("team_slug", "") or ""
    if request is None or context.get("collection"):
        return _draw_uncached(context, request, generations, oob=oob)
    return draw(
        request,
        generations,
        team_slug=team_slug,
        oob=oob,
        filtered_url=context.get("filtered_url", "") or "",
        csrf_token=context.get("csrf_token"),
    )


def _draw_uncached(context, request, generations, *, oob: bool) -> SafeString:
    template = _template()
    parts = []
    values = {}
    if request is not None:
        values = per_request(
            request,
            filtered_url=context.get("filtered_url", "") or "",
            csrf_token=context.get("csrf_token"),
        )
        back = values["back"]
        values["back_query"] = f"?back={quote(back, safe='')}" if back and back != "/" else ""
    for gen in generations:
        with context.push(
            gen=gen,
            card_oob=OOB_ATTRIBUTE if oob else "",
            card_elapsed=gen.elapsed_seconds(),
            card_submission_key=getattr(gen, "spent_submission_key", ""),
            **values,
        ):
            parts.append(template.render(context))
    return mark_safe("".join(parts))  # noqa: S308 - rendered by the template
