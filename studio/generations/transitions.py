"""The job state machine, enforced: every write of a Generation row's pipeline columns
(its state, submit claim, upstream id, outputs and the polling bookkeeping) is one
conditional UPDATE naming what the writer read.

A writer reads a row, works (a POST, a GET, a download: seconds, sometimes minutes), then
writes what it learnt. Meanwhile another writer may have moved the row (the watchdog failed
it, another download completed it, a suspension failed it). So `write(gen, expect)` applies
only if the row still matches `expect` and is not final; otherwise it changes nothing and
answers False, and the writer drops its work (and deletes any file it wrote). A final state
(`completed`, `failed`) is never left: Retry makes a new generation.

Each write runs in its own transaction with the row locked (`SELECT … FOR UPDATE`, then the
UPDATE; SQLite's IMMEDIATE transactions serialise the same way), so the state it replaces is
known exactly. When the state changes, every callable named in `STUDIO_TRANSITION_HOOKS` is
called inside that transaction as `hook(generation, old_state, new_state)`: an outbox row a
hook makes commits with the transition or not at all, and a hook that raises undoes the
transition (the writer sees the exception). Higher apps (webhooks, metrics) learn of each
transition this way without the pipeline importing them.

`expect` names what the writer read; the usual ones are below:
- `claimed(at)`: the pending row whose submit this writer claimed at `at` (sending.py);
- `AT_PROVIDER_ROW`: a job the provider is running (a poll's answer, a download);
- `UNSENT`: saved and not claimed (a suspension failing what its author had not sent).
A `Fence` adds "and the polling loop's lease is still mine" (see PollLease.fence).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, Q
from django.utils import timezone
from django.utils.module_loading import import_string

from .models import AT_PROVIDER, FINAL, PIPELINE_FIELDS, UNSENT, Generation, PollLease, State

log = logging.getLogger("studio.generations")

# A job the provider is running (sent and accepted, not final).
AT_PROVIDER_ROW = Q(state__in=AT_PROVIDER)
NOT_FINAL = ~Q(state__in=FINAL)

Hook = Callable[[Generation, str, str], None]


def claimed(at: datetime | None) -> Q:
    """The pending row whose submit was claimed at `at` and has no upstream id yet."""
    return Q(state=State.PENDING, submit_claimed_at=at, upstream_id="")


@dataclass(frozen=True)
class Fence:
    """The polling loop's fencing number: a write guarded by it applies only while the
    lease named `name` still carries `number`. Every takeover of the lease raises the
    number, so a loop that was paused or slow past its lease can change nothing."""

    number: int
    name: str = PollLease.POLLER

    def q(self) -> Q:
        return Q(Exists(PollLease.objects.filter(name=self.name, fence=self.number)))

    def holds(self) -> bool:
        return PollLease.objects.filter(name=self.name, fence=self.number).exists()


class Lost(Exception):
    """Raised inside a caller's transaction when its write lost (to roll back its work)."""


@cache
def _hooks(paths: tuple[str, ...]) -> list[Hook]:
    return [import_string(path) for path in paths]


def hooks() -> list[Hook]:
    return _hooks(tuple(getattr(settings, "STUDIO_TRANSITION_HOOKS", ()) or ()))


def write(
    gen: Generation,
    expect: Q,
    *,
    fence: Fence | None = None,
    before: Callable[[], None] | None = None,
) -> bool:
    """Write `gen`'s pipeline columns (PIPELINE_FIELDS, as set in memory) if its row still
    matches `expect` and is not final (and `fence` still holds). False: the row moved on,
    nothing was written, `before` did not run.

    `before` runs under the row's lock in the same transaction, just before the UPDATE
    (the completion replaces the row's outputs there); if it raises, nothing is written.
    """
    cond = Q(pk=gen.pk) & NOT_FINAL & expect
    if fence is not None:
        cond &= fence.q()
    now = timezone.now()
    values = {name: getattr(gen, name) for name in PIPELINE_FIELDS}
    values["updated_at"] = now
    if before is None and Generation.objects.filter(cond, state=gen.state).update(**values):
        # The row was in the state written (most polls: still running), so nothing changes
        # state and no hook is owed: one conditional UPDATE, no transaction and row lock
        # (four statements, and on SQLite the write lock held across them, for every poll
        # of every running job, with the downloads' writes waiting behind them).
        gen.updated_at = now
        return True
    with transaction.atomic():
        rows = Generation.objects.filter(cond)
        old = rows.select_for_update().values_list("state", flat=True).first()
        if old is None:
            log.info("generation %s: a stale write to %s was dropped", gen.pk, gen.state)
            return False
        if before is not None:
            before()
        Generation.objects.filter(pk=gen.pk).update(**values)
        gen.updated_at = now
        if old != gen.state:
            for hook in hooks():
                hook(gen, old, gen.state)
    if gen.state == State.FAILED and old != gen.state:
        log.info("generation %s failed: %s: %s", gen.pk, gen.failure_code, gen.failure_reason)
    return True


def touch(generation_id: int, expect: Q, *, fence: Fence | None = None, **columns) -> bool:
    """Set bookkeeping `columns` (never the state) on a row that still matches `expect`
    and is not final: one UPDATE, no hooks (no state changes)."""
    assert "state" not in columns
    cond = Q(pk=generation_id) & NOT_FINAL & expect
    if fence is not None:
        cond &= fence.q()
    return bool(Generation.objects.filter(cond).update(updated_at=timezone.now(), **columns))


def claim_submit(generation_id: int) -> bool:
    """Claim an unsent row for its one POST (call inside the transaction that spends the
    POST budget). The UPDATE's row count decides: of two workers that both saw the row
    claimable, only one claims it."""
    return touch(
        generation_id,
        UNSENT,
        submit_claimed_at=timezone.now(),
        submit_attempts=F("submit_attempts") + 1,
    )


def fail(gen: Generation, code: str, reason: str, expect: Q, *, fence: Fence | None = None) -> bool:
    """Fail the row with `code` and `reason` if it still matches `expect`."""
    gen.fail(code, reason)
    return write(gen, expect, fence=fence)


def fail_where(still: Q, code: str, reason: str, *, pks=None) -> list[int]:
    """Fail every row that matches `still`, each read fresh and failed under its lock, so
    a row that moved meanwhile (a poll's answer, another worker's watchdog) is skipped."""
    candidates = Generation.objects.filter(still).filter(NOT_FINAL)
    if pks is not None:
        candidates = candidates.filter(pk__in=pks)
    failed = []
    for pk in candidates.values_list("pk", flat=True):
        gen = Generation.objects.filter(pk=pk).first()
        if gen is not None and fail(gen, code, reason, still & Q(state=gen.state)):
            failed.append(pk)
    return failed
