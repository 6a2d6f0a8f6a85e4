"""The provider's own shape: `POST/GET /api/v1/generations[/{id}]` and the list, so the
official `luma-agents` SDK works with `base_url=<studio>/api/v1` and a studio token."""

from __future__ import annotations

import base64
import binascii
from datetime import date
from typing import Literal

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import Field

from studio.collections.access import visible_collections
from studio.generations import access
from studio.generations.api_object import as_api_object, signed_output_path
from studio.generations.gallery import ACTIVE, VIA, Filters
from studio.generations.models import Generation, State
from studio.teams.models import Team
from studio.upstream import facts

from . import idempotency
from .schemas import DetailOut, GenerationIn, GenerationListOut, GenerationOut, ImageIn
from .submit import Image, Refused, submit

router = Router(tags=["generations (Luma shape)"])

# 400: a body that is not JSON at all (django-ninja's "Cannot parse request body").
ERRORS = {s: DetailOut for s in (400, 401, 402, 403, 404, 409, 413, 422, 429)}


def base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri("/").rstrip("/")


def api_object(gen: Generation, request: HttpRequest) -> dict:
    """The Generation object, its output URLs signed so that a plain GET works."""
    return as_api_object(gen, base=base_url(request), output_url=signed_output_path)


def decode_image(item: ImageIn, where: str) -> Image:
    """An inline image's bytes (checked as an upload later, by the form) or its URL."""
    if item.url and item.data:
        raise Refused(
            "invalid",
            f"{where}: give url or data, not both.",
            errors=[(where, "give url or data, not both")],
        )
    if item.url:
        return Image(url=item.url)
    if not item.data:
        raise Refused(
            "invalid", f"{where}: give url or data.", errors=[(where, "give url or data")]
        )
    if not item.media_type:
        msg = "media_type is required with data"
        raise Refused(
            "invalid", f"{where}.media_type: {msg}.", errors=[(f"{where}.media_type", msg)]
        )
    data = item.data
    if data.startswith("data:") and "," in data:
        data = data.split(",", 1)[1]  # a data: URL, as browsers make them
    try:
        content = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        msg = "not valid base64"
        raise Refused("invalid", f"{where}.data: {msg}.", errors=[(f"{where}.data", msg)]) from None
    return Image(
        content=content,
        media_type=item.media_type,
        name=f"{where}.{item.media_type.rpartition('/')[2]}",
    )


@router.post("/generations", response={201: GenerationOut, **ERRORS}, summary="Create a generation")
def create_generation(request: HttpRequest, body: GenerationIn):
    """Submit an image generation or edit job; answers at once with its Generation object,
    to poll with `GET /generations/{id}`. The form's rules hold (budget, rate limit,
    suspension, reference counts, image checks). Send an `Idempotency-Key` header to make
    a retried POST safe: the SDK retries on timeouts and 5xx without one of its own."""

    def make() -> tuple[int, dict]:
        source = decode_image(body.source, "source") if body.source else None
        refs = [decode_image(r, f"image_ref.{i}") for i, r in enumerate(body.image_ref or [])]
        params = body.dict(exclude={"source", "image_ref", "user_id"})
        gens = submit(
            token=request.auth, params=params, source=source, refs=refs, end_user=body.user_id or ""
        )
        return 201, api_object(gens[0], request)

    return Status(*idempotency.once(request, body.dict(), make))


@router.get(
    "/generations/{generation_id}",
    response={200: GenerationOut, **ERRORS},
    summary="Get a generation",
)
def get_generation(request: HttpRequest, generation_id: str):
    gen = _visible(request, generation_id)
    return Status(200, api_object(gen, request))


class ListQuery(Schema):
    """The gallery's filters, by the same names (a saved search's query works here too)."""

    limit: int = Field(20, ge=1, le=100, description="How many, at most")
    after: str | None = Field(None, description="The last id of the previous page")
    q: str | None = Field(None, max_length=200, description="Words of the prompt (all of them)")
    state: Literal[(*State.values, ACTIVE)] | None = Field(
        None, description="A state, or `active` for anything still in flight"
    )
    model: Literal[tuple(facts.MODELS)] | None = None
    type: Literal[tuple(facts.TYPES)] | None = None
    ratio: Literal[tuple(facts.ASPECT_RATIOS)] | None = Field(None, description="aspect_ratio")
    style: Literal[tuple(facts.STYLES)] | None = None
    since: date | None = Field(None, description="Made on or after this day (UTC)")
    until: date | None = Field(None, description="Made on or before this day (UTC)")
    team: str | None = Field(
        None, max_length=100, description="A team's slug: what is shared with that team"
    )
    collection: int | None = Field(
        None, ge=1, le=2**63 - 1, description="A collection's id: what is in it"
    )
    via: Literal[tuple(VIA)] | None = Field(
        None, description="`api`: made through the API; `web`: in the studio's pages"
    )
    favourite: bool = Field(False, description="Only what the token's person starred")


def _filters(user, query: ListQuery) -> Filters:
    """The gallery's Filters for `query`, or Refused naming the field that cannot be used."""

    def refuse(field: str, message: str) -> Refused:
        return Refused("invalid", f"{field}: {message}.", errors=[(field, message)])

    if query.since and query.until and query.until < query.since:
        raise refuse("until", "before since")
    if query.team and not Team.objects.for_member(user).filter(slug=query.team).exists():
        raise refuse("team", "not a team of yours")
    if query.collection and not visible_collections(user).filter(pk=query.collection).exists():
        raise refuse("collection", "no such collection of yours")
    return Filters(
        # No prompt holds NUL (the form refuses it), and PostgreSQL cannot compare one.
        q=(query.q or "").replace("\x00", "").strip(),
        state=query.state or "",
        model=query.model or "",
        type=query.type or "",
        favourite=query.favourite,
        ratio=query.ratio or "",
        style=query.style or "",
        since=query.since.isoformat() if query.since else "",
        until=query.until.isoformat() if query.until else "",
        team=query.team or "",
        collection=str(query.collection or ""),
        via=query.via or "",
    )


@router.get(
    "/generations", response={200: GenerationListOut, **ERRORS}, summary="List my generations"
)
def list_generations(request: HttpRequest, query: Query[ListQuery]):
    """The token's person's own generations, newest first, filtered as the gallery filters
    them (a filter value that cannot be used is a 422 naming it)."""
    user = request.auth.user
    own = access.own_generations(user)
    rows = _filters(user, query).apply(own, user=user).prefetch_related("outputs")
    if query.after:
        known = query.after.isdigit() and len(query.after) <= 18
        last = own.filter(pk=query.after).first() if known else None
        if last is None:
            raise Refused(
                "invalid",
                "after: no such generation of yours.",
                errors=[("after", "no such generation of yours")],
            )
        rows = rows.filter(created_at__lte=last.created_at).exclude(
            created_at=last.created_at, id__gte=last.id
        )
    page = list(rows.order_by("-created_at", "-id")[: query.limit + 1])
    return Status(
        200,
        {
            "data": [api_object(g, request) for g in page[: query.limit]],
            "has_more": len(page) > query.limit,
        },
    )


def _visible(request: HttpRequest, generation_id: str) -> Generation:
    """A generation its token's person may see, else 404 (as for the pages)."""
    if not generation_id.isdigit() or len(generation_id) > 18:
        raise Refused("not_found", "No such generation.")
    gen = access.visible_generations(request.auth.user).filter(pk=generation_id).first()
    if gen is None:
        raise Refused("not_found", "No such generation.")
    return gen
