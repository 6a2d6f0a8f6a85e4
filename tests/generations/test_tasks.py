"""The django-q2 entry points: a task run twice, the polling loop's lease and turns, and
the watchdog that re-drives what lost its task."""

from __future__ import annotations

from datetime import timedelta

import pytest
import responses
from django.db.models import Q
from django.utils import timezone

from studio.generations import pipeline, tasks, transitions
from studio.generations.models import Generation, PollLease, State

from .helpers import make_generation, upstream_generation
from .pipeline_helpers import API, make_due, submitted

pytestmark = pytest.mark.django_db(transaction=True)


def test_task_run_twice_posts_once(owner, task_queue, real_api):
    gen = make_generation(owner)
    with responses.RequestsMock() as rsps:
        rsps.post(f"{API}/generations", json=upstream_generation(), status=201)
        tasks.submit(gen.pk)
        assert tasks.submit(gen.pk) == "not claimable"
        assert len(rsps.calls) == 1


def test_poll_loop_lease_allows_one_loop(owner, task_queue, real_api):
    assert PollLease.acquire("a")
    assert not PollLease.acquire("b")
    assert tasks.poll_loop("b") == "lease held by another loop"
    PollLease.release("a")
    assert PollLease.acquire("b")


def test_the_lease_is_renewed_by_its_holder_and_taken_over_once_lapsed(db):
    assert PollLease.acquire("a")
    first = PollLease.objects.get().expires_at
    assert PollLease.acquire("a")  # renewing
    assert PollLease.objects.get().expires_at >= first
    PollLease.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert PollLease.acquire("b")
    PollLease.release("a")  # no longer the holder: nothing changes
    assert PollLease.objects.get().holder == "b"


def test_poll_loop_goes_idle_when_nothing_is_in_flight(owner, task_queue):
    assert pipeline.ensure_poller()
    token = task_queue.calls[-1][1][0]
    task_queue.calls.clear()
    assert tasks.poll_loop(token) == "idle"
    assert task_queue.calls == []
    assert PollLease.objects.get().holder == ""


def test_lost_poll_task_is_redriven_by_watchdog(owner, task_queue, real_api):
    with responses.RequestsMock() as rsps:
        gen = submitted(owner, task_queue, rsps)
        # The loop's task vanished (Redis broker crash): its lease lapses.
        task_queue.calls.clear()
        PollLease.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
        assert "poller restarted" in tasks.watchdog()
        assert task_queue.names() == ["poll_loop"]
        rsps.get(f"{API}/generations/up-1", json=upstream_generation(state="processing"))
        make_due(gen)
        task_queue.run_all(max_steps=1)
    gen.refresh_from_db()
    assert gen.state == State.PROCESSING


def test_lost_submit_task_is_redriven_by_watchdog(owner, task_queue, real_api):
    gen = make_generation(owner)
    task_queue.calls.clear()  # the submit task was lost
    Generation.objects.filter(pk=gen.pk).update(created_at=timezone.now() - timedelta(minutes=2))
    tasks.watchdog()
    with responses.RequestsMock() as rsps:
        rsps.post(f"{API}/generations", json=upstream_generation(), status=201)
        task_queue.run_all(max_steps=1)
        assert len(rsps.calls) == 1
    gen.refresh_from_db()
    assert gen.state == State.QUEUED


def test_stuck_claim_fails_as_interrupted(owner, task_queue):
    gen = make_generation(owner)
    Generation.objects.filter(pk=gen.pk).update(
        submit_claimed_at=timezone.now() - timedelta(minutes=10)
    )
    tasks.watchdog()
    gen.refresh_from_db()
    assert gen.failure_code == "submit_interrupted"


def test_job_running_far_too_long_times_out(owner, task_queue, real_api):
    with responses.RequestsMock() as rsps:
        gen = submitted(owner, task_queue, rsps)
    Generation.objects.filter(pk=gen.pk).update(created_at=timezone.now() - timedelta(hours=2))
    tasks.watchdog()
    gen.refresh_from_db()
    assert gen.failure_code == "timed_out"


def test_a_watchdog_that_loses_the_race_fails_nothing_again(owner, task_queue, caplog):
    """Two workers' watchdogs both list a stuck row; the claim lets one of them fail it."""
    gen = make_generation(owner)
    Generation.objects.filter(pk=gen.pk).update(
        submit_claimed_at=timezone.now() - timedelta(minutes=10)
    )
    stuck = Q(pk=gen.pk, state=State.PENDING)
    first, second = Generation.objects.get(pk=gen.pk), Generation.objects.get(pk=gen.pk)
    assert transitions.fail(first, "submit_interrupted", "first", stuck)
    caplog.clear()
    assert not transitions.fail(second, "submit_interrupted", "second", stuck)
    gen.refresh_from_db()
    assert gen.failure_reason == "first"
    assert [h["state"] for h in gen.history].count(State.FAILED) == 1
    assert "second" not in caplog.text
