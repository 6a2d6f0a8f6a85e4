"""Project-wide request guards."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, QueryDict
from django.shortcuts import resolve_url
from django_htmx.http import HttpResponseClientRedirect


class NulCharacterMiddleware:
    """NUL never belongs in a form field or a query, and PostgreSQL refuses to store or
    compare it: a lookup with one (a username, a team slug) would be a 500. A query string
    has it dropped (a link still opens); a form post with one is refused with a 400 before
    any view reads it. Runs as process_view, after CSRF has read the body."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view, args, kwargs) -> HttpResponse | None:
        if _has_nul(request.GET):
            cleaned = QueryDict(mutable=True)
            for key, values in request.GET.lists():
                cleaned.setlist(key.replace("\x00", ""), [v.replace("\x00", "") for v in values])
            cleaned._mutable = False
            request.GET = cleaned
        if request.method == "POST" and _has_nul(request.POST):
            return HttpResponseBadRequest(
                "The form held a NUL character, which no field accepts. Nothing was saved.",
                content_type="text/plain; charset=utf-8",
            )
        return None


def _has_nul(params: QueryDict) -> bool:
    return any("\x00" in key or any("\x00" in v for v in values) for key, values in params.lists())


class HtmxLoginRedirectMiddleware:
    """An htmx request from a session that has ended (logged out in another tab, expired)
    would follow `login_required`'s 302 and swap the whole login page into the gallery.
    Instead the browser is sent to the login page, and back to the page it was on (the
    path of HX-Current-URL, not the fragment URL htmx asked) after signing in."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        htmx = getattr(request, "htmx", None)
        if not htmx or request.user.is_authenticated or response.status_code != 302:
            return response
        login = resolve_url(settings.LOGIN_URL)
        if urlsplit(response.get("Location", "")).path != login:
            return response
        current = urlsplit(htmx.current_url or "")
        back = current.path or "/"
        if current.query:
            back += f"?{current.query}"
        return HttpResponseClientRedirect(f"{login}?{urlencode({'next': back}, safe='/')}")


class NoStoreHtmlMiddleware:
    """Every HTML page here shows data that changes (a new card, a deleted item, a spent
    budget), and Chromium shows a page without Cache-Control from its cache on Back: after
    Generate → Usage → Back the new card was missing, after Delete → Back the deleted image
    was shown. `no-store` makes Back ask the server again. A response that already says how
    to cache (files, a view's own header) keeps its choice."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        content_type = response.get("Content-Type", "")
        if content_type.startswith("text/html") and not response.has_header("Cache-Control"):
            response["Cache-Control"] = "no-store"
        return response


class ReleaseConnectionWhileStreamingMiddleware:
    """A streamed answer (a zip of originals, a file) gives its database connection back
    before the first byte is sent, not when the last one is: under the ASGI server each web
    process has a pool of a few connections (STUDIO_WEB_DB_POOL_MAX), and a slow download
    holding one for minutes would leave the others waiting. The streams read no rows (what
    one needs is read before); one that did would take a connection again. Outside every
    other middleware but the request metrics, so the session is saved first."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.streaming:
            from django.db import connections

            for conn in connections.all(initialized_only=True):
                if not conn.in_atomic_block:
                    conn.close()
        return response
