"""Parameters as JSON: "Download parameters" and "Use these settings" (a generation's
document), and settings recall from a dropped image (by the SHA-256 of its original)."""

from __future__ import annotations

import hashlib
import json
import re

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_http_methods

from .. import access, parameters
from ..models import Output

SHA256 = re.compile(r"^[0-9a-f]{64}$")


@login_required
@require_http_methods(["GET"])
def generation_parameters(request: HttpRequest, generation_id: int) -> HttpResponse:
    gen = access.get_generation_for(request.user, generation_id)
    document = parameters.document(gen)
    if "download" not in request.GET:
        return JsonResponse(document)
    response = HttpResponse(
        json.dumps(document, indent=2, ensure_ascii=False) + "\n",
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{gen.download_stem}.json"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
def recall(request: HttpRequest) -> JsonResponse:
    """The settings of the generation whose original has this SHA-256 (`?sha256=`, worked
    out by the browser) or is this file (`image`, posted where the browser cannot hash),
    when the person may see it; 404 otherwise, and the composer takes the file as a
    reference as it would any other image."""
    if request.method == "POST":
        upload = request.FILES.get("image")
        if upload is None:
            return JsonResponse({"detail": "Send the image as `image`."}, status=400)
        digest = hashlib.file_digest(upload, "sha256").hexdigest()
    else:
        digest = request.GET.get("sha256", "").strip().lower()
        if not SHA256.match(digest):
            return JsonResponse({"detail": "`sha256` is 64 hexadecimal digits."}, status=400)
    out = (
        Output.objects.filter(
            sha256=digest, generation__in=access.visible_generations(request.user)
        )
        .select_related("generation")
        .order_by("-generation__created_at")
        .first()
    )
    if out is None:
        return JsonResponse({"detail": "Not an image of this studio that you may see."}, status=404)
    gen = out.generation
    return JsonResponse(
        {"id": gen.pk, "prompt": gen.prompt, "parameters": parameters.recalled(gen)}
    )
