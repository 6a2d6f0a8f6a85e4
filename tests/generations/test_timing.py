"""When a job is polled: by the learned durations of its model and type."""

from __future__ import annotations

import math
import random
from datetime import timedelta

import pytest
from django.utils import timezone

from studio.generations import timing
from studio.generations.models import Generation, State
from studio.generations.timing import Durations, next_poll_delay

from .helpers import make_generation

pytestmark = pytest.mark.django_db


def _running(owner, elapsed: float, now=None, **kw) -> Generation:
    gen = make_generation(owner, **{k: v for k, v in kw.items() if k != "poll_count"})
    gen.state = State.PROCESSING
    # Relative to the `now` the delay is computed for: making the row takes time on a busy
    # machine, and that time would otherwise count as part of the job's age.
    now = now or timezone.now()
    gen.submitted_at = now - timedelta(seconds=elapsed)
    # Seen running just now, by its first GET: all it did not ask before is saved.
    gen.last_polled_at = now
    gen.poll_count = kw.get("poll_count", 1 if elapsed else 0)
    return gen


def _finished(owner, seconds: float, n: int = 1, **kw) -> None:
    for _ in range(n):
        gen = make_generation(owner, **kw)
        now = timezone.now()
        Generation.objects.filter(pk=gen.pk).update(
            state=State.COMPLETED,
            submitted_at=now - timedelta(seconds=seconds),
            completed_at=now,
        )


def test_with_nothing_learned_a_job_is_polled_every_two_seconds(owner, task_queue):
    gen = _running(owner, 0)
    assert next_poll_delay(gen, timezone.now()) == pytest.approx(2.0)


def test_a_spread_of_durations_skips_polls_before_the_fastest_job(owner, task_queue):
    spread = Durations((10.0, 30.0, 55.0, 90.0))
    assert not spread.predictable
    now = timezone.now()
    # Half of the fastest seen (10 s): no GET before 5 s; then, with GETs saved, denser
    # than a plain poll: as densely as the savings last for its expected remaining time.
    assert next_poll_delay(_running(owner, 0, now), now, spread) == pytest.approx(5.0, abs=0.1)
    # At 4 s, seen running, 1 GET saved (first polled at 2 s) for its expected 42 s still to
    # go, and the other job's 42.5: 1 / (1/2 + 1/84.5).
    assert 1.9 < next_poll_delay(_running(owner, 4, now), now, spread) < 2.0


def test_a_known_kind_is_never_polled_more_than_a_third_more_often(owner, task_queue):
    slow_start = Durations((30.0, 31.0, 60.0, 90.0))  # start 15 s, median 45.5 s
    assert next_poll_delay(_running(owner, 20), timezone.now(), slow_start) == pytest.approx(1.5)


def test_predictable_durations_wait_until_just_before_the_fastest_then_poll_densely(
    owner, task_queue
):
    steady = Durations((38.0, 40.0, 41.0, 42.0, 39.0, 40.0))
    assert steady.predictable
    now = timezone.now()
    assert next_poll_delay(_running(owner, 0, now), now, steady) == pytest.approx(38 * 0.9, abs=0.1)
    # In the short window where such jobs complete: every 1.2 s instead of 2 s.
    assert next_poll_delay(_running(owner, 37, now), now, steady) == pytest.approx(1.2)


def test_predictable_needs_a_long_median_and_a_tight_spread():
    assert not Durations((10.0, 10.0, 11.0, 10.0, 10.0)).predictable  # median under 30 s
    assert not Durations((40.0, 40.0, 60.0, 20.0, 40.0)).predictable  # spread
    assert not Durations((40.0, 40.0, 40.0)).predictable  # too few


def test_a_job_slower_than_any_seen_backs_off_to_the_maximum(owner, task_queue, settings):
    spread = Durations((10.0, 20.0, 30.0))
    now = timezone.now()
    assert next_poll_delay(_running(owner, 121, now), now, spread) == pytest.approx(2.0, abs=0.1)
    assert next_poll_delay(_running(owner, 600, now), now, spread) == settings.POLL_MAX_SECONDS


def test_durations_are_learned_per_model_and_type_from_completed_rows(owner, task_queue):
    _finished(owner, 40, n=5, model="uni-1")
    _finished(owner, 12, n=3, model="uni-1-max")
    learned = timing.learned("uni-1", "image")
    assert len(learned.samples) == 5
    assert learned.median == pytest.approx(40, abs=0.5)
    assert learned.predictable
    assert timing.learned("uni-1-max", "image").median == pytest.approx(12, abs=0.5)
    assert timing.learned("uni-1", "image_edit").samples == ()


def test_the_rows_most_likely_done_rank_first(owner, task_queue):
    _finished(owner, 40, n=5)
    now = timezone.now()
    young, old = _running(owner, 5), _running(owner, 39)
    assert timing.likelihood_done(old, now) > timing.likelihood_done(young, now)


def test_a_job_with_nothing_saved_in_its_kind_gets_no_more_gets_than_a_plain_poll(
    owner, task_queue
):
    # Known durations would poll it every 1.76 s; but this job was polled every 1.2 s before
    # (it started while something else was learned) and has had its plain poll's share.
    spread = Durations((10.0, 30.0, 55.0, 90.0))
    now = timezone.now()
    gen = _running(owner, 20, now, poll_count=12)  # a plain 2 s poll would have sent 10
    assert next_poll_delay(gen, now, spread) == pytest.approx(2.0, abs=0.01)
    # One that saved GETs before (first polled at 5 s) keeps the denser poll.
    gen.poll_count = 4
    assert next_poll_delay(gen, now, spread) < 1.9


def _job(pk: int, base, model: str = "uni-1") -> Generation:
    # Rows in memory: the pool needs a job's id, kind and counts, not the database.
    return Generation(pk=pk, model=model, type="image", submitted_at=base, poll_count=0)


def _poll_like_the_loop(
    durations: list[float],
    known: Durations | None,
    *,
    lag: float = 0.05,
    monkeypatch,
    prior: float = 0.0,
) -> tuple[list[int], list[float]]:
    """Poll jobs submitted at once, with these durations, as the loop would (a GET, its
    answer `lag` later, the delay asked for then), on a clock of its own; their GETs and
    how late the GET that saw each one done came. With `known` None the kind is learned as
    the loop would learn it: from the wave's own completed jobs (each job's duration taken
    half way between the GETs around its end, as polling.provider_done_at does), asked
    again as often as timing.learned would, with the provider's `prior`. The GET that sees
    a job done tells the pool (timing.seen_done), as polling does."""
    base = timezone.now() - timedelta(hours=1)
    clock = [0.0]
    monkeypatch.setattr(timing.time, "monotonic", lambda: 10_000.0 + clock[0])
    jobs = [_job(i + 1, base) for i in range(len(durations))]
    done: list[float] = []
    asked = [-1e9, Durations(prior=prior)]

    def durations_now() -> Durations:
        if known is not None:
            return known
        cache = timing.CACHE_SECONDS if asked[1].known else timing.UNKNOWN_CACHE_SECONDS
        if clock[0] - asked[0] >= cache:
            asked[:] = [clock[0], Durations(tuple(done[-20:]), prior=prior)]
        return asked[1]

    due = [next_poll_delay(job, base, durations_now()) for job in jobs]
    before = [0.0] * len(jobs)
    gets, seen_late = [0] * len(jobs), [0.0] * len(jobs)
    while any(d is not None for d in due):
        i = min((d, i) for i, d in enumerate(due) if d is not None)[1]
        at, job = due[i], jobs[i]
        clock[0] = at + lag
        job.poll_count += 1
        gets[i] += 1
        job.last_polled_at = base + timedelta(seconds=at)
        if at >= durations[i]:
            due[i], seen_late[i] = None, at - durations[i]
            done.append((before[i] + at) / 2 if before[i] else at)
            if before[i]:
                timing.seen_done(job, base + timedelta(seconds=before[i]))
            continue
        before[i] = at
        answered = base + timedelta(seconds=at + lag)
        due[i] = at + lag + next_poll_delay(job, answered, durations_now())
    return gets, seen_late


def _plain_gets(seconds: float) -> int:
    return math.ceil(seconds / 2.0)


def test_a_fresh_kinds_first_jobs_are_polled_no_more_often_than_a_plain_poll(
    task_queue, monkeypatch
):
    durations = [10.0 + i * 1.6 for i in range(50)]
    gets, _ = _poll_like_the_loop(durations, Durations(), monkeypatch=monkeypatch)
    assert all(g <= _plain_gets(d) for g, d in zip(gets, durations, strict=True))


def test_a_wave_of_a_known_kind_never_gets_more_gets_than_a_plain_poll_in_all(
    task_queue, monkeypatch
):
    # What ten jobs of 10-90 s taught: no GET before 11.4 s.
    spread = Durations((22.8, 26.5, 36.2, 44.3, 51.7, 55.7, 56.2, 62.3, 75.1, 75.9))
    for seed, lag in [(3, 0.0), (4, 0.3), (5, 1.0), (3, 0.05)]:
        timing.forget()
        rng = random.Random(seed)
        durations = [rng.uniform(10, 90) for _ in range(50)]
        gets, late = _poll_like_the_loop(durations, spread, lag=lag, monkeypatch=monkeypatch)
        assert sum(gets) <= sum(_plain_gets(d) for d in durations)
    # ... while the jobs were seen sooner than by a plain poll (uniformly within 2 s of their
    # end, 1.9 s at the 95th percentile), the long ones too, paid for by the short ones.
    assert sorted(late)[round(0.95 * 49)] < 1.75
    long_ones = [s for s, d in zip(late, durations, strict=True) if d > 40]
    assert sum(long_ones) / len(long_ones) < 0.9


def test_a_long_job_is_polled_densely_with_what_short_jobs_saved(task_queue):
    spread = Durations((10.0, 30.0, 55.0, 90.0))
    base = timezone.now() - timedelta(minutes=1)
    long_job = _job(1, base)
    # It has had all its plain poll's GETs: alone, it waits a full plain interval.
    long_job.poll_count, long_job.last_polled_at = 30, base + timedelta(seconds=60)
    now = base + timedelta(seconds=60)
    assert next_poll_delay(long_job, now, spread) == pytest.approx(2.0)
    # Three short jobs were first polled at 6 s, and seen done at 12 s, with 4 GETs each
    # (a plain poll: 6): the two GETs each saved pay for the long job's denser poll.
    for pk in (2, 3, 4):
        short = _job(pk, base)
        short.poll_count, short.last_polled_at = 3, base + timedelta(seconds=10.2)
        next_poll_delay(short, base + timedelta(seconds=10.3), spread)
    assert next_poll_delay(long_job, now, spread) < 1.9
    # Another kind's savings are not its to spend.
    other = _job(5, base, model="uni-1-max")
    other.poll_count, other.last_polled_at = 30, now
    assert next_poll_delay(other, now, spread) == pytest.approx(2.0)


def test_savings_leave_the_pool_after_a_while_debts_do_not(task_queue, monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(timing.time, "monotonic", lambda: clock[0])
    spread = Durations((10.0, 30.0, 55.0, 90.0))
    base = timezone.now() - timedelta(minutes=5)

    def polled(pk: int, seconds: float, gets: int) -> float:
        job = _job(pk, base)
        job.poll_count, job.last_polled_at = gets, base + timedelta(seconds=seconds)
        return next_poll_delay(job, base + timedelta(seconds=seconds), spread)

    def later() -> None:
        clock[0] += timing.POOL_KEEP_SECONDS + timing.POOL_SWEEP_SECONDS + 1

    # One that had more than a plain poll's GETs (from an earlier worker) owes them.
    assert polled(1, 40, 26) == pytest.approx(2.0)  # owes 6
    assert polled(2, 20, 5) == pytest.approx(2.0)  # saved 5: the balance is -1
    assert polled(3, 20, 5) < 2.0  # saved 5 more: 4
    # All three left: the 4 unspent are gone.
    later()
    assert polled(4, 100, 50) == pytest.approx(2.0)  # saved nothing: nothing to spend
    assert polled(5, 100, 48) < 2.0  # saved 2
    # A debt outlives the job that made it.
    later()
    assert polled(6, 40, 26) == pytest.approx(2.0)  # owes 6
    later()
    assert polled(7, 100, 46) == pytest.approx(2.0)  # saved 4: -2 left
    assert polled(8, 100, 47) < 2.0  # saved 3 more: 1


def test_with_the_providers_prior_a_fresh_kinds_first_get_waits_for_it(owner, task_queue):
    fresh = Durations(prior=8.0)
    now = timezone.now()
    # Sent just now: nothing before the provider's documented least ("tens of seconds").
    assert next_poll_delay(_running(owner, 0, now), now, fresh) == pytest.approx(8.0, abs=0.1)
    # What is learned replaces it: half the fastest seen.
    learned = Durations((4.0, 6.0, 9.0), prior=8.0)
    assert next_poll_delay(_running(owner, 0, now), now, learned) == pytest.approx(2.0, abs=0.1)


def test_a_fresh_kind_with_the_providers_prior_never_gets_more_gets_than_a_plain_poll(
    task_queue, monkeypatch
):
    # A fresh database's first wave of 10-90 s jobs, learned as they finish: the GETs not
    # sent before the provider's least (8 s) pay for a denser poll afterwards, spread over
    # the wave, and the wave never gets more GETs than a plain 2 s poll would send it.
    late_all = []
    for seed in (3, 4, 10):
        timing.forget()
        rng = random.Random(seed)
        durations = [rng.uniform(10, 90) for _ in range(50)]
        gets, late = _poll_like_the_loop(durations, None, monkeypatch=monkeypatch, prior=8.0)
        assert sum(gets) <= sum(_plain_gets(d) for d in durations)
        late_all.append(sorted(late)[round(0.95 * 49)])
    # Seen sooner than by the plain poll (1.9 s at the 95th percentile; 1.82-1.98 s here
    # without the prior, on these seeds), the long jobs too.
    assert max(late_all) < 1.8
    assert sum(late_all) / len(late_all) < 1.72


def test_the_prior_is_off_when_the_simulator_answers(settings):
    # The simulator's jobs take a few seconds: a test or a demo must not wait 8 s for each.
    assert settings.SIMULATOR_ENABLED
    assert settings.POLL_PRIOR_SECONDS == {}


def test_the_prior_reads_model_seconds_from_the_environment(monkeypatch):
    from django.core.exceptions import ImproperlyConfigured

    from studio.core.env import env_model_seconds

    monkeypatch.setenv("STUDIO_POLL_PRIOR_SECONDS", "uni-1=6, uni-1-max=12.5")
    assert env_model_seconds("STUDIO_POLL_PRIOR_SECONDS", {}) == {"uni-1": 6.0, "uni-1-max": 12.5}
    monkeypatch.setenv("STUDIO_POLL_PRIOR_SECONDS", "0")
    assert env_model_seconds("STUDIO_POLL_PRIOR_SECONDS", {"uni-1": 8.0}) == {}
    monkeypatch.setenv("STUDIO_POLL_PRIOR_SECONDS", "uni-1")
    with pytest.raises(ImproperlyConfigured):
        env_model_seconds("STUDIO_POLL_PRIOR_SECONDS", {})


def test_a_plain_polls_gets_for_a_job_that_ended_between_two_gets():
    # One every 2 s until one sees it done: a job ending in (3, 5] s got 2 (ended by 4 s) or
    # 3, evenly: 2.5 on average.
    assert timing._plain_gets_between(3.0, 5.0, 2.0) == pytest.approx(2.5)
    assert timing._plain_gets_between(0.5, 4.5, 2.0) == pytest.approx(1.75)
    assert timing._plain_gets_between(2.0, 3.9, 2.0) == pytest.approx(2.0)
    assert timing._plain_gets_between(3.0, 3.0, 2.0) == pytest.approx(2.0)


def test_a_job_seen_done_adds_half_its_likely_saving_beyond_the_sure_one(task_queue):
    spread = Durations((10.0, 30.0, 55.0, 90.0))
    base = timezone.now() - timedelta(minutes=1)
    job = _job(1, base)
    # Seen running at 9 s by its second GET: a plain poll was sure to send it 5 (2 .. 8 s,
    # and one to see it done), it will have had 3: 2 saved.
    job.poll_count, job.last_polled_at = 2, base + timedelta(seconds=9)
    next_poll_delay(job, base + timedelta(seconds=9.05), spread)
    pool = timing._pools[("uni-1", "image")]
    assert pool.balance == pytest.approx(2.0)
    # Seen done at 10.9 s: it ended in (9, 10.9], so a plain poll sent it 5 (by 10 s) or 6,
    # 5.47 on average; half of the 0.47 beyond the sure 5 is counted.
    job.poll_count, job.last_polled_at = 3, base + timedelta(seconds=10.9)
    timing.seen_done(job, base + timedelta(seconds=9))
    assert pool.balance == pytest.approx(2.0 + 0.5 * (0.9 / 1.9), abs=1e-6)


def test_the_answers_own_time_counts_toward_a_denser_interval(owner, task_queue):
    spread = Durations((10.0, 30.0, 55.0, 90.0))
    now = timezone.now()
    quick = _running(owner, 20, now, poll_count=9)
    alone = next_poll_delay(quick, now, spread)
    timing.forget()
    slow = _running(owner, 20, now, poll_count=9)
    slow.last_polled_at = now - timedelta(seconds=0.3)  # its GET took 0.3 s to answer
    slow.submitted_at -= timedelta(seconds=0.3)  # and was sent at the same age
    assert 1.8 < alone < 2.0
    assert next_poll_delay(slow, now, spread) == pytest.approx(alone - 0.3, abs=0.05)
