from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET

from .models import StagedUpload


@login_required
@require_GET
def staged_file(request: HttpRequest, token: str) -> FileResponse:
    """A kept upload, for the preview in the form: its owner only, 404 for anyone else."""
    staged = get_object_or_404(StagedUpload, token=token, user=request.user)
    response = FileResponse(staged.file.open("rb"), content_type=staged.media_type)
    response["Cache-Control"] = "private, max-age=3600"
    return response
