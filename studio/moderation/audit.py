"""The audit log: one row per thing done to a person or their work, written here only.

Review decisions, suspensions and lifts (this app), budget changes (`usage`), team role
changes (`teams`) and tokens (`api`) call `studio.core.audit.record`, which hands the row to
`record` here (the `STUDIO_AUDIT_RECORDER` setting). The admin shows the rows read-only:
nothing written here can be changed or deleted through it.
"""

from __future__ import annotations

from typing import Any

from django.db import models

from .models import AuditEntry


def _repr(target: Any) -> str:
    if target is None:
        return ""
    if isinstance(target, models.Model):
        return f"{target._meta.label_lower}#{target.pk} {target}"[:300]
    return str(target)[:300]


def record(
    *,
    actor,
    action: str,
    subject=None,
    target: Any = None,
    before: Any = None,
    after: Any = None,
) -> AuditEntry:
    """Write one audit row. `actor` is who acted (None: the system, e.g. automatic
    suspension or a management command run without a user), `subject` the person it was
    done to, `target` what it was done on (a model instance or a short text), `before` and
    `after` JSON-serialisable values (dicts of the fields that changed)."""
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    return AuditEntry.objects.create(
        actor=actor,
        action=action,
        subject=subject,
        target=_repr(target),
        before=before,
        after=after,
    )
