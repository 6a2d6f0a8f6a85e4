"""The collections' pieces in the gallery's templates (cards, bulk bar, detail page): the
seam through which studio.generations shows collections without importing them."""

from __future__ import annotations

from django import template

from studio.teams.access import teams_for

from .. import access

register = template.Library()


def _seen(context) -> list:
    """The collections the person sees, each marked `editable`: one query per request for
    every menu, filter and card that lists them."""
    request = context.get("request")
    if request is None or not request.user.is_authenticated:
        return []
    if not hasattr(request, "_seen_collections"):
        request._seen_collections = access.seen_collections(request.user, teams_for(request))
    return request._seen_collections


def _choices(context) -> list:
    """The collections the person may add to, asked once per request however many cards."""
    return [c for c in _seen(context) if c.editable]


@register.inclusion_tag("collections/_collect_form.html", takes_context=True)
def collect_form(context, gen, back: str = "") -> dict:
    """ "Add to collection" for one image (a card's More menu, the detail page)."""
    return {
        "gen": gen,
        "choices": _choices(context),
        "back": back,
        "csrf_token": context.get("csrf_token"),
    }


@register.inclusion_tag("collections/_bulk_collect.html", takes_context=True)
def collect_bulk(context) -> dict:
    """The bulk bar's `collect` action and its choice of collection."""
    current = context.get("collection")
    return {"choices": _choices(context), "current": current}


@register.inclusion_tag("collections/_card_tools.html", takes_context=True)
def collection_tools(context, gen) -> dict:
    """On a collection's own page, for its editors: earlier / later, cover, remove."""
    collection = context.get("collection")
    editable = bool(collection) and context.get("collection_editable", False)
    return {
        "gen": gen,
        "collection": collection if editable else None,
        "back": context.get("filtered_url", ""),
        "csrf_token": context.get("csrf_token"),
    }


@register.inclusion_tag("collections/_collect_into.html", takes_context=True)
def collect_into(context, form) -> dict:
    """The composer's "Collect into" select: preselected from `?collection=` (the studio
    opened from a collection's page), what was posted (the form again after an error), or
    what the last submission without script chose."""
    request = context.get("request")
    picked = ""
    if request is not None:
        picked = request.POST.get("collection") or request.GET.get("collection") or ""
    picked = picked or str((getattr(form, "initial", None) or {}).get("collection") or "")
    return {"choices": _choices(context), "picked": picked}


@register.inclusion_tag("collections/_filter_collection.html", takes_context=True)
def collection_filter(context, filters) -> dict:
    """A gallery's "In collection" filter: the collections the person sees. Not on a
    collection's own page, which is already one."""
    request = context.get("request")
    if context.get("collection") or request is None or not request.user.is_authenticated:
        return {"choices": []}
    return {"choices": _seen(context), "picked": filters.collection}
