"""The JSON API's Generation object: the upstream's shape, with the studio's own id.

It lives here, below `api` and `webhooks`, so both answer with the same object: the API when
asked, webhooks when a job ends. Output URLs are absolute studio URLs; the caller decides how
they are made (the API signs them so a plain GET works; by default they are the studio's
own, sign-in checked file URLs).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core import signing
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.http import require_GET

from studio.core.files import file_response

from .models import Generation, Output, State

# A row not yet sent upstream shows as `queued`: the API's callers know no `pending`.
_API_STATES = {State.PENDING: "queued"}


def output_path(generation: Generation, position: int) -> str:
    return reverse("output-file", args=[generation.pk, position])


def as_api_object(
    generation: Generation,
    base: str,
    *,
    output_url: Callable[[Generation, int], str] | None = None,
) -> dict[str, Any]:
    """`generation` as the upstream's Generation object. `base` (scheme and host, e.g.
    `request.build_absolute_uri("/")`) makes URLs absolute; `output_url(generation, position)`
    gives an output's path or URL (default: the studio's own file URL)."""
    base = base.rstrip("/")
    make_url = output_url or output_path
    output = []
    if generation.state == State.COMPLETED:
        for out in generation.outputs.all():
            url = make_url(generation, out.position)
            output.append({"type": "image", "url": url if "://" in url else base + url})
    failed = generation.state == State.FAILED
    return {
        "id": str(generation.pk),
        "created_at": generation.created_at.isoformat(),
        "model": generation.model,
        "state": _API_STATES.get(generation.state, generation.state),
        "type": generation.type,
        "failure_code": (generation.failure_code or None) if failed else None,
        "failure_reason": (generation.failure_reason or None) if failed else None,
        "output": output,
    }


# --- signed output URLs ------------------------------------------------------------------
# What the JSON API hands out (the one exception to "404 for anything not yours" besides
# public links): an unguessable, expiring URL that answers one output to a plain GET with no
# header, as the provider's presigned URLs do, for API_OUTPUT_URL_SECONDS.

_SALT = "studio.generations.api-output-url"


def signed_output_path(generation: Generation, position: int) -> str:
    """`output_url` for `as_api_object`: a path that needs no sign-in."""
    value = signing.dumps([generation.pk, position], salt=_SALT, compress=True)
    return reverse("signed-output", args=[value])


@require_GET
def signed_output(request: HttpRequest, value: str) -> HttpResponse:
    try:
        generation_id, position = signing.loads(
            value, salt=_SALT, max_age=settings.API_OUTPUT_URL_SECONDS
        )
    except (signing.BadSignature, ValueError, TypeError):
        raise Http404("This link is not valid, or it has expired.") from None
    out = (
        Output.objects.filter(generation_id=generation_id, position=position)
        .filter(generation__trashed_at__isnull=True)
        .first()
    )
    if out is None:
        raise Http404("This image is no longer there.")
    return file_response(out.file, content_type=out.media_type, max_age=300)
