"""Small answers every app's views give the same way."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils.http import url_has_allowed_host_and_scheme


def text_error(message: str, status: int = 400) -> HttpResponse:
    """A refusal as plain text: what an htmx caller shows in the page's toast (gallery.js
    shows a plain-text error body) and what a script reads as it is."""
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")


def next_url(request: HttpRequest, default: str) -> str:
    """Where to go after an action: the request's `next` (POST, else GET) when it stays on
    this site, else `default`."""
    nxt = request.POST.get("next") or request.GET.get("next") or ""
    ok = url_has_allowed_host_and_scheme(nxt, {request.get_host()}, request.is_secure())
    return nxt if nxt and ok else default
