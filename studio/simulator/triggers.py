"""Failures asked for in the prompt (`[simulate:…]`): which ones there are, what the
provider says for each, and firing each one once where it strikes once. The list is in
studio/simulator/views.py's docstring."""

from __future__ import annotations

import hashlib
import re

from django.db import IntegrityError, transaction

from studio.upstream import facts

from .models import SimulatorTrigger
from .plumbing import ApiError

# Statuses the POST answers once per (user_id, prompt): the retryable ones, so a client's
# retry is seen to succeed.
ONCE_HTTP_TRIGGERS: dict[int, str] = {
    429: "Rate limit exceeded: too many requests in the last 60 seconds",
    502: "Upstream service unavailable, please retry",
    503: "Image ingestion is temporarily unavailable, please retry",
}
# Statuses the POST always answers: retrying cannot help.
ALWAYS_HTTP_TRIGGERS: dict[int, str] = {
    400: "Invalid parameters: the request could not be processed",
    401: "Invalid or missing API key",
    402: "Insufficient credits: add credits to your account to continue",
    403: "Access denied: this API client is suspended",
    413: f"Input media too large: each image must be at most "
    f"{facts.INLINE_MAX_BYTES // (1024 * 1024)} MB",
    422: "Unprocessable media: image_ref[0] could not be decoded as an image",
}
MISSING_OUTPUT = "missing_output"

# What upstream says in `failure_reason` for each code: one realistic sentence per code.
FAILURE_REASONS: dict[str, str] = {
    "content_moderated": "The prompt was flagged by content moderation and cannot be processed.",
    "generation_failed": "The model encountered an internal error while generating the image.",
    "budget_exhausted": "The account ran out of credits before the generation finished.",
    "output_not_found": "The generated image could not be retrieved from storage.",
    "image_too_large": "An input image exceeds the maximum size of "
    f"{facts.INLINE_MAX_BYTES // (1024 * 1024)} MB.",
    "unsupported_format": "An input image is in an unsupported format; use JPEG, PNG or WebP.",
    "corrupt_input": "An input image could not be decoded.",
    "invalid_request": "The request was rejected during processing: the parameters are invalid.",
    "rate_limited": "Too many concurrent generations; the job was rejected during processing.",
}
assert set(FAILURE_REASONS) == set(facts.UPSTREAM_FAILURE_CODES), "one reason per failure code"

TRIGGER = re.compile(r"\[simulate:([a-z0-9_.]+)\]", re.IGNORECASE)
HTTP_TRIGGER = re.compile(r"http_(\d{3})(?:x(\d+))?$")
SECONDS_TRIGGER = re.compile(r"seconds_(\d+(?:\.\d+)?)$")


def triggers_in(prompt: str) -> list[str]:
    return [name.lower() for name in TRIGGER.findall(prompt)]


def job_outcome(prompt: str) -> str:
    """The first failure code (or missing_output) asked for in the prompt, else ""."""
    for name in triggers_in(prompt):
        if name in facts.UPSTREAM_FAILURE_CODES or name == MISSING_OUTPUT:
            return name
    return ""


def fire_http_triggers(prompt: str, user_id: str) -> None:
    for name in triggers_in(prompt):
        match = HTTP_TRIGGER.match(name)
        if not match:
            continue
        status, times = int(match[1]), int(match[2] or 1)
        if status in ALWAYS_HTTP_TRIGGERS:
            raise ApiError(status, ALWAYS_HTTP_TRIGGERS[status])
        if status in ONCE_HTTP_TRIGGERS and any(
            # Each of the N answers has its own key: the first N identical POSTs fail.
            _first_time(status, user_id, prompt if n == 0 else f"{prompt}\0{n}")
            for n in range(times)
        ):
            headers = {"Retry-After": "1"} if status == 429 else {}
            raise ApiError(status, ONCE_HTTP_TRIGGERS[status], headers)


def once(name: str, scope: str) -> bool:
    """True the first time for (name, scope): a fault that strikes once per job."""
    return _first_time(0, name, scope)


def _first_time(status: int, user_id: str, prompt: str) -> bool:
    key = hashlib.sha256(f"{status}\0{user_id}\0{prompt}".encode()).hexdigest()
    try:
        # The unique key decides, so two concurrent identical POSTs fire it only once.
        with transaction.atomic():
            SimulatorTrigger.objects.create(key=key, status=status)
    except IntegrityError:
        return False
    return True
