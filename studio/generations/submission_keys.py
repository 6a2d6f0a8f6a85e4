"""The one-time submission key (DESIGN.md): each form, and each Retry button, carries a
random key; the first post with it runs, a post repeating it makes nothing and is answered
with the first one's result (after waiting for it while it still runs). A post without a
key works as before.

The claim is a row with a unique (user, key), inserted in its own autocommit statement
before anything is checked or saved: two posts racing with the same key cannot both
insert it. A refused post (form error, rate limit, budget) releases its key, so the form
that comes back with the errors may be sent again with it."""

from __future__ import annotations

import secrets
import time
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone

from .models import SubmissionKey

FIELD = "submission_key"
KEY_MAX = 64
# How long a repeat waits for the first post to finish before it answers without its result.
WAIT_SECONDS = 15.0
KEEP = timedelta(days=1)


def new_key() -> str:
    return secrets.token_urlsafe(24)


def posted(request: HttpRequest) -> str:
    """The key a post carries ("" without one; an over-long value counts as none)."""
    key = request.POST.get(FIELD, "").strip()
    return key if 0 < len(key) <= KEY_MAX else ""


def claim(*, user, key: str) -> SubmissionKey | None:
    """None: this post is the first with `key` and may go on (then `settle` it). Otherwise
    the first post's row, finished if it finished within WAIT_SECONDS."""
    deadline = time.monotonic() + WAIT_SECONDS
    SubmissionKey.objects.filter(user=user, created_at__lt=timezone.now() - KEEP).delete()
    while True:
        try:
            with transaction.atomic():
                SubmissionKey.objects.create(user=user, key=key)
            return None
        except IntegrityError:
            pass
        first = SubmissionKey.objects.filter(user=user, key=key).first()
        if first is None:
            continue  # the first post was refused and let the key go: this one runs
        if first.finished_at is not None or time.monotonic() > deadline:
            return first
        time.sleep(0.05)


def settle(*, user, key: str, made: list[int] | None) -> None:
    """Record what the first post made, or (`made` None: refused, or it failed) let the key
    go so the same form may be sent again."""
    rows = SubmissionKey.objects.filter(user=user, key=key, finished_at__isnull=True)
    if made is None:
        rows.delete()
    else:
        rows.update(finished_at=timezone.now(), generation_ids=list(made))
