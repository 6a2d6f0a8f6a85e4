"""The "Public link" panel on an image's detail page and a collection's page: the seam
through which studio.generations' and studio.collections' templates show public links
without importing this app. Drawn only for the person who may make one."""

from __future__ import annotations

from django import template
from django.urls import reverse

from studio.generations.models import State

from .. import services
from ..forms import LinkForm

register = template.Library()


def _panel(context, *, links, action: str, note: str = "") -> dict:
    request = context["request"]
    opened = request.GET.get("link", "")
    shown = [
        {
            "link": link,
            "url": request.build_absolute_uri(services.path_of(link)),
            "new": str(link.pk) == opened,
        }
        for link in links
    ]
    return {
        "links": shown,
        "open": any(item["new"] for item in shown),
        "action": action,
        "form": LinkForm(),
        "note": note,
        "next": request.get_full_path(),
        "csrf_token": context.get("csrf_token"),
    }


@register.inclusion_tag("links/_panel.html", takes_context=True)
def generation_link_panel(context, gen) -> dict:
    request = context.get("request")
    if request is None or request.user.pk is None or gen.user_id != request.user.pk:
        return {"hidden": True}
    if gen.state == State.FAILED:
        return {"hidden": True}
    note = ""
    if gen.state != State.COMPLETED:
        note = "A public link can be made once the image is finished."
    links = list(services.links_of(request.user, generation=gen))
    return _panel(context, links=links, action=reverse("generation-link", args=[gen.pk]), note=note)


@register.inclusion_tag("links/_panel.html", takes_context=True)
def collection_link_panel(context, collection) -> dict:
    request = context.get("request")
    if request is None or request.user.pk is None or collection.user_id != request.user.pk:
        return {"hidden": True}
    links = list(services.links_of(request.user, collection=collection))
    panel = _panel(context, links=links, action=reverse("collection-link", args=[collection.pk]))
    panel["collection"] = collection
    return panel
