"""What a team page answers someone who is no longer (or never was) in the team."""

from __future__ import annotations

import functools

from django.http import Http404
from django.urls import reverse
from django_htmx.http import HttpResponseClientRedirect


def leaves_team_on_404(view):
    """A removed member's open page keeps polling: its next htmx request is sent to
    `/teams/` with `HX-Redirect` (a swap of a 404 would do nothing); a plain request gets
    the 404 as usual."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except Http404:
            if getattr(request, "htmx", False):
                return HttpResponseClientRedirect(reverse("teams"))
            raise

    return wrapped
