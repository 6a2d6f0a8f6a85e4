"""When to poll a job next: by what is known of it, so images show up within about 2 s of
the provider finishing them while spending fewer GETs than a plain 2 s poll.

What is known: the time since the job was submitted, and how long recent jobs of the same
model and type took (learned from the completed rows in the database). A job of a known kind
is not polled before half its fastest could have finished (a few samples of a wide spread
rarely hold the fastest); from then on it is polled a little more often than every
`POLL_DENSE_SECONDS`, spending the GETs saved before (on average no more than a plain poll).
When its kind is predictable (a median of 30 s or more, nearly every job within ±20 % of it)
the first poll waits until just before the fastest one, which is where most of the saving is,
and from there it is polled more densely still (PREDICTABLE_DENSE_SHARE). A job running far
longer than any seen so far is polled less and less often, up to `POLL_MAX_SECONDS`.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db.models.functions import Coalesce

from .models import Generation, State

# Samples needed before the durations of a kind are trusted at all.
MIN_SAMPLES = 3
# ... and before they may be called predictable.
PREDICTABLE_MIN_SAMPLES = 5
PREDICTABLE_MIN_MEDIAN = 30.0
PREDICTABLE_SPREAD = 0.2
# Share of the samples that must lie within the spread (one odd job must not undo it).
PREDICTABLE_SHARE = 0.9
# How much earlier than the fastest job seen the first poll goes, by kind of knowledge: a
# few samples of a wide spread rarely include its fastest jobs, so only half of it.
UNPREDICTABLE_LEAD = 0.5
PREDICTABLE_LEAD = 0.9
# Within that window, a predictable job is polled this much more often than
# POLL_DENSE_SECONDS: about 0.2 GET per second of a 40 s job instead of 0.14.
PREDICTABLE_DENSE_SHARE = 0.6
# A known kind of job, once worth polling, is polled up to this much more densely.
KNOWN_DENSE_FLOOR = 0.75
# How long a process trusts what it learned before asking the database again; a kind not
# known yet is asked about sooner, so a new kind's first jobs teach the ones right after.
CACHE_SECONDS = 30.0
UNKNOWN_CACHE_SECONDS = 5.0


@dataclass(frozen=True)
class Durations:
    """Seconds from submit to completion of recent jobs of one model and type."""

    samples: tuple[float, ...] = field(default_factory=tuple)

    @property
    def known(self) -> bool:
        return len(self.samples) >= MIN_SAMPLES

    @property
    def median(self) -> float:
        return statistics.median(self.samples) if self.samples else 0.0

    @property
    def predictable(self) -> bool:
        if len(self.samples) < PREDICTABLE_MIN_SAMPLES or self.median < PREDICTABLE_MIN_MEDIAN:
            return False
        near = [s for s in self.samples if abs(s - self.median) <= PREDICTABLE_SPREAD * self.median]
        return len(near) >= PREDICTABLE_SHARE * len(self.samples)

    def first_poll_after(self) -> float:
        """Seconds after submit before which a job of this kind is not worth a GET."""
        if not self.known:
            return 0.0
        lead = PREDICTABLE_LEAD if self.predictable else UNPREDICTABLE_LEAD
        return min(self.samples) * lead

    def tail_after(self) -> float:
        """Seconds after submit from which a job counts as unusually long."""
        longest = max(self.samples) if self.samples else 0.0
        return max(longest * 1.2, settings.POLL_TAIL_AFTER_SECONDS)


_cache: dict[tuple[str, str], tuple[float, Durations]] = {}


def learned(model: str, type_: str) -> Durations:
    """What recent completed rows say about jobs of this model and type."""
    key = (model, type_)
    hit = _cache.get(key)
    if hit and time.monotonic() - hit[0] < (
        CACHE_SECONDS if hit[1].known else UNKNOWN_CACHE_SECONDS
    ):
        return hit[1]
    rows = (
        Generation.objects.filter(
            model=model,
            type=type_,
            state=State.COMPLETED,
            submitted_at__isnull=False,
            completed_at__isnull=False,
        )
        # The most recently *submitted* ones: after a burst, the most recently completed
        # are its longest jobs, and learning from them alone would hold the next jobs'
        # first GET back until well past the fast ones had finished.
        .order_by("-submitted_at")
        # When the provider finished (its own time, or the middle of the two GETs around
        # it), not when the row was stored: that adds the polling's lag and the download,
        # and a predictable kind's first GET (just before its fastest) would come late.
        .values_list("submitted_at", Coalesce("upstream_done_at", "completed_at"))[
            : settings.POLL_DURATION_SAMPLES
        ]
    )
    found = Durations(tuple((done - sent).total_seconds() for sent, done in rows))
    _cache[key] = (time.monotonic(), found)
    return found


def forget() -> None:
    """Drop what this process learned (tests; a new model's first jobs)."""
    _cache.clear()


def next_poll_delay(gen: Generation, now: datetime, durations: Durations | None = None) -> float:
    """Seconds until `gen` is next worth a GET. The denser poll is paid for by GETs not sent
    before; a job that did not save them (it was submitted before its kind was known, or
    what was learned changed under it) is polled as a plain POLL_DENSE_SECONDS poll would
    be, so no job spends more GETs than that poll."""
    if durations is None:
        durations = learned(gen.model, gen.type)
    dense = settings.POLL_DENSE_SECONDS
    if gen.submitted_at is None:
        return dense
    elapsed = (now - gen.submitted_at).total_seconds()
    delay = _delay(durations, elapsed, dense)
    # GETs a plain poll would have sent by now, less this job's: what it has saved to spend.
    # Without one to spend, the next GET waits as a plain poll's would (a full interval
    # from now, after this GET's answer: its own time counts too).
    saved = elapsed / dense - gen.poll_count
    return delay if saved >= 1 else max(delay, dense)


def _delay(durations: Durations, elapsed: float, dense: float) -> float:
    start = durations.first_poll_after()
    if elapsed < start - dense:
        return start - elapsed
    tail = durations.tail_after()
    if elapsed > tail:
        # Slower than anything seen: the wait grows by a second every 30 s of overrun.
        return min(settings.POLL_MAX_SECONDS, dense + (elapsed - tail) / 30.0)
    if durations.predictable:
        # The window where a predictable job completes is short, and the GETs saved before
        # it pay for polling it more densely.
        return dense * PREDICTABLE_DENSE_SHARE
    if durations.known and durations.median > start:
        # The GETs not sent before `start` are spent on a denser poll after it: a job of the
        # median's length gets as many GETs as a plain POLL_DENSE_SECONDS poll from submit.
        return dense * max(KNOWN_DENSE_FLOOR, 1.0 - start / durations.median)
    return dense


def likelihood_done(gen: Generation, now: datetime) -> float:
    """How far through its expected time a job is (higher: more likely finished), to
    order the polls when the GET budget cannot serve every due row at once."""
    if gen.submitted_at is None:
        return 0.0
    expected = learned(gen.model, gen.type).median or settings.POLL_DENSE_SECONDS
    return (now - gen.submitted_at).total_seconds() / max(expected, 0.1)
