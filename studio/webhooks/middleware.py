"""Notes when a person's studio pages last checked in, so an e-mail about a finished job goes
only to someone who is away. Only sessions of people who turned that e-mail on carry the
flag (set when they turn it on or sign in), so everyone else's requests cost nothing; for
them, one UPDATE at most every CHECK_IN_SECONDS per person and process."""

from __future__ import annotations

from django.core.cache import cache
from django.utils import timezone

from .models import NotificationPreference

CHECK_IN_SECONDS = 30
SESSION_FLAG = "studio_email_when_done"


class CheckInMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if (
            getattr(user, "is_authenticated", False)
            and request.session.get(SESSION_FLAG)
            and cache.add(f"studio:webhooks:seen:{user.pk}", 1, CHECK_IN_SECONDS)
        ):
            NotificationPreference.objects.filter(user=user, email_when_done=True).update(
                last_seen_at=timezone.now()
            )
        return response


def remember_preference(sender, request, user, **kwargs) -> None:
    """At sign-in: this session checks in if its person wants the e-mail."""
    if NotificationPreference.objects.filter(user=user, email_when_done=True).exists():
        request.session[SESSION_FLAG] = True
