"""Endpoints, deliveries (the outbox) and the log of every attempt."""

from __future__ import annotations

import base64
import secrets
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

EVENTS = ["generation.completed", "generation.failed"]


def new_secret() -> str:
    """A Standard Webhooks secret: `whsec_` and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def new_message_id() -> str:
    return f"msg_{uuid.uuid4().hex}"


class Endpoint(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="webhook_endpoints"
    )
    url = models.URLField(max_length=2000)
    events = models.JSONField(default=list)
    # Kept in the clear: signing needs it. Shown to its person once, when made or rotated.
    secret = models.CharField(max_length=100, default=new_secret)
    # After a rotation, the old secret signs too until `previous_secret_until`, so receivers
    # can switch without losing a message.
    previous_secret = models.CharField(max_length=100, blank=True)
    previous_secret_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # The first failed attempt of the current run of failures (None after a success).
    failing_since = models.DateTimeField(null=True, blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.url

    @property
    def active(self) -> bool:
        return self.disabled_at is None

    def signing_secrets(self, now=None) -> list[str]:
        now = now or timezone.now()
        keys = [self.secret]
        if self.previous_secret and self.previous_secret_until and self.previous_secret_until > now:
            keys.append(self.previous_secret)
        return keys

    def rotate(self) -> str:
        """A new secret; the old one keeps signing for WEBHOOK_ROTATION_OVERLAP (unsaved)."""
        self.previous_secret = self.secret
        self.previous_secret_until = timezone.now() + timedelta(
            seconds=settings.WEBHOOK_ROTATION_OVERLAP_SECONDS
        )
        self.secret = new_secret()
        return self.secret

    def disable(self, reason: str) -> None:
        self.disabled_at = timezone.now()
        self.disabled_reason = reason[:300]

    def enable(self) -> None:
        self.disabled_at = None
        self.disabled_reason = ""
        self.failing_since = None


class Delivery(models.Model):
    """One event for one endpoint: made in the transaction of the state change that causes
    it (so it exists exactly when the change committed), sent by the worker until it is
    answered 2xx or its retries run out."""

    class State(models.TextChoices):
        PENDING = "pending"
        DELIVERED = "delivered"
        FAILED = "failed"  # retries ran out, or the endpoint was disabled

    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="deliveries")
    # The `webhook-id` header: the same on every attempt, so receivers can drop repeats.
    message_id = models.CharField(max_length=40, unique=True, default=new_message_id)
    event = models.CharField(max_length=40)
    generation_id = models.BigIntegerField(null=True, blank=True)
    # The body exactly as signed and sent, on every attempt.
    body = models.TextField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # A sender's claim: another worker leaves the row alone until then.
    claimed_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="webhook_due")]

    def __str__(self) -> str:
        return f"{self.event} {self.message_id}"


class Attempt(models.Model):
    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="log")
    at = models.DateTimeField(default=timezone.now)
    # The HTTP status, or None when none came (refused address, timeout, connection error).
    status = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=300, blank=True)
    excerpt = models.CharField(max_length=500, blank=True)
    replay = models.BooleanField(default=False)

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.delivery} at {self.at}: {self.status or self.error}"

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


class NotificationPreference(models.Model):
    """How a person likes to hear that a job ended, beyond webhooks (off until they ask)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preference"
    )
    email_when_done = models.BooleanField(default=False)
    # When a studio page of theirs last checked in (kept only while e-mail is on).
    last_seen_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"notifications of {self.user}"


class SentNotice(models.Model):
    """An e-mail already sent for this key (`batch:7`, `generation:9`): two workers ending
    a batch's last two jobs at once send one message."""

    key = models.CharField(max_length=60, unique=True)
    sent_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.key
