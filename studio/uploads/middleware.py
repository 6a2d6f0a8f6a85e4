"""The guard that refuses an upload too large for any valid form, before it is read."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.template.defaultfilters import filesizeformat

from studio.upstream import facts


def max_body_bytes() -> int:
    """More than every allowed image at its limit could need, plus room for the fields."""
    return (facts.MAX_REFS["image"] + 1) * settings.UPLOAD_MAX_BYTES + 1024 * 1024


class BodyLimitMiddleware:
    """Refuse a body that declares more bytes than any valid request needs, before a byte
    of it is read. It sits before CsrfViewMiddleware, which reads request.POST (and so
    would stream a multi-gigabyte upload to disk) before any view could say no."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if getattr(request, "body_limit_checked", False):
            # An earlier guard (the JSON API's) already held the body to its own limit.
            return self.get_response(request)
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        if declared > max_body_bytes():
            return HttpResponse(
                f"The upload is too large: at most {facts.MAX_REFS['image'] + 1} images of "
                f"{filesizeformat(settings.UPLOAD_MAX_BYTES)} each can be sent at once.",
                status=413,
                content_type="text/plain; charset=utf-8",
            )
        return self.get_response(request)
