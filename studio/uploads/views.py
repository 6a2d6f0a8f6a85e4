from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET

from studio.core.files import file_response

from .models import StagedUpload


@login_required
@require_GET
def staged_file(request: HttpRequest, token: str) -> HttpResponse:
    """A kept upload, for the preview in the form: its owner only, 404 for anyone else."""
    staged = get_object_or_404(StagedUpload, token=token, user=request.user)
    return file_response(staged.file, content_type=staged.media_type, max_age=3600)
