"""E-mail to a person: when their webhook endpoint was disabled, and (if they asked) when a
long job or a batch ended while they were away."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail

from .models import Endpoint, NotificationPreference

log = logging.getLogger(__name__)


def wants_email(user_id: int) -> bool:
    return NotificationPreference.objects.filter(user_id=user_id, email_when_done=True).exists()


def _send(user, subject: str, text: str) -> bool:
    if not user.email:
        return False
    try:
        send_mail(subject, text, settings.DEFAULT_FROM_EMAIL, [user.email])
    except OSError as exc:
        # The mail server being down must not fail the task that noticed the event.
        log.warning("e-mail to user %s not sent: %s", user.pk, exc)
        return False
    return True


def endpoint_disabled(endpoint_id: int) -> bool:
    endpoint = Endpoint.objects.select_related("user").filter(pk=endpoint_id).first()
    if endpoint is None:
        return False
    page = settings.STUDIO_PUBLIC_URL.rstrip("/") + "/settings/webhooks/"
    return _send(
        endpoint.user,
        "Studio: a webhook endpoint was turned off",
        f"Your webhook endpoint {endpoint.url} was turned off: {endpoint.disabled_reason}\n\n"
        f"Its deliveries are no longer sent. Turn it on again, or remove it, at {page}\n",
    )


def person(user_id: int):
    return get_user_model().objects.filter(pk=user_id).first()


def job_ended(generation_id: int) -> bool:
    """E-mail the person that a batch, or a job that ran long, ended while they were away."""
    from datetime import timedelta

    from django.db import IntegrityError, transaction
    from django.utils import timezone

    from studio.generations.models import Generation

    from .models import SentNotice

    gen = Generation.objects.select_related("user", "batch").filter(pk=generation_id).first()
    if gen is None or gen.in_flight or not gen.user.email:
        return False
    pref = NotificationPreference.objects.filter(user=gen.user, email_when_done=True).first()
    if pref is None:
        return False
    now = timezone.now()
    away = timedelta(seconds=settings.NOTIFY_EMAIL_AWAY_SECONDS)
    if pref.last_seen_at and now - pref.last_seen_at < away:
        return False
    if gen.batch_id:
        members = list(Generation.objects.filter(batch_id=gen.batch_id))
        if any(m.in_flight for m in members):
            return False  # the batch's last job to end sends the message
        key = f"batch:{gen.batch_id}"
        ready = sum(m.state == "completed" for m in members)
        subject = f"Studio: {ready} of {len(members)} images ready"
        link = f"/batches/{gen.batch_id}/"
    else:
        ran = (gen.completed_at or now) - gen.created_at
        if ran < timedelta(seconds=settings.NOTIFY_EMAIL_MIN_JOB_SECONDS):
            return False
        key = f"generation:{gen.pk}"
        subject = (
            "Studio: your image is ready"
            if gen.state == "completed"
            else f"Studio: your image failed ({gen.failure_code})"
        )
        link = f"/generations/{gen.pk}/"
    try:
        with transaction.atomic():
            SentNotice.objects.create(key=key)
    except IntegrityError:
        return False
    lines = [f"“{gen.prompt[:200]}”", ""]
    if gen.state == "failed" and not gen.batch_id:
        lines.append(f"It failed: {gen.failure_reason or gen.failure_code}.")
    lines.append(f"See it at {settings.STUDIO_PUBLIC_URL.rstrip('/')}{link}")
    lines += ["", "You get these e-mails because you turned them on in Settings → Notifications."]
    return _send(gen.user, subject, "\n".join(lines) + "\n")
