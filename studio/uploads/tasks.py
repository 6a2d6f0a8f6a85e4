"""The uploads app's own housekeeping, run by django-q2 from the Schedule that migration
0003 creates (so no other app's task has to know about staged uploads)."""

from __future__ import annotations

from . import staging


def purge_stale() -> str:
    """Remove uploads kept for a form that was never resubmitted (older than a day)."""
    purged = staging.purge_stale()
    return f"{purged} stale uploads removed" if purged else "ok"
