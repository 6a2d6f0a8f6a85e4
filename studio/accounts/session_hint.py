"""Tell "your session ended" apart from a first visit on the sign-in page.

When a session lapses, Django deletes its cookie on the very redirect to the sign-in page, so
that page cannot see it. A small cookie (no identity in it, only "someone signed in here")
is set while a person is signed in and dropped when they sign out on purpose; the sign-in
page that finds it without a session says the session ended, once."""

from __future__ import annotations

from django.conf import settings

COOKIE = "studio_signed_in"
MAX_AGE = 60 * 60 * 24 * 60


class SignedInHintMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if request.COOKIES.get(COOKIE) != "1" and getattr(user, "is_authenticated", False):
            remember(response)
        return response


def remember(response) -> None:
    response.set_cookie(
        COOKIE,
        "1",
        max_age=MAX_AGE,
        httponly=True,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )


def forget(response) -> None:
    response.delete_cookie(COOKIE, samesite="Lax")


def session_ended(request) -> bool:
    return request.COOKIES.get(COOKIE) == "1" and not request.user.is_authenticated
