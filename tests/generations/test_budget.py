"""The shared request budget: jobs in flight, POSTs per minute, GETs per second; and the
loop's hand-off of downloads and resubmits."""

from __future__ import annotations

import pytest
import responses
from django.utils import timezone

from studio.generations import pipeline, tasks
from studio.generations import provider_budget as budget
from studio.generations.models import (
    Generation,
    PollLease,
    RequestBudget,
    State,
    WorkerHeartbeat,
)

from .helpers import make_generation, upstream_generation
from .pipeline_helpers import API, OUT_URL, answer_completed, make_due, submitted

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_full_slot_budget_keeps_the_row_pending_and_waiting(
    owner, task_queue, real_api, settings
):
    settings.UPSTREAM_MAX_CONCURRENT_JOBS = 1
    with responses.RequestsMock() as rsps:
        first = submitted(owner, task_queue, rsps)
        second = make_generation(owner)
        assert pipeline.submit(second.pk).startswith("waiting for a free slot")
        assert len(rsps.calls) == 1  # only the first POST went out
    second.refresh_from_db()
    assert first.state == State.QUEUED
    assert second.state == State.PENDING
    assert second.waiting_for_slot
    assert second.submit_claimed_at is None and second.submit_attempts == 0
    # The card says so while the row stays pending.
    Generation.objects.filter(pk=first.pk).update(state=State.COMPLETED)
    with responses.RequestsMock() as rsps:
        rsps.post(f"{API}/generations", json=upstream_generation("up-2"), status=201)
        make_due(second)
        assert pipeline.poll_due() == 1
        assert len(rsps.calls) == 1
    second.refresh_from_db()
    assert second.state == State.QUEUED and not second.waiting_for_slot


def test_the_waiting_row_shows_on_its_card(owner, owner_client, task_queue, settings):
    settings.UPSTREAM_MAX_CONCURRENT_JOBS = 1
    Generation.objects.create(user=owner, prompt="busy", state=State.PROCESSING, upstream_id="x")
    gen = make_generation(owner)
    pipeline.submit(gen.pk)
    page = owner_client.get("/").content.decode()
    card = page[page.index(f'data-generation-id="{gen.pk}"') :]
    assert 'data-state="pending"' in card[:400]
    assert "Waiting for a free slot" in card[:3000]


def test_posts_per_minute_are_a_shared_bucket(owner, task_queue, real_api, settings):
    settings.UPSTREAM_POSTS_PER_MINUTE = 20  # a burst of 2, then one every 3 s
    gens = [make_generation(owner) for _ in range(3)]
    with responses.RequestsMock() as rsps:
        for i in range(2):
            rsps.post(f"{API}/generations", json=upstream_generation(f"up-{i}"), status=201)
        results = [pipeline.submit(g.pk) for g in gens]
        assert len(rsps.calls) == 2
    assert results[2].startswith("waiting for a free slot")
    wait = (Generation.objects.get(pk=gens[2].pk).next_attempt_at - timezone.now()).total_seconds()
    assert 1.5 < wait <= 3.1
    assert RequestBudget.objects.get(name=budget.POST_BUCKET).tokens < 1


def test_a_task_run_twice_spends_no_second_token(owner, task_queue, real_api, settings):
    settings.UPSTREAM_POSTS_PER_MINUTE = 600
    gen = make_generation(owner)
    with responses.RequestsMock() as rsps:
        rsps.post(f"{API}/generations", json=upstream_generation(), status=201)
        pipeline.submit(gen.pk)
        tokens = RequestBudget.objects.get().tokens
        assert pipeline.submit(gen.pk) == "not claimable"
    assert RequestBudget.objects.get().tokens == pytest.approx(tokens, abs=0.1)


def test_a_tight_get_budget_polls_the_rows_most_likely_done_first(owner, task_queue, real_api):
    with responses.RequestsMock() as rsps:
        gens = [submitted(owner, task_queue, rsps) for _ in range(3)]
        for age, gen in zip([5, 50, 20], gens, strict=True):
            Generation.objects.filter(pk=gen.pk).update(
                submitted_at=timezone.now() - timezone.timedelta(seconds=age)
            )
            make_due(gen)
        rsps.get(f"{API}/generations/up-1", json=upstream_generation(state="processing"))
        gets = budget.GetBucket(per_second=1)  # one GET now
        assert pipeline.poll_due(gets=gets) == 1
    polled = Generation.objects.filter(poll_count=1).get()
    assert polled.pk == gens[1].pk  # the 50 s old job


def test_a_completed_job_is_handed_off_and_not_polled_again_meanwhile(owner, task_queue, real_api):
    handed = []
    with responses.RequestsMock() as rsps:
        gen = submitted(owner, task_queue, rsps)
        answer_completed(rsps)
        make_due(gen)
        pipeline.poll_due(handoff=lambda fn, *args: handed.append((fn, args)))
        assert len(rsps.calls) == 2  # POST, GET: the download has not started in the loop
    [(fn, (pk, output, provider_done, fence, cancel))] = handed
    assert (fn, pk, output, fence) == (
        pipeline.fetch_outputs,
        gen.pk,
        [{"type": "image", "url": OUT_URL}],
        None,
    )
    # When the provider finished, for the added-latency metric: by the GET that saw it done.
    assert provider_done <= timezone.now()
    gen.refresh_from_db()
    assert gen.state == State.QUEUED
    assert (gen.next_attempt_at - timezone.now()).total_seconds() > 60
    assert pipeline.poll_due() == 0
    pipeline.polling.release_download(gen.pk)  # the hand-off above never ran


def test_the_handed_off_download_completes_the_row(owner, task_queue, real_api):
    from tests.images import image_bytes

    with responses.RequestsMock() as rsps:
        gen = submitted(owner, task_queue, rsps)
        rsps.get(OUT_URL, body=image_bytes("PNG"), content_type="image/png")
        assert pipeline.fetch_outputs(gen.pk, [{"url": OUT_URL}]) == State.COMPLETED
    gen.refresh_from_db()
    assert gen.state == State.COMPLETED and gen.outputs.count() == 1
    # Run twice (a lost hand-off redone): the row is no longer in flight, nothing happens.
    assert pipeline.fetch_outputs(gen.pk, [{"url": OUT_URL}]) == "not in flight"


def test_a_worker_start_makes_every_in_flight_row_due_now(owner, task_queue, real_api):
    with responses.RequestsMock() as rsps:
        polled = submitted(owner, task_queue, rsps)
    Generation.objects.filter(pk=polled.pk).update(
        next_attempt_at=timezone.now() + timezone.timedelta(seconds=90)
    )
    unsent = make_generation(owner)  # its submit task was lost with the broker
    report = pipeline.redrive(at_start=True)
    assert "1 in flight polled now, 1 unsent made due" in report
    now = timezone.now()
    for gen in (polled, unsent):
        gen.refresh_from_db()
        assert gen.next_attempt_at <= now


def test_the_lease_is_short_and_renewed_by_the_loop(owner, task_queue, settings):
    assert settings.POLL_LEASE_SECONDS <= 10
    token = "loop"
    assert tasks.poll_loop(token) == "idle"  # nothing in flight: it lets the lease go
    assert PollLease.objects.get(name=PollLease.POLLER).holder == ""


def test_a_heartbeat_is_written_by_the_monitor_once_the_result_is_saved(db):
    from django_q.signals import post_execute

    from studio.generations.signals import HEARTBEAT_TASK

    post_execute.send(sender="django_q", task={"func": HEARTBEAT_TASK, "success": False})
    assert WorkerHeartbeat.last("w1") is None
    post_execute.send(
        sender="django_q", task={"func": HEARTBEAT_TASK, "success": True, "result": "w1"}
    )
    assert (timezone.now() - WorkerHeartbeat.last("w1")).total_seconds() < 5


def test_a_claim_lost_after_the_check_posts_nothing(owner, task_queue, real_api, monkeypatch):
    # Two workers both saw the row claimable; the other one's claim landed first.
    gen = make_generation(owner)
    real_take = budget.take_post

    def claimed_meanwhile() -> float:
        Generation.objects.filter(pk=gen.pk).update(submit_claimed_at=timezone.now())
        return real_take()

    monkeypatch.setattr(budget, "take_post", claimed_meanwhile)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.post(f"{API}/generations", json=upstream_generation(), status=201)
        assert pipeline.submit(gen.pk) == "not claimable"
        assert len(rsps.calls) == 0
