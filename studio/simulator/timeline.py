"""A simulated job's timeline (queued, processing, then done after its duration) and its
output: the Generation object the API answers, the presigned output URL, the rendered image."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac

from studio.upstream import facts

from . import render
from .models import SimulatedJob
from .triggers import FAILURE_REASONS, SECONDS_TRIGGER, triggers_in

# Fixed for good: a new salt would void the output URLs already handed out.
SIGNING_SALT = "studio.upstream.simulator.files"


def durations(job: SimulatedJob) -> tuple[timedelta, timedelta]:
    """(queued until, done at) after creation: `[simulate:seconds_N]` in the prompt, else
    the setting at request time."""
    total = float(settings.SIMULATOR_SECONDS)
    for name in triggers_in(job.prompt):
        match = SECONDS_TRIGGER.match(name)
        if match:
            total = float(match[1])
    total = max(0.0, total)
    return timedelta(seconds=total * 0.25), timedelta(seconds=total)


def state_of(job: SimulatedJob) -> str:
    queued_for, done_after = durations(job)
    elapsed = timezone.now() - job.created_at
    if elapsed >= done_after:
        is_failure = job.forced_outcome in facts.UPSTREAM_FAILURE_CODES
        return "failed" if is_failure else "completed"
    return "queued" if elapsed < queued_for else "processing"


def generation_object(request: HttpRequest, job: SimulatedJob, *, state: str) -> dict[str, Any]:
    failed = state == "failed"
    output = []
    if state == "completed":
        output = [{"type": "image", "url": output_url(request, job)}]
    return {
        "id": job.id,
        "created_at": job.created_at.isoformat(),
        "model": job.model,
        "state": state,
        "type": job.type,
        "failure_code": job.forced_outcome if failed else None,
        "failure_reason": FAILURE_REASONS[job.forced_outcome] if failed else None,
        "output": output,
    }


def output_name(job: SimulatedJob) -> str:
    return f"0.{render.extension(job.output_format)}"


def output_url(request: HttpRequest, job: SimulatedJob) -> str:
    """A presigned URL valid until SIMULATOR_URL_EXPIRY_SECONDS after completion."""
    path = reverse("simulator:file", args=[job.id, output_name(job)])
    completed_at = job.created_at + durations(job)[1]
    expires = int(completed_at.timestamp()) + int(settings.SIMULATOR_URL_EXPIRY_SECONDS)
    signature = sign(path, expires)
    return request.build_absolute_uri(f"{path}?expires={expires}&signature={signature}")


def sign(path: str, expires: int) -> str:
    return salted_hmac(SIGNING_SALT, f"{path}?expires={expires}", algorithm="sha256").hexdigest()


def output_bytes(job: SimulatedJob) -> bytes:
    """Render once, then serve from storage: a client may download an output many times."""
    name = f"simulator/{job.id}/{output_name(job)}"
    if default_storage.exists(name):
        with default_storage.open(name, "rb") as cached:
            return cached.read()
    source = None
    if job.source_file and default_storage.exists(job.source_file):
        with default_storage.open(job.source_file, "rb") as stored:
            source = stored.read()
    data = render.render_image(
        prompt=job.prompt,
        aspect_ratio=job.aspect_ratio,
        style=job.style,
        output_format=job.output_format,
        source=source,
        job_id=str(job.id),
    )
    saved = default_storage.save(name, ContentFile(data))
    if saved != name:  # a concurrent download cached it first; keep one copy
        default_storage.delete(saved)
    return data
