"""What a person does with their endpoints (the settings page and the API share these)."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone

from . import guard, queue
from .middleware import SESSION_FLAG
from .models import EVENTS, Delivery, Endpoint, NotificationPreference


class EndpointRefused(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def validate(url: str, events: list[str]) -> tuple[str, list[str]]:
    url = (url or "").strip()
    if not url:
        raise EndpointRefused("Enter the URL that should receive the webhooks.")
    if len(url) > 2000:
        raise EndpointRefused("The URL is longer than 2000 characters.")
    try:
        guard.check_url(url)
    except guard.Refused as exc:
        raise EndpointRefused(f"{str(exc)[0].upper()}{str(exc)[1:]}.") from exc
    # A literal internal address can be refused now; a name is checked at each send, as
    # what it resolves to may change.
    host = urlsplit(url).hostname or ""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        if not settings.WEBHOOK_ALLOW_PRIVATE:
            try:
                guard.resolve(url)
            except guard.Refused as exc:
                raise EndpointRefused(f"That address is refused: {exc}.") from exc
    events = [e for e in EVENTS if e in set(events or [])]
    if not events:
        raise EndpointRefused(f"Choose at least one event: {', '.join(EVENTS)}.")
    return url, events


def create_endpoint(*, user, url: str, events: list[str]) -> Endpoint:
    """A new endpoint; its `secret` is shown to the person once, on this answer."""
    url, events = validate(url, events)
    if Endpoint.objects.filter(user=user).count() >= settings.WEBHOOK_ENDPOINTS_PER_PERSON:
        raise EndpointRefused(
            f"You have {settings.WEBHOOK_ENDPOINTS_PER_PERSON} endpoints, the most allowed: "
            "delete one first."
        )
    return Endpoint.objects.create(user=user, url=url, events=events)


def rotate_secret(endpoint: Endpoint) -> str:
    secret = endpoint.rotate()
    endpoint.save(update_fields=["secret", "previous_secret", "previous_secret_until"])
    return secret


def enable(endpoint: Endpoint) -> None:
    endpoint.enable()
    endpoint.save(update_fields=["disabled_at", "disabled_reason", "failing_since"])


def replay(delivery: Delivery) -> None:
    """Send `delivery` again, by the worker (never in a web request)."""
    queue.enqueue("replay", delivery.pk)


def recent_attempts(endpoint: Endpoint, limit: int = 10):
    from .models import Attempt

    return (
        Attempt.objects.filter(delivery__endpoint=endpoint)
        .select_related("delivery")
        .order_by("-at", "-pk")[:limit]
    )


def set_email_when_done(*, user, on: bool, session=None) -> None:
    NotificationPreference.objects.update_or_create(
        user=user, defaults={"email_when_done": on, "last_seen_at": timezone.now()}
    )
    if session is not None:
        session[SESSION_FLAG] = on


def email_when_done(user) -> bool:
    return NotificationPreference.objects.filter(user=user, email_when_done=True).exists()
