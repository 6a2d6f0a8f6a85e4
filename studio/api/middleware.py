"""The API's body cap (STUDIO_API_MAX_BODY_MB), in front of everything that reads a body.

A JSON body with inline images is far above Django's DATA_UPLOAD_MAX_MEMORY_SIZE (kept small
for the forms), and the core body guard is sized for the form: for /api/ paths this reads
the body itself under the API's own cap and answers 413 in the endpoint's error shape."""

from __future__ import annotations

from collections.abc import Callable
from io import BytesIO

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from . import errors


class ApiBodyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(errors.PREFIX):
            return self.get_response(request)
        request.body_limit_checked = True  # the uploads' BodyLimitMiddleware steps aside
        limit = settings.API_MAX_BODY_BYTES
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        if declared > limit:
            return self._too_large(request)
        if request.method in ("POST", "PUT", "PATCH") and not request.content_type.startswith(
            "multipart/"
        ):
            body = request.read(limit + 1)
            if len(body) > limit:
                return self._too_large(request)
            # As HttpRequest.body leaves it, so the parsers read this instead of refusing it.
            request._body = body
            request._stream = BytesIO(body)
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view, args, kwargs) -> HttpResponse | None:
        # The core NUL guard would answer in plain text: here the endpoint's own shape.
        if (
            request.path.startswith(errors.PREFIX)
            and request.method == "POST"
            and any(
                "\x00" in key or any("\x00" in v for v in values)
                for key, values in request.POST.lists()
            )
        ):
            return errors.plain(
                request, "invalid", "A form field held a NUL character. Nothing was saved."
            )
        return None

    @staticmethod
    def _too_large(request: HttpRequest) -> HttpResponse:
        mb = settings.API_MAX_BODY_BYTES // (1024 * 1024)
        return errors.plain(
            request,
            "too_large",
            f"The request body is over the {mb} MB limit: send smaller images.",
        )
