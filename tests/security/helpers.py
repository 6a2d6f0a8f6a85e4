"""Rows in each state for the security tests, made without the queue or the provider."""

from __future__ import annotations

from django.core.files.base import ContentFile
from django.utils import timezone

from studio.generations.models import Generation, Output, State
from tests.generations.helpers import image_bytes, make_generation

SCRIPT = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def completed(user, **params) -> Generation:
    gen = make_generation(user, **params)
    out = Output(generation=gen, position=0, media_type="image/png", width=64, height=36, bytes=10)
    out.file.save(f"{gen.pk}.png", ContentFile(image_bytes("PNG", (64, 36))), save=False)
    out.thumbnail.save(f"{gen.pk}.webp", ContentFile(image_bytes("WEBP", (64, 36))), save=False)
    out.save()
    Generation.objects.filter(pk=gen.pk).update(state=State.COMPLETED, completed_at=timezone.now())
    gen.refresh_from_db()
    return gen


def failed(user, *, code: str = "generation_failed", reason: str = "it broke", **params):
    gen = make_generation(user, **params)
    Generation.objects.filter(pk=gen.pk).update(
        state=State.FAILED, failure_code=code, failure_reason=reason, completed_at=timezone.now()
    )
    gen.refresh_from_db()
    return gen


def in_flight(user, state: str = State.PROCESSING, **params) -> Generation:
    gen = make_generation(user, **params)
    Generation.objects.filter(pk=gen.pk).update(state=state)
    gen.refresh_from_db()
    return gen
