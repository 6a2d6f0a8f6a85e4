"""`Idempotency-Key` on a POST: the same token and key within API_IDEMPOTENCY_SECONDS
answers the first result again (no new generation, nothing sent upstream); the same key
with another body is refused. Both official SDKs retry a POST after a timeout or a 5xx
without a key of their own, so callers that care should send one.

The key is claimed by inserting its row before any work (a unique constraint decides
between two requests racing with one key); a refusal releases it, so a retry may succeed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone

from .models import IdempotencyKey
from .submit import Refused

HEADER = "Idempotency-Key"
KEY_MAX = 255


@dataclass
class Slot:
    row: IdempotencyKey | None = None
    replay: dict[str, Any] | None = None


def fingerprint(endpoint: str, body: Any) -> str:
    text = json.dumps([endpoint, body], sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def claim(request: HttpRequest, endpoint: str, body: Any) -> Slot:
    """No key: an empty slot. A key seen before: its first answer to replay. A new key:
    the claimed row, to `finish` or `release`. Raises Refused on a reused key."""
    key = request.headers.get(HEADER, "")
    if not key:
        return Slot()
    if len(key) > KEY_MAX or any(ord(ch) < 32 for ch in key):
        raise Refused(
            "invalid",
            f"{HEADER}: at most {KEY_MAX} printable characters.",
            errors=[(HEADER, f"at most {KEY_MAX} printable characters")],
        )
    token = request.auth
    print_ = fingerprint(endpoint, body)
    since = timezone.now() - timedelta(seconds=settings.API_IDEMPOTENCY_SECONDS)
    IdempotencyKey.objects.filter(token=token, key=key, created_at__lt=since).delete()
    try:
        with transaction.atomic():
            row = IdempotencyKey.objects.create(
                token=token, key=key, endpoint=endpoint, fingerprint=print_
            )
        return Slot(row=row)
    except IntegrityError:
        pass
    first = IdempotencyKey.objects.filter(token=token, key=key).first()
    if first is None:  # released in the meantime: claim it again
        return claim(request, endpoint, body)
    if first.endpoint != endpoint or first.fingerprint != print_:
        raise Refused(
            "idempotency_key_reused",
            f"This {HEADER} was used with another request body: use a new key for a new request.",
        )
    if first.result is None:
        raise Refused(
            "idempotency_key_reused",
            f"A request with this {HEADER} is still being answered: ask again when it is done.",
        )
    return Slot(replay=first.result)


def finish(slot: Slot, result: dict[str, Any]) -> None:
    if slot.row is not None:
        IdempotencyKey.objects.filter(pk=slot.row.pk).update(result=result)


def release(slot: Slot) -> None:
    if slot.row is not None:
        IdempotencyKey.objects.filter(pk=slot.row.pk).delete()


def once(request: HttpRequest, body: Any, make: Callable[[], tuple[int, Any]]) -> tuple[int, Any]:
    """Answer `make()`'s (status, body) once per key; replay it after."""
    slot = claim(request, request.path, body)
    if slot.replay is not None:
        return slot.replay["status"], slot.replay["body"]
    try:
        status, payload = make()
    except BaseException:
        release(slot)
        raise
    finish(slot, {"status": status, "body": payload})
    return status, payload
