"""Making and revoking public links (each audited), counting their views, listing them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F
from django.urls import reverse

from studio.collections.models import Collection
from studio.core import audit
from studio.generations.models import Generation, Output, State

from . import tokens
from .models import PublicLink


class LinkRefused(Exception):
    """A link that cannot be made; the message is meant for the person who asked."""


def max_links() -> int:
    return settings.STUDIO_PUBLIC_LINKS_MAX


def _describe(link: PublicLink) -> dict:
    return {
        "link": link.pk,
        "generation": link.generation_id,
        "collection": link.collection_id,
        "show_prompt": link.show_prompt,
        "expires_at": link.expires_at.isoformat() if link.expires_at else None,
    }


def make_link(
    *,
    user,
    generation: Generation | None = None,
    collection: Collection | None = None,
    show_prompt: bool = False,
    expires_at: datetime | None = None,
) -> PublicLink:
    """A new link to `generation` or `collection` (the caller checked that `user` made it)."""
    if (generation is None) == (collection is None):
        raise ValueError("a link points at one image or one collection")
    if generation is not None and generation.state != State.COMPLETED:
        if generation.state == State.FAILED:
            raise LinkRefused("This image failed: there is nothing to share by link.")
        raise LinkRefused("Only a finished image can be shared by link: wait until it is done.")
    with transaction.atomic():
        # Under the person's row lock, so two tabs at the limit cannot both pass it.
        get_user_model().objects.select_for_update().filter(pk=user.pk).first()
        limit = max_links()
        if PublicLink.objects.live().filter(user_id=user.pk).count() >= limit:
            raise LinkRefused(
                f"You have {limit} live public links, the most one person may have: "
                "revoke some at Settings → Public links first."
            )
        link = PublicLink.objects.create(
            key=tokens.new_key(),
            user=user,
            generation=generation,
            collection=collection,
            show_prompt=show_prompt,
            expires_at=expires_at,
        )
        audit.record(
            actor=user, action="link.create", subject=user, target=link, after=_describe(link)
        )
    return link


def revoke_link(*, link: PublicLink, by) -> None:
    """Delete the link (its URL answers 404 from now on); the audit log keeps what it was."""
    with transaction.atomic():
        deleted, _ = PublicLink.objects.filter(pk=link.pk).delete()
        if deleted:
            audit.record(
                actor=by,
                action="link.revoke",
                subject=link.user,
                target=link,
                before={**_describe(link), "views": link.views},
            )


def path_of(link: PublicLink) -> str:
    """The link's address on this site (`/s/<token>/`)."""
    return reverse("public-link", args=[tokens.token_for(link.key)])


def count_view(link: PublicLink) -> None:
    PublicLink.objects.filter(pk=link.pk).update(views=F("views") + 1)


@dataclass
class Listed:
    link: PublicLink
    url: str
    thumb: Output | None
    # The image is in the trash: the link answers 404 until it is restored.
    trashed: bool = False


def listed(user, *, build_url) -> list[Listed]:
    """`user`'s links (live ones first, newest first), each with its URL (`build_url(path)`
    makes it absolute) and its image's thumbnail; a fixed number of queries however many."""
    links = list(
        PublicLink.objects.filter(user_id=user.pk).select_related(
            "generation", "collection", "collection__team"
        )
    )
    gen_ids = [link.generation_id for link in links if link.generation_id]
    firsts = {
        out.generation_id: out
        for out in Output.objects.filter(generation_id__in=gen_ids, position=0).only(
            "pk", "generation_id", "position"
        )
    }
    # Live links first (newest first within each), then the expired ones.
    links.sort(key=lambda link: link.is_expired)
    return [
        Listed(
            link=link,
            url=build_url(path_of(link)),
            thumb=firsts.get(link.generation_id),
            trashed=bool(link.generation_id and link.generation.trashed_at),
        )
        for link in links
    ]


def links_of(user, *, generation=None, collection=None):
    """`user`'s live links to one image or one collection (what its page lists)."""
    qs = PublicLink.objects.live().filter(user_id=user.pk)
    if generation is not None:
        return qs.filter(generation=generation)
    return qs.filter(collection=collection)
