"""Recording to the audit log: the one call every app makes (teams, usage, moderation, api).

The log's model and its read-only admin belong to `moderation`, above most of its callers, so
the row is written by the function the `STUDIO_AUDIT_RECORDER` setting names (a dotted path):
a team or budget change is audited without its app importing the one above it.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils.module_loading import import_string


def record(*, actor, action: str, **details: Any):
    """Write one audit row. `actor` is who acted (None: the system, e.g. automatic
    suspension or a management command run without a user), `action` what was done
    ("team.member_added"); the details are `subject` (the person it was done to), `target`
    (what it was done on: a model instance or a short text), `before` and `after`
    (JSON-serialisable values: dicts of the fields that changed)."""
    writer = import_string(settings.STUDIO_AUDIT_RECORDER)
    return writer(actor=actor, action=action, **details)
