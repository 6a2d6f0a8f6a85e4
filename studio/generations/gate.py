"""The submission gate: the one place that answers "may this submission go?" for every way
in (the composer, Retry, Remix through the composer, a batch, the JSON API).

The checks run in one order, and each refusal is a `SubmissionRefused` raised before
anything is saved or sent:

1. the person (`settings.SUBMISSION_CHECKS`: `check(user)`, e.g. moderation's suspension),
2. the form's validation (the form is the caller's: the composer's, or the API's request
   handed to the same form),
3. the rate limit (`SUBMIT_RATE_PER_MINUTE`, a batch counting its size),
4. the reservations (`settings.SUBMISSION_RESERVATIONS`: `reserve(*, user, team,
   estimate, count)`, e.g. usage's budget caps), made by `reserve` inside the transaction
   that saves the rows, so that concurrent submissions are checked one after the other.

The checks other apps own plug in through those settings (dotted paths): generations does
not import the apps above it. Each caller turns `reason` into its own answer (the composer
a status and the form again, the API its error families).
"""

from __future__ import annotations

import math
from datetime import timedelta
from decimal import Decimal
from typing import Protocol

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from .models import Generation

SUSPENDED = "suspended"
INVALID = "invalid"
RATE_LIMITED = "rate_limited"
OVER_BUDGET = "over_budget"

RATE_WINDOW = timedelta(minutes=1)


class SubmissionRefused(Exception):
    """A submission that may not go; nothing was saved or sent. `reason` names the check
    (SUSPENDED, INVALID, RATE_LIMITED, OVER_BUDGET, or a plugged-in check's own);
    `retry_after`: seconds until it may go again, when that is known."""

    def __init__(self, reason: str, message: str, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.retry_after = retry_after


class Form(Protocol):
    errors: dict
    cleaned_data: dict

    def is_valid(self) -> bool: ...


def admit(*, user, form: Form) -> None:
    """Checks 1 to 3 for a submission made through `form` (its `count` images): raise
    `SubmissionRefused` unless it may go on to be saved (where `reserve` makes check 4)."""
    check_person(user)
    if not form.is_valid():
        messages = [str(m) for errors in form.errors.values() for m in errors]
        raise SubmissionRefused(INVALID, " ".join(messages))
    check_rate(user, form.cleaned_data.get("count") or 1)


def check_person(user) -> None:
    """Check 1: may this person submit at all now (the apps' SUBMISSION_CHECKS)?"""
    for path in settings.SUBMISSION_CHECKS:
        import_string(path)(user)


def check_rate(user, n: int = 1) -> None:
    """Check 3: refuse `n` more images past SUBMIT_RATE_PER_MINUTE, saying when to retry."""
    if wait := submit_wait_seconds(user=user, n=n):
        limit = settings.SUBMIT_RATE_PER_MINUTE
        raise SubmissionRefused(
            RATE_LIMITED,
            f"Too many submissions: at most {limit} images a minute. Nothing was sent; "
            f"try again in {wait} s.",
            retry_after=wait,
        )


def submit_wait_seconds(*, user, n: int = 1) -> int:
    """Seconds until `user` may submit `n` more images under SUBMIT_RATE_PER_MINUTE; 0: now.

    Counted from the Generation rows created in the last minute, not from a per-process
    counter, so every web process sees the same figure (two submits racing in the same
    instant may both pass: the limit is a brake on scripts, not an exact quota).
    """
    limit = settings.SUBMIT_RATE_PER_MINUTE
    now = timezone.now()
    recent = list(
        Generation.objects.filter(user=user, created_at__gt=now - RATE_WINDOW)
        .order_by("created_at")
        .values_list("created_at", flat=True)
    )
    excess = len(recent) + n - limit
    if excess <= 0:
        return 0
    if n > limit or excess > len(recent):
        return int(RATE_WINDOW.total_seconds())
    # Room for n once the excess oldest rows have left the window.
    frees_at = recent[excess - 1] + RATE_WINDOW
    return max(1, math.ceil((frees_at - now).total_seconds()))


def reserve(*, user, team, estimate: Decimal, count: int = 1) -> None:
    """Check 4, inside the transaction that saves the rows: each SUBMISSION_RESERVATIONS
    holds what it needs (locks it) until that transaction ends, or refuses."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("reserve() must run inside the transaction that saves the job")
    for path in settings.SUBMISSION_RESERVATIONS:
        import_string(path)(user=user, team=team, estimate=estimate, count=count)
