"""When a job is polled: by the learned durations of its model and type."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from studio.generations import timing
from studio.generations.models import Generation, State
from studio.generations.timing import Durations, next_poll_delay

from .helpers import make_generation

pytestmark = pytest.mark.django_db


def _running(owner, elapsed: float, now=None, **kw) -> Generation:
    gen = make_generation(owner, **kw)
    gen.state = State.PROCESSING
    # Relative to the `now` the delay is computed for: making the row takes time on a busy
    # machine, and that time would otherwise count as part of the job's age.
    gen.submitted_at = (now or timezone.now()) - timedelta(seconds=elapsed)
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
    # Half of the fastest seen (10 s): no GET before 5 s, then the 5 s of GETs saved
    # (of a 42.5 s median job) spent on a denser poll: every 2 * (1 - 5 / 42.5) s.
    assert next_poll_delay(_running(owner, 0, now), now, spread) == pytest.approx(5.0, abs=0.1)
    assert next_poll_delay(_running(owner, 4, now), now, spread) == pytest.approx(1.765, abs=0.01)
    assert next_poll_delay(_running(owner, 80, now), now, spread) == pytest.approx(1.765, abs=0.01)


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


def test_a_job_never_gets_more_gets_than_a_plain_two_second_poll(owner, task_queue):
    # Known durations would poll it every 1.76 s; but this job was polled every 1.2 s before
    # (it started while something else was learned) and has had its plain poll's share.
    spread = Durations((10.0, 30.0, 55.0, 90.0))
    now = timezone.now()
    gen = _running(owner, 20, now)
    gen.poll_count = 12  # a plain 2 s poll would have sent 10 by now
    assert next_poll_delay(gen, now, spread) == pytest.approx(2.0, abs=0.01)
    # One that saved GETs before (first polled at 5 s) keeps the denser poll.
    gen.poll_count = 4
    assert next_poll_delay(gen, now, spread) == pytest.approx(1.765, abs=0.01)


def test_durations_are_learned_from_the_latest_submitted_not_the_latest_completed(
    owner, task_queue, settings
):
    # A burst of 40 jobs of 10 to 88 s: the 20 completed last are its 20 longest (50 s and
    # more), which would hold the next jobs' first GET back to 25 s. The 20 submitted last
    # are a fair sample of the whole spread.
    base = timezone.now() - timedelta(minutes=10)
    for i in range(40):
        gen = make_generation(owner)
        sent = base + timedelta(seconds=i * 0.1)
        Generation.objects.filter(pk=gen.pk).update(
            state=State.COMPLETED,
            submitted_at=sent,
            completed_at=sent + timedelta(seconds=10 + 2 * ((i * 7) % 40)),
        )
    timing.forget()
    learned = timing.learned("uni-1", "image")
    assert len(learned.samples) == settings.POLL_DURATION_SAMPLES == 20
    assert min(learned.samples) < 15
    assert not learned.predictable
    assert learned.first_poll_after() < 7.5


def test_durations_end_when_the_provider_finished_not_when_the_row_was_stored(owner, task_queue):
    now = timezone.now()
    for _ in range(5):
        gen = make_generation(owner)
        Generation.objects.filter(pk=gen.pk).update(
            state=State.COMPLETED,
            submitted_at=now - timedelta(seconds=44),
            upstream_done_at=now - timedelta(seconds=4),  # seen 2 s late, stored in 2 s
            completed_at=now,
        )
    timing.forget()
    assert timing.learned("uni-1", "image").samples == (40.0,) * 5


def test_a_kind_not_known_yet_is_asked_about_again_sooner(owner, task_queue, monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(timing.time, "monotonic", lambda: clock[0])
    timing.forget()
    assert not timing.learned("uni-1", "image").known
    _finished(owner, 40, n=3)
    clock[0] += timing.UNKNOWN_CACHE_SECONDS + 0.1
    assert timing.learned("uni-1", "image").known
    _finished(owner, 10, n=3)
    clock[0] += timing.UNKNOWN_CACHE_SECONDS + 0.1
    assert min(timing.learned("uni-1", "image").samples) == pytest.approx(40, abs=0.5)
