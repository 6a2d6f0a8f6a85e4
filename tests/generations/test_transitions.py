"""The state machine, enforced (generations/transitions.py): every writer names what it
read, a writer that lost drops its work and its files, a final state is never left, and
each transition calls the hooks the settings name. Each race is played in order, in one
thread, the way two workers interleave it."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
import responses
from django.db import connection
from django.db.models import Q
from django.utils import timezone

from studio.generations import pipeline, transitions
from studio.generations.models import Generation, PollLease, State
from studio.moderation import suspension
from tests.images import image_bytes

from .helpers import make_generation, upstream_generation
from .pipeline_helpers import API, OUT_URL, make_due, submitted

pytestmark = pytest.mark.django_db(transaction=True)

COMPLETED_ANSWER = upstream_generation(
    state="completed", output=[{"type": "image", "url": OUT_URL}]
)


def media_files(settings) -> list[str]:
    root = Path(settings.MEDIA_ROOT)
    return sorted(
        str(p.relative_to(root)) for p in root.rglob("*") if p.is_file() and "inputs" not in p.parts
    )


def row_files(gen) -> list[str]:
    return sorted(n for o in gen.outputs.all() for n in (o.file.name, o.thumbnail.name))


def completed_by_download(rsps, gen) -> None:
    rsps.get(OUT_URL, body=image_bytes("PNG"), content_type="image/png")
    assert pipeline.fetch_outputs(gen.pk, [{"url": OUT_URL}]) == State.COMPLETED


# --- case 1: a second worker's poll must not undo a completion --------------------------


def test_a_stale_poll_after_a_completion_changes_nothing(owner, task_queue, real_api, settings):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        gen = submitted(owner, task_queue, rsps)
        # A second worker starts: every in-flight row is due, this one too, and its loop
        # reads the row (still queued) while the first download runs.
        pipeline.redrive(at_start=True)
        stale = Generation.objects.get(pk=gen.pk)
        completed_by_download(rsps, gen)
        # Its GET says completed; the URL has expired by the time it downloads.
        rsps.get(f"{API}/generations/up-1", json=COMPLETED_ANSWER)
        rsps.replace(responses.GET, OUT_URL, status=403, body="expired")
        pipeline.poll_one(stale)
    gen.refresh_from_db()
    assert gen.state == State.COMPLETED
    assert gen.failure_code == ""
    assert gen.outputs.count() == 1
    assert media_files(settings) == row_files(gen)
    assert [h["state"] for h in gen.history] == ["pending", "queued", "completed"]


def test_a_job_being_downloaded_is_not_handed_off_again_when_a_worker_starts(
    owner, task_queue, real_api
):
    handed = []
    with responses.RequestsMock() as rsps:
        gen = submitted(owner, task_queue, rsps)
        rsps.get(f"{API}/generations/up-1", json=COMPLETED_ANSWER)
        make_due(gen)
        pipeline.poll_due(handoff=lambda fn, *args: handed.append((fn, args)))
        pipeline.redrive(at_start=True)
        assert pipeline.poll_due(handoff=lambda fn, *args: handed.append((fn, args))) == 0
        assert len(handed) == 1
        rsps.get(OUT_URL, body=image_bytes("PNG"), content_type="image/png")
        fn, args = handed[0]
        assert fn(*args) == State.COMPLETED


def test_a_second_download_that_loses_deletes_its_files(owner, task_queue, real_api, settings):
    with responses.RequestsMock() as rsps:
        gen = submitted(owner, task_queue, rsps)
        first = Generation.objects.get(pk=gen.pk)
        second = Generation.objects.get(pk=gen.pk)
        rsps.get(OUT_URL, body=image_bytes("PNG"), content_type="image/png")
        assert pipeline.complete(first, [{"url": OUT_URL}], transitions.AT_PROVIDER_ROW)
        assert not pipeline.complete(second, [{"url": OUT_URL}], transitions.AT_PROVIDER_ROW)
    gen.refresh_from_db()
    assert gen.outputs.count() == 1
    assert media_files(settings) == row_files(gen)


# --- case 2: the watchdog's failure stands ----------------------------------------------


@pytest.mark.parametrize("answer", ["processing", "completed"])
def test_a_poll_in_flight_does_not_undo_the_watchdogs_failure(
    owner, task_queue, real_api, settings, answer
):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        gen = submitted(owner, task_queue, rsps)
        polling = Generation.objects.get(pk=gen.pk)
        Generation.objects.filter(pk=gen.pk).update(created_at=timezone.now() - timedelta(hours=2))
        pipeline.redrive()  # the watchdog gives up on it while the GET is out
        body = COMPLETED_ANSWER if answer == "completed" else upstream_generation(state=answer)
        rsps.get(f"{API}/generations/up-1", json=body)
        rsps.get(OUT_URL, body=image_bytes("PNG"), content_type="image/png")
        pipeline.poll_one(polling)
    gen.refresh_from_db()
    assert (gen.state, gen.failure_code) == (State.FAILED, "timed_out")
    assert gen.outputs.count() == 0
    assert media_files(settings) == []


# --- case 3: a late 201 after submit_interrupted ----------------------------------------


def test_a_late_accept_does_not_revive_an_interrupted_submit(owner, task_queue, real_api, settings):
    gen = make_generation(owner)
    posts = []

    def answer(request):
        posts.append(request)
        # The POST outlived STUCK_SUBMIT_SECONDS: the watchdog fails the row meanwhile.
        settings.STUCK_SUBMIT_SECONDS = 0
        pipeline.redrive()
        return 201, {"Content-Type": "application/json"}, json.dumps(upstream_generation())

    with responses.RequestsMock() as rsps:
        rsps.add_callback(responses.POST, f"{API}/generations", callback=answer)
        assert pipeline.submit(gen.pk) == "accepted too late"
        # Nothing sends it again: the row is failed, not pending.
        assert pipeline.submit(gen.pk) == "not claimable"
    gen.refresh_from_db()
    assert (gen.state, gen.failure_code) == (State.FAILED, "submit_interrupted")
    assert gen.upstream_id == ""
    assert len(posts) == 1
    assert gen.retryable


# --- case 4: suspension checked at the POST, under the claim ----------------------------


def test_a_job_held_by_a_429_is_not_sent_after_its_author_is_suspended(owner, task_queue, real_api):
    gen = make_generation(owner)
    posts = []

    def refused(request):
        posts.append(request)
        # Suspended while this POST is out: the claimed row is skipped by fail_pending.
        suspension.suspend(user=owner, by=None, reason="spam")
        return 429, {"Retry-After": "0"}, "{}"

    with responses.RequestsMock() as rsps:
        rsps.add_callback(responses.POST, f"{API}/generations", callback=refused)
        pipeline.submit(gen.pk)
        gen.refresh_from_db()
        assert gen.state == State.PENDING and gen.submit_claimed_at is None
        assert pipeline.submit(gen.pk) == "refused: suspended"
    gen.refresh_from_db()
    assert (gen.state, gen.failure_code) == (State.FAILED, suspension.SUSPENDED)
    assert len(posts) == 1


# --- case 9: an accepted job in a state we do not know ----------------------------------


def test_an_accept_in_an_unknown_state_is_polled_as_queued(owner, task_queue, real_api):
    gen = make_generation(owner)
    with responses.RequestsMock() as rsps:
        rsps.post(f"{API}/generations", json=upstream_generation(state="warming_up"), status=201)
        pipeline.submit(gen.pk)
        gen.refresh_from_db()
        assert (gen.state, gen.upstream_id) == (State.QUEUED, "up-1")
        assert gen.next_attempt_at is not None
        rsps.get(f"{API}/generations/up-1", json=upstream_generation(state="processing"))
        make_due(gen)
        assert pipeline.poll_due() == 1
    gen.refresh_from_db()
    assert gen.state == State.PROCESSING


def test_a_row_left_pending_with_an_upstream_id_is_taken_up_by_the_watchdog(owner, task_queue):
    gen = make_generation(owner)
    Generation.objects.filter(pk=gen.pk).update(
        upstream_id="up-9", submit_claimed_at=timezone.now(), next_attempt_at=None
    )
    pipeline.redrive()
    gen.refresh_from_db()
    assert gen.state == State.QUEUED and gen.next_attempt_at is not None
    assert not Generation.objects.sending().exists()  # no concurrency slot held for it


# --- the final-state rule and the hooks -------------------------------------------------


@pytest.mark.parametrize("final", [State.COMPLETED, State.FAILED])
def test_a_final_state_is_never_left(owner, task_queue, final):
    gen = make_generation(owner)
    Generation.objects.filter(pk=gen.pk).update(state=final)
    gen.refresh_from_db()
    gen.set_state(State.QUEUED)
    assert not transitions.write(gen, Q())
    assert not transitions.touch(gen.pk, Q(), next_attempt_at=timezone.now())
    gen.refresh_from_db()
    assert gen.state == final and gen.next_attempt_at is None


seen: list[tuple[int, str, str, bool]] = []


def record(generation, old_state, new_state) -> None:
    seen.append((generation.pk, old_state, new_state, connection.in_atomic_block))


def refuse(generation, old_state, new_state) -> None:
    if new_state == State.FAILED:
        raise RuntimeError("the outbox is full")


def test_every_transition_calls_the_hooks_inside_its_transaction(
    owner, task_queue, real_api, settings
):
    settings.STUDIO_TRANSITION_HOOKS = ["tests.generations.test_transitions.record"]
    seen.clear()
    with responses.RequestsMock() as rsps:
        gen = submitted(owner, task_queue, rsps)
        rsps.get(f"{API}/generations/up-1", json=upstream_generation(state="processing"))
        make_due(gen)
        pipeline.poll_due()
        completed_by_download(rsps, gen)
    assert seen == [
        (gen.pk, "pending", "queued", True),
        (gen.pk, "queued", "processing", True),
        (gen.pk, "processing", "completed", True),
    ]
    # A write that changes no state (another poll answering "processing") calls none.
    seen.clear()
    Generation.objects.filter(pk=gen.pk).update(state=State.PROCESSING)
    gen.refresh_from_db()
    assert transitions.write(gen, Q())
    assert seen == []


def test_a_hook_that_raises_undoes_the_transition(owner, task_queue, settings):
    settings.STUDIO_TRANSITION_HOOKS = ["tests.generations.test_transitions.refuse"]
    gen = make_generation(owner)
    with pytest.raises(RuntimeError):
        transitions.fail(gen, "generation_failed", "x", Q())
    gen.refresh_from_db()
    assert gen.state == State.PENDING


# --- fencing (the polling loop's lease) -------------------------------------------------


def test_a_loop_that_lost_its_lease_can_write_nothing(owner, task_queue, settings):
    gen = make_generation(owner)
    assert PollLease.acquire("a")
    first = transitions.Fence(PollLease.fence_of("a"))
    assert PollLease.acquire("a")  # a renewal keeps the number
    assert PollLease.fence_of("a") == first.number
    # Paused past its lease: another loop takes over.
    PollLease.objects.filter(name=PollLease.POLLER).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert PollLease.acquire("b")
    second = transitions.Fence(PollLease.fence_of("b"))
    assert second.number == first.number + 1
    assert not transitions.touch(gen.pk, Q(), fence=first, poll_count=7)
    assert not transitions.fail(gen, "generation_failed", "stale", Q(), fence=first)
    assert transitions.touch(gen.pk, Q(), fence=second, poll_count=1)
    gen.refresh_from_db()
    assert gen.state == State.PENDING and gen.poll_count == 1
