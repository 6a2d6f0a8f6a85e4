"""The sign-in throttle's authentication backend (django-axes), first in the list."""

from __future__ import annotations

from axes.backends import AxesStandaloneBackend


class ThrottledSignIn(AxesStandaloneBackend):
    """django-axes' lockout check for every sign-in that comes from the web.

    Axes raises when `authenticate()` has no request; a call without one is never a web
    sign-in (the login view and the admin always pass it) but a shell or the test client's
    `login()`: there is no address to throttle, so the lockout check steps aside.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username, password, **kwargs)
