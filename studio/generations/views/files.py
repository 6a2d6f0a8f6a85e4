"""Files: a generation's images, thumbnails and inputs, each served through the access
check (never from a public media URL)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from studio.core.files import file_response
from studio.core.media import extension_for

from .. import access
from ..models import Output

# Stored files never change under a name (a new file gets a new name): a browser may keep
# one a day. A presigned S3 redirect is kept for less (see studio.core.files).
FILE_MAX_AGE = 86400


def output_for(request: HttpRequest, generation_id: int, position: int) -> Output:
    """Output `position` of a generation the person may see, or 404."""
    gen = access.get_generation_for(request.user, generation_id)
    try:
        return gen.outputs.get(position=position)
    except Output.DoesNotExist:
        raise Http404("No such output") from None


@login_required
@require_GET
def output_file(request: HttpRequest, generation_id: int, position: int) -> HttpResponse:
    out = output_for(request, generation_id, position)
    return file_response(
        out.file,
        content_type=out.media_type,
        max_age=FILE_MAX_AGE,
        as_attachment="download" in request.GET,
        filename=f"{out.generation.download_stem}-{position + 1}.{extension_for(out.media_type)}",
    )


@login_required
@require_GET
def output_thumbnail(request: HttpRequest, generation_id: int, position: int) -> HttpResponse:
    out = output_for(request, generation_id, position)
    return file_response(out.thumbnail, content_type="image/webp", max_age=FILE_MAX_AGE)


@login_required
@require_GET
def input_file(request: HttpRequest, generation_id: int, input_id: int) -> HttpResponse:
    gen = access.get_generation_for(request.user, generation_id)
    ref = gen.inputs.filter(pk=input_id).exclude(file="").first()
    if ref is None:
        raise Http404("No such input")
    return file_response(ref.file, content_type=ref.media_type, max_age=FILE_MAX_AGE)
