from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST
from django_htmx.http import trigger_client_event

from .models import Theme, set_theme


@login_required
@require_POST
def theme(request: HttpRequest) -> HttpResponse:
    """Remember the person's theme (system / light / dark). Without JavaScript: back to the
    page the toggle was on, drawn in the new theme; htmx: the toggle again, and a
    `theme-changed` event that static/js/theme.js turns into <html data-theme>."""
    choice = request.POST.get("theme", "")
    if choice not in Theme.values:
        return HttpResponseBadRequest("theme must be system, light or dark")
    set_theme(request.user, choice)
    if request.htmx:
        response = render(request, "accounts/_theme.html", {"theme": choice})
        return trigger_client_event(response, "theme-changed", {"theme": choice})
    nxt = request.POST.get("next", "")
    ok = url_has_allowed_host_and_scheme(nxt, {request.get_host()}, request.is_secure())
    return redirect(nxt if nxt and ok else "studio")
