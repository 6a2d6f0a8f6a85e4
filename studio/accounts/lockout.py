"""Sign-in throttling glue for django-axes: whose address an attempt came from, and what a
locked-out person sees."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def client_ip(request: HttpRequest) -> str | None:
    """The address a sign-in attempt is counted against.

    Behind the one TLS proxy that STUDIO_HTTPS assumes, REMOTE_ADDR is the proxy's (every
    person would share it), so the right-most X-Forwarded-For entry is used: the proxy
    appends the address it saw, while everything left of it is whatever the client sent.
    """
    if settings.STUDIO_HTTPS:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        last = forwarded.rsplit(",", 1)[-1].strip()
        if last:
            return last
    return request.META.get("REMOTE_ADDR")


def lockout_response(
    request: HttpRequest, original_response=None, credentials: dict | None = None
) -> HttpResponse:
    """429 with Retry-After and a page that says what happened and when to try again."""
    seconds = int(settings.AXES_COOLOFF_TIME.total_seconds())
    response = render(
        request,
        "registration/locked_out.html",
        {"minutes": seconds // 60, "failure_limit": settings.AXES_FAILURE_LIMIT},
        status=429,
    )
    response["Retry-After"] = str(seconds)
    return response


def not_a_password_attempt(request: HttpRequest, credentials: dict | None = None) -> bool:
    """django-axes' whitelist: an attempt without a username is a provider sign-in's callback
    (the provider throttles its own sign-in). Counted, such failures would share one
    (no username, address) pair and lock every provider sign-in from that address out."""
    return not (credentials or {}).get("username")
