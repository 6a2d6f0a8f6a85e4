"""When to poll a job next: by what is known of it, so images show up within about 2 s of
the provider finishing them while spending fewer GETs than a plain 2 s poll.

What is known: the time since the job was submitted, and how long recent jobs of the same
model and type took (learned from the completed rows in the database). A job of a known kind
is not polled before half its fastest could have finished (a few samples of a wide spread
rarely hold the fastest); from then on it is polled more often than every
`POLL_DENSE_SECONDS`, as often as the GETs saved allow (below). When its kind is
predictable (a median of 30 s or more, nearly every job within ±20 % of it) the first poll
waits until just before the fastest one, which is where most of the saving is, and from
there it is polled more densely still (PREDICTABLE_DENSE_SHARE). A job running far longer
than any seen so far is polled less and less often, up to `POLL_MAX_SECONDS`.

The denser poll is paid for by GETs saved, pooled per kind: every job of a kind this process
polls (running, or finished within POOL_KEEP_SECONDS) puts in what it has saved against a
plain poll, the GETs a plain `POLL_DENSE_SECONDS` poll was sure to send it by the last time it
was seen running less its own; a job is polled more densely than that only while the pool
holds a GET, so short jobs pay for the long ones' denser poll, and the kind's jobs together
never get more GETs than the plain poll would have sent them. The pool is spent evenly: at
the interval at which every running job of the kind, polled at it until it is expected to be
done (by the samples longer than its age), would spend what the pool holds, down to
KNOWN_DENSE_FLOOR. While a job runs, its saving is counted at the least a plain poll was sure
to send it; once a GET sees it done, half of what that poll likely sent beyond (the job ended
somewhere between its last two GETs) is added (seen_done).

A fresh database's first jobs of a kind: with nothing learned, the provider's documentation
is the prior (settings.POLL_PRIOR_SECONDS, "tens of seconds to a couple of minutes"): no GET
before its least, and what a plain poll would have sent by then goes into the pool, spent as
above with each job expected to end anywhere up to POLL_TAIL_AFTER_SECONDS. Without a prior
(the simulator) they are polled as the plain poll would; so are the jobs a newly started
process takes over, until its pool holds their savings again (the pool is in memory, in the
process that polls). A job done before the prior's first GET is learned as lasting until
that GET (the API gives no time of completion), an overestimate that the next jobs correct.
"""

from __future__ import annotations

import math
import statistics
import threading
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
# A known kind of job, once worth polling, is polled up to this much more densely (when its
# pool of GETs saved allows it).
KNOWN_DENSE_FLOOR = 0.75
# How long a process trusts what it learned before asking the database again; a kind not
# known yet is asked about sooner, so a new kind's first jobs teach the ones right after.
CACHE_SECONDS = 30.0
UNKNOWN_CACHE_SECONDS = 5.0
# The share of a finished job's likely, not sure, saving that is counted (seen_done).
SEEN_DONE_SHARE = 0.5
# How long a job's saving stays in its kind's pool after its last poll: long enough for the
# longest jobs of a wave to spend what its short ones saved.
POOL_KEEP_SECONDS = 120.0
# How often the pools are swept of jobs not polled for that long.
POOL_SWEEP_SECONDS = 5.0
# How long the running jobs' expected remaining time is reused (summed over every running
# job of a kind: a 500-job burst must not pay it for each GET).
POOL_REMAINING_SECONDS = 1.0


@dataclass(frozen=True)
class Durations:
    """Seconds from submit to completion of recent jobs of one model and type."""

    samples: tuple[float, ...] = field(default_factory=tuple)
    # What the provider documents for the kind (settings.POLL_PRIOR_SECONDS): no GET before
    # this many seconds while nothing is learned; 0 for none.
    prior: float = 0.0

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
            return self.prior
        lead = PREDICTABLE_LEAD if self.predictable else UNPREDICTABLE_LEAD
        return min(self.samples) * lead

    def expected_remaining(self, elapsed: float, least: float) -> float:
        """Seconds a job of this kind running for `elapsed` is expected to run still (the
        mean of the longer samples; `least` when none is longer). With a prior and no longer
        sample (nothing learned yet, or the samples are a fresh wave's first, shortest,
        jobs), the provider's word: it ends anywhere up to "a couple of minutes"
        (POLL_TAIL_AFTER_SECONDS), half way on average."""
        longer = [s - elapsed for s in self.samples if s > elapsed]
        if longer:
            return max(least, statistics.fmean(longer))
        if self.prior:
            return max(least, (settings.POLL_TAIL_AFTER_SECONDS - elapsed) / 2)
        return least

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
    found = Durations(
        tuple((done - sent).total_seconds() for sent, done in rows),
        prior=settings.POLL_PRIOR_SECONDS.get(model, 0.0),
    )
    _cache[key] = (time.monotonic(), found)
    return found


def forget() -> None:
    """Drop what this process learned (tests; a new model's first jobs)."""
    _cache.clear()
    with _pools_lock:
        _pools.clear()
        _swept[0] = 0.0


@dataclass
class _Job:
    noted: float  # when its saving was last noted (time.monotonic)
    saving: float
    submitted: datetime
    due: float  # when its next GET is due (time.monotonic)


class _Pool:
    """The GETs the recent jobs of one kind saved against a plain poll, in this process.

    A job's saving is the GETs a plain poll was sure to have sent it by the time it was last
    seen running (that poll sends one every POLL_DENSE_SECONDS until one sees it done, so at
    least floor(seen / dense) + 1 in all) less the GETs it has had, the one that will see it
    done aside: negative once it has spent more. The balance is their sum, plus what jobs
    that left added. A job whose last poll is older than POOL_KEEP_SECONDS (it finished, or
    another process polls it) leaves: what it saved and no one spent goes with it, what it
    owed stays until later savings repay it.
    """

    def __init__(self) -> None:
        self.jobs: dict[int, _Job] = {}
        self.live = 0.0  # the sum of the jobs' savings
        self.left = 0.0  # what the jobs that left added (lent to live jobs, or owed)
        # The seconds of polling the running jobs are expected to need still (cached).
        self.remaining = (0.0, 0.0)  # (computed at, seconds)

    @property
    def balance(self) -> float:
        return self.live + self.left

    def note(self, job: int, saving: float, submitted: datetime, at: float) -> None:
        before = self.jobs[job].saving if job in self.jobs else 0
        self.jobs[job] = _Job(at, saving, submitted, at)
        self.live += saving - before

    def sweep(self, at: float) -> None:
        for job, entry in list(self.jobs.items()):
            if at - entry.noted > POOL_KEEP_SECONDS:
                # Unspent: no more than the balance; the rest was lent to jobs still here.
                unspent = min(max(entry.saving, 0), max(self.balance, 0))
                del self.jobs[job]
                self.live -= entry.saving
                self.left += entry.saving - unspent

    def interval(self, durations: Durations, now: datetime, at: float, dense: float) -> float:
        """The interval at which the running jobs, all polled at it, would spend the balance
        by the time they are expected to be done: the saving spread evenly, so that the
        longest jobs of a wave are polled as densely as the first ones."""
        computed, remaining = self.remaining
        if at - computed > POOL_REMAINING_SECONDS:
            remaining = sum(
                durations.expected_remaining((now - job.submitted).total_seconds(), dense)
                # A job past its due time by a full interval is done (or polled elsewhere).
                for job in self.jobs.values()
                if at <= job.due + dense
            )
            self.remaining = (at, remaining)
        if remaining <= 0:
            return dense
        return 1.0 / (1.0 / dense + max(self.balance, 0) / remaining)


_pools: dict[tuple[str, str], _Pool] = {}
_pools_lock = threading.Lock()
_swept = [0.0]


def next_poll_delay(gen: Generation, now: datetime, durations: Durations | None = None) -> float:
    """Seconds until `gen` is next worth a GET (called after each answer that leaves it in
    flight). A delay under POLL_DENSE_SECONDS is paid for from its kind's pool of GETs saved
    (see _Pool); with none in it the next GET waits as a plain poll's would, a full interval
    from now (after this GET's answer: its own time counts too)."""
    if durations is None:
        durations = learned(gen.model, gen.type)
    dense = settings.POLL_DENSE_SECONDS
    if gen.submitted_at is None:
        return dense
    elapsed = (now - gen.submitted_at).total_seconds()
    delay = _delay(durations, elapsed, dense)
    seen = 0.0
    if gen.last_polled_at is not None:
        seen = max(0.0, (gen.last_polled_at - gen.submitted_at).total_seconds())
    saving = math.floor(seen / dense) - gen.poll_count
    at = time.monotonic()
    with _pools_lock:
        if at - _swept[0] > POOL_SWEEP_SECONDS:
            _swept[0] = at
            for each in _pools.values():
                each.sweep(at)
        pool = _pools.setdefault((gen.model, gen.type), _Pool())
        key = gen.pk if gen.pk is not None else -id(gen)
        pool.note(key, saving, gen.submitted_at, at)
        if delay < dense:
            if pool.balance < 1:
                delay = dense
            elif not durations.predictable:
                # Known, not predictable: as densely as the pool can keep up for every
                # running job of the kind, up to KNOWN_DENSE_FLOOR.
                # The interval is from one GET to the next; this one's answer took some
                # of it already.
                answered = 0.0
                if gen.last_polled_at is not None:
                    answered = min(max((now - gen.last_polled_at).total_seconds(), 0.0), 1.0)
                delay = max(
                    dense * KNOWN_DENSE_FLOOR,
                    pool.interval(durations, now, at, dense) - answered,
                )
        pool.jobs[key].due = at + delay
    return delay


def seen_done(gen: Generation, previous_poll: datetime | None) -> None:
    """A GET found `gen` done (completed or failed): its saving is now what a plain poll
    would have sent it, on average over the moments between the GET that last saw it
    running (`previous_poll`) and this one, less its own GETs. While it ran it was counted
    at the least a plain poll was sure to send (about half a GET a job less), which left
    that much of the pool unspent."""
    if gen.submitted_at is None or gen.last_polled_at is None or previous_poll is None:
        return
    dense = settings.POLL_DENSE_SECONDS
    ran = max(0.0, (previous_poll - gen.submitted_at).total_seconds())
    seen = max(ran, (gen.last_polled_at - gen.submitted_at).total_seconds())
    sure = math.floor(ran / dense) + 1
    # Half of what is likely beyond the sure part: the mean alone, summed over a wave,
    # came out a GET or two over the plain poll's total now and then.
    saving = sure + SEEN_DONE_SHARE * (_plain_gets_between(ran, seen, dense) - sure)
    saving -= gen.poll_count
    key = gen.pk if gen.pk is not None else -id(gen)
    with _pools_lock:
        pool = _pools.get((gen.model, gen.type))
        if pool is not None and key in pool.jobs:
            entry = pool.jobs[key]
            pool.note(key, max(saving, entry.saving), gen.submitted_at, time.monotonic())


def _plain_gets_between(ran: float, seen: float, dense: float) -> float:
    """The GETs a plain poll (one every `dense` seconds from the submit, until one sees the
    job done) sends a job that ended at a moment spread evenly over (ran, seen]: the mean
    of ceil(end / dense) there."""
    least = math.floor(ran / dense) + 1
    if seen - ran < 1e-9:
        return float(least)
    # ceil(end / dense) is `least` up to the next multiple of dense, then one more for each.
    total, start, count = 0.0, ran, least
    while start < seen:
        stop = min(seen, (count) * dense)
        total += (stop - start) * count
        start, count = stop, count + 1
    return total / (seen - ran)


def _delay(durations: Durations, elapsed: float, dense: float) -> float:
    """The shape of a job's polling by what is known of its kind; a delay under `dense` is
    the densest worth paying for (next_poll_delay decides what is paid)."""
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
        return dense * KNOWN_DENSE_FLOOR
    if not durations.known and durations.prior:
        # Past the provider's documented least: the GETs saved before it pay for a
        # denser poll (next_poll_delay spends them).
        return dense * KNOWN_DENSE_FLOOR
    return dense


def likelihood_done(gen: Generation, now: datetime) -> float:
    """How far through its expected time a job is (higher: more likely finished), to
    order the polls when the GET budget cannot serve every due row at once."""
    if gen.submitted_at is None:
        return 0.0
    expected = learned(gen.model, gen.type).median or settings.POLL_DENSE_SECONDS
    return (now - gen.submitted_at).total_seconds() / max(expected, 0.1)
