"""Who may make, list and revoke public links, and what a link shows.

- A link to an image is made by the image's author only; to a collection, by the person who
  made the collection (a team's collection too). Anyone else gets 404, teammates included:
  a link puts work outside the studio, which only its author decides.
- A link shows only its maker's own work: the image, or the maker's own items of the
  collection (a team's collection may hold teammates' images: those never show), each
  completed and not in the trash, and only while the maker could still see it in the studio
  (an item unshared from the team drops out of the team's collection, a maker who left the
  team sees the collection no more). Everything is asked when the link is opened, never
  stored, so restoring an image from the trash brings its link back.
- A link of a person whose account is deactivated shows nothing.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from studio.collections import access as collection_access
from studio.collections.models import Collection
from studio.generations.models import Generation, Output, State

from . import tokens
from .models import PublicLink


def own_generation(user, generation_id) -> Generation:
    """An image `user` made and may link to (any state: the caller says why it may not be
    linked yet), or 404."""
    gen = Generation.objects.kept().filter(pk=generation_id, user_id=user.pk).first()
    if gen is None:
        raise Http404("No such image")
    return gen


def own_collection(user, collection_id) -> Collection:
    """A collection `user` made and still sees, or 404."""
    collection = (
        collection_access.visible_collections(user)
        .filter(pk=collection_id, user_id=user.pk)
        .select_related("team")
        .first()
    )
    if collection is None:
        raise Http404("No such collection")
    return collection


def get_link_for(user, link_id) -> PublicLink:
    """One of `user`'s own links, or 404."""
    try:
        return PublicLink.objects.get(pk=int(link_id), user_id=user.pk)
    except (PublicLink.DoesNotExist, ValueError, TypeError):
        raise Http404("No such link") from None


def open_link(token: str) -> PublicLink:
    """The live link a token opens, or 404 (forged, revoked, expired, maker deactivated, a
    collection its maker no longer sees). A forged token costs no query."""
    key = tokens.split(token)
    if key is None:
        raise Http404("No such link")
    link = (
        PublicLink.objects.live()
        .filter(key=key, user__is_active=True)
        .select_related("user", "collection")
        .first()
    )
    if link is None:
        raise Http404("No such link")
    if link.collection_id and not _maker_sees(link):
        raise Http404("No such link")
    return link


def _maker_sees(link: PublicLink) -> bool:
    """Whether the maker still sees the collection (a team's: while they are in the team)."""
    visible = collection_access.visible_collections(link.user)
    return visible.filter(pk=link.collection_id).exists()


def shown_generations(link: PublicLink) -> QuerySet[Generation]:
    """What `link` (opened with open_link) shows: its maker's own completed images, not in
    the trash; of a collection, those its maker is shown there (the collection's order is
    gallery.ordered's business)."""
    maker = link.user
    if link.generation_id:
        qs = Generation.objects.kept().filter(pk=link.generation_id)
    else:
        qs = collection_access.items_of(maker, link.collection)
    return qs.filter(user_id=maker.pk, state=State.COMPLETED)


def shown_output(link: PublicLink, output_id) -> Output:
    """An output of an image `link` shows, or 404 (another image's output under a valid
    token included)."""
    try:
        pk = int(output_id)
    except (TypeError, ValueError):
        raise Http404("No such image") from None
    out = (
        Output.objects.filter(pk=pk, generation__in=shown_generations(link).values("pk"))
        .only("pk", "file", "thumbnail", "media_type")
        .first()
    )
    if out is None:
        raise Http404("No such image")
    return out
