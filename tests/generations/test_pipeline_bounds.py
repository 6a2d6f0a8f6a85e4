"""What bounds the pipeline in time and space: the lease outlives every GET, a blip does not
restart a worker, downloads have a deadline and stop with their loop, retries per job
with backoff, held-back rows wait without spinning, nothing grows without end."""

from __future__ import annotations

import json
import threading
import time
from datetime import timedelta
from io import BytesIO
from pathlib import Path

import pytest
import responses
from django.db import OperationalError, transaction
from django.db.models import F
from django.utils import timezone
from django_q.models import Failure

from studio.generations import outputs, pipeline, provider_budget, queue
from studio.generations.management.commands import studio_worker
from studio.generations.models import (
    Generation,
    Output,
    PollLease,
    RequestBudget,
    State,
    WorkerHeartbeat,
)
from studio.generations.pipeline import loop
from studio.upstream.client import get_client
from studio.upstream.errors import DownloadError
from tests.images import image_bytes

from .helpers import FORM, make_generation, upstream_generation
from .pipeline_helpers import API, OUT_URL, make_due, submitted

pytestmark = pytest.mark.django_db(transaction=True)

COMPLETED_ANSWER = upstream_generation(
    state="completed", output=[{"type": "image", "url": OUT_URL}]
)


def media_files(settings) -> list[Path]:
    return [p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()]


# --- case 5: no GET outlives the lease --------------------------------------------------


def test_a_get_longer_than_the_lease_keeps_it(owner, task_queue, real_api, settings):
    settings.POLL_LEASE_SECONDS = 0.6
    settings.POLL_LEASE_RENEW_SECONDS = 0.1
    taken_meanwhile = []

    def slow_get(request):
        time.sleep(1.2)  # twice the lease
        taken_meanwhile.append(PollLease.acquire("another-worker"))
        return 200, {}, json.dumps(upstream_generation(state="processing"))

    with responses.RequestsMock() as rsps:
        gen = submitted(owner, task_queue, rsps)
        make_due(gen)
        PollLease.release(PollLease.objects.get().holder)  # the task chain's, not running
        rsps.add_callback(responses.GET, f"{API}/generations/up-1", callback=slow_get)
        assert loop.run_loop("this-worker", seconds=0) == "turn over"
    assert taken_meanwhile == [False]
    gen.refresh_from_db()
    assert gen.state == State.PROCESSING


# --- case 6: one failed heartbeat restarts nothing --------------------------------------


class _Running:
    returncode = None

    def poll(self):
        return None


class _TurningPoller:
    @property
    def last_turn(self) -> float:
        return time.monotonic()


def test_a_short_blip_of_the_broker_does_not_restart_the_worker(monkeypatch, settings, db):
    settings.WORKER_HEARTBEAT_SECONDS = 0.1
    settings.WORKER_REDRIVE_SECONDS = 3600
    calls = []

    def enqueue(func, worker_id, group):
        calls.append(time.monotonic())
        # A 0.5-s blip of the broker, once the worker has run longer than its threshold.
        if 1.2 <= calls[-1] - calls[0] <= 1.7:
            raise ConnectionError("redis went away")
        WorkerHeartbeat.beat(worker_id)

    monkeypatch.setattr(studio_worker, "async_task", enqueue)
    stopping = threading.Event()
    threading.Timer(2.5, stopping.set).start()
    problem = studio_worker.Command()._watch("w1", _Running(), _TurningPoller(), stopping, 1.0)
    assert problem == ""


# --- case 7: downloads have a deadline and stop with their loop -------------------------


def test_a_download_stops_at_its_deadline_and_on_cancel(settings, real_api):
    with responses.RequestsMock() as rsps:
        rsps.get(OUT_URL, body=b"x" * 300_000, content_type="image/png")
        cancel = threading.Event()
        cancel.set()
        with pytest.raises(DownloadError, match="stopped") as stopped:
            get_client().download(OUT_URL, cancel=cancel)
        assert stopped.value.retryable
        settings.UPSTREAM_DOWNLOAD_DEADLINE_SECONDS = 0
        with pytest.raises(DownloadError, match="took longer") as late:
            get_client().download(OUT_URL)
        assert late.value.retryable


def test_stopping_the_loop_waits_for_no_download(owner, task_queue, real_api, settings):
    started = threading.Event()

    def trickle(request):
        started.set()
        time.sleep(0.5)
        return 200, {}, image_bytes("PNG")

    stop = threading.Event()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        gen = submitted(owner, task_queue, rsps)
        make_due(gen)
        rsps.get(f"{API}/generations/up-1", json=COMPLETED_ANSWER)
        rsps.add_callback(responses.GET, OUT_URL, callback=trickle)
        PollLease.release(PollLease.objects.get().holder)  # the task chain's, not running
        threading.Timer(0.3, stop.set).start()
        begun = time.monotonic()
        assert loop.run_loop("w", stop=stop) == "stopped"
        assert time.monotonic() - begun < 0.45  # did not wait for the 0.5-s download
        # The download under way stops at its next chunk; its row is released.
        for _ in range(100):
            if gen.pk not in pipeline.polling.downloading():
                break
            time.sleep(0.05)
    assert gen.pk not in pipeline.polling.downloading()


# --- case 8: a thumbnail that cannot be written leaves no original ---------------------


def test_a_failed_thumbnail_write_leaves_no_original(owner, task_queue, settings, monkeypatch):
    gen = make_generation(owner)
    storage = Output.thumbnail.field.storage
    real_save = storage.save

    def full_disk(name, content, max_length=None):
        if name.startswith("thumbs/"):
            raise OSError(28, "No space left on device")
        return real_save(name, content, max_length=max_length)

    monkeypatch.setattr(storage, "save", full_disk)
    before = set(media_files(settings))
    with pytest.raises(OSError):
        outputs.store_output(gen, 0, BytesIO(image_bytes("PNG")))
    assert set(media_files(settings)) == before


# --- case 10: a long job's download is retried per output, with backoff, ---------------
# --- for as long as its URLs answer: an hour from the job's completion -----------------


def test_a_long_jobs_download_is_retried_after_a_cdn_503(owner, task_queue, real_api):
    with responses.RequestsMock() as rsps:
        gen = submitted(owner, task_queue, rsps)
        # ~55 s of polls before it completed: more than any count of polls allowed.
        Generation.objects.filter(pk=gen.pk).update(poll_count=40)
        rsps.get(f"{API}/generations/up-1", json=COMPLETED_ANSWER)
        rsps.get(OUT_URL, status=503)
        pipeline.poll_one(Generation.objects.get(pk=gen.pk))
        gen.refresh_from_db()
        assert (gen.state, gen.download_failures) == (State.QUEUED, {"0": 1})
        wait = (gen.next_attempt_at - timezone.now()).total_seconds()
        assert 1 < wait <= 2
        rsps.replace(responses.GET, OUT_URL, body=image_bytes("PNG"), content_type="image/png")
        pipeline.poll_one(Generation.objects.get(pk=gen.pk))
    gen.refresh_from_db()
    assert gen.state == State.COMPLETED and gen.outputs.count() == 1


def test_the_urls_hour_counts_from_the_jobs_completion_not_its_submit(
    owner, task_queue, real_api, settings
):
    # The URLs' lifetime shortened to 30 s: a 55-s job completes 55 s after its submit,
    # past 30 s from the submit but well within 30 s of its completion.
    settings.DOWNLOAD_RETRY_SECONDS = 30
    with responses.RequestsMock() as rsps:
        gen = submitted(owner, task_queue, rsps)
        Generation.objects.filter(pk=gen.pk).update(
            submitted_at=timezone.now() - timedelta(seconds=55)
        )
        rsps.get(f"{API}/generations/up-1", json=COMPLETED_ANSWER)
        rsps.get(OUT_URL, status=503)
        pipeline.poll_one(Generation.objects.get(pk=gen.pk))
        gen.refresh_from_db()
        assert gen.state == State.QUEUED, gen.failure_reason
        assert gen.upstream_done_at is not None
        rsps.replace(responses.GET, OUT_URL, body=image_bytes("PNG"), content_type="image/png")
        pipeline.poll_one(Generation.objects.get(pk=gen.pk))
    gen.refresh_from_db()
    assert gen.state == State.COMPLETED and gen.outputs.count() == 1


def test_each_output_backs_off_on_its_own_failures(owner, task_queue, real_api, settings):
    second = "https://cdn.test/out/1.png?X-Amz-Signature=def"
    answer = upstream_generation(
        state="completed",
        output=[{"type": "image", "url": OUT_URL}, {"type": "image", "url": second}],
    )
    with responses.RequestsMock() as rsps:
        gen = submitted(owner, task_queue, rsps)
        rsps.get(f"{API}/generations/up-1", json=answer)
        rsps.get(OUT_URL, status=503)
        pipeline.poll_one(Generation.objects.get(pk=gen.pk))  # the first output fails once
        rsps.replace(responses.GET, OUT_URL, body=image_bytes("PNG"), content_type="image/png")
        rsps.get(second, status=502)
        for _ in range(2):  # then the second, twice: its own count, not the job's 3
            pipeline.poll_one(Generation.objects.get(pk=gen.pk))
        gen.refresh_from_db()
        assert gen.download_failures == {"0": 1, "1": 2}
        wait = (gen.next_attempt_at - timezone.now()).total_seconds()
        assert 3 < wait <= 4  # 2 ** 2, not 2 ** 3
        assert not Output.objects.exists() and not media_files(settings)


def test_a_download_is_not_retried_once_its_urls_may_have_expired(owner, task_queue, real_api):
    # The provider says it finished the job an hour ago (less a second): its URLs are dying.
    done = (timezone.now() - timedelta(minutes=59, seconds=59)).isoformat()
    answer = {**COMPLETED_ANSWER, "completed_at": done}
    with responses.RequestsMock() as rsps:
        gen = submitted(owner, task_queue, rsps)
        rsps.get(f"{API}/generations/up-1", json=answer)
        rsps.get(OUT_URL, status=503)
        pipeline.poll_one(Generation.objects.get(pk=gen.pk))
    gen.refresh_from_db()
    assert (gen.state, gen.failure_code) == (State.FAILED, "output_not_found")
    assert "gave up after 1 attempts" in gen.failure_reason


# --- case 11: held-back rows wait in order, without spinning; not for ever -------------


def test_rows_held_back_by_an_empty_post_budget_are_not_offered(owner, task_queue, settings):
    settings.UPSTREAM_POSTS_PER_MINUTE = 60
    gens = [make_generation(owner) for _ in range(5)]
    for gen in gens:
        make_due(gen)
    RequestBudget.objects.create(name="post", tokens=0.0, refilled_at=timezone.now())
    handed = []
    assert pipeline.poll_due(handoff=lambda fn, *args: handed.append(args)) == 0
    assert handed == []
    assert not Generation.objects.sending().exists()
    # The loop sleeps until a token is due (a second at 60 a minute), not 0.1 s.
    assert loop._sleep_before_next() >= 0.5
    RequestBudget.objects.filter(name="post").update(tokens=2.0)
    assert pipeline.poll_due(handoff=lambda fn, *args: handed.append(args)) == 2
    assert [args[0] for args in handed] == [gens[0].pk, gens[1].pk]  # oldest first


def test_a_row_held_back_too_long_fails_with_a_reason(owner, task_queue, settings):
    settings.PENDING_MAX_SECONDS = 600
    gen = make_generation(owner)
    Generation.objects.filter(pk=gen.pk).update(created_at=timezone.now() - timedelta(minutes=11))
    pipeline.redrive()
    gen.refresh_from_db()
    assert (gen.state, gen.failure_code) == (State.FAILED, "timed_out")
    assert "waited more than 10 minutes for a free slot" in gen.failure_reason


# --- case 12: the broker down after the row was saved ----------------------------------


def test_a_saved_job_whose_enqueue_fails_is_still_accepted(owner_client, monkeypatch):
    def broker_down(*args, **kwargs):
        raise ConnectionError("Error 111 connecting to redis")

    monkeypatch.setattr(queue, "async_task", broker_down)
    response = owner_client.post("/generations/", FORM, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    gen = Generation.objects.get()
    assert f'data-generation-id="{gen.pk}"' in response.content.decode()
    # The broker is back: the worker's re-drive sends it once it has waited a little.
    monkeypatch.setattr(queue, "async_task", lambda *args, **kwargs: None)
    Generation.objects.filter(pk=gen.pk).update(created_at=timezone.now() - timedelta(minutes=1))
    pipeline.redrive()
    gen.refresh_from_db()
    assert gen.state == State.PENDING and gen.next_attempt_at is not None


# --- case 13: nothing grows without end ------------------------------------------------


def test_old_heartbeats_failed_tasks_and_budget_rows_are_trimmed(db):
    now = timezone.now()
    RequestBudget.objects.create(name="post", tokens=3.0, refilled_at=now)
    RequestBudget.objects.create(name="get-v1", tokens=1.0, refilled_at=now - timedelta(days=2))
    WorkerHeartbeat.objects.create(name="heartbeat:gone", expires_at=now - timedelta(days=2))
    WorkerHeartbeat.objects.create(name="heartbeat:alive", expires_at=now)
    for age in (8, 1):
        Failure.objects.create(
            id=f"t{age}",
            name=f"t{age}",
            func="x",
            started=now - timedelta(days=age),
            stopped=now - timedelta(days=age),
            success=False,
        )
    pipeline.redrive()
    assert list(WorkerHeartbeat.objects.values_list("name", flat=True)) == ["heartbeat:alive"]
    assert list(Failure.objects.values_list("name", flat=True)) == ["t1"]
    assert list(RequestBudget.objects.values_list("name", flat=True)) == ["post"]


def test_a_trimmed_post_budget_is_made_again_full(db, settings):
    settings.UPSTREAM_POSTS_PER_MINUTE = 60
    old = timezone.now() - timedelta(days=2)
    RequestBudget.objects.create(name="post", tokens=0.0, refilled_at=old)
    pipeline.redrive()
    assert not RequestBudget.objects.exists()
    with transaction.atomic():  # as the claim calls it (PostgreSQL locks the bucket row)
        assert provider_budget.take_post() == 0.0
    assert RequestBudget.objects.get().tokens == pytest.approx(5.0)


# --- a loop that lost its lease, storage refusals, a database blip after a POST ---------


def test_a_loop_that_loses_its_lease_cancels_its_downloads(db, settings):
    settings.POLL_LEASE_RENEW_SECONDS = 0.05
    assert PollLease.acquire("frozen-loop")
    cancel = threading.Event()
    keeper = loop._LeaseKeeper("frozen-loop", cancel)
    keeper.start()
    # Another worker took the lease over while this loop was paused.
    PollLease.objects.filter(name=PollLease.POLLER).update(
        holder="other-loop", fence=F("fence") + 1
    )
    assert cancel.wait(10)
    assert not keeper.holds()
    keeper.done.set()


def test_a_loop_cut_off_from_the_database_past_its_lease_cancels_its_downloads(
    db, settings, monkeypatch
):
    settings.POLL_LEASE_RENEW_SECONDS = 0.05
    settings.POLL_LEASE_SECONDS = 0.3
    assert PollLease.acquire("cut-off-loop")

    def database_away(token, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(PollLease, "acquire", database_away)
    cancel = threading.Event()
    keeper = loop._LeaseKeeper("cut-off-loop", cancel)
    keeper.start()
    # Past its lease another worker may hold it: the downloads stop, not only the writes.
    assert cancel.wait(10)
    assert not keeper.holds()


def test_a_thumbnail_the_storage_refuses_is_retried_and_leaves_no_file(
    owner, task_queue, real_api, settings, monkeypatch
):
    storage = Output.thumbnail.field.storage
    real_save = storage.save

    def thumbnail_refused(name, content, max_length=None):
        if name.startswith("thumbs/"):
            raise OSError(28, "No space left on device")
        return real_save(name, content, max_length=max_length)

    with responses.RequestsMock() as rsps:
        gen = submitted(owner, task_queue, rsps)
        rsps.get(f"{API}/generations/up-1", json=COMPLETED_ANSWER)
        rsps.get(OUT_URL, body=image_bytes("PNG"), content_type="image/png")
        with monkeypatch.context() as patch:
            patch.setattr(storage, "save", thumbnail_refused)
            pipeline.poll_one(Generation.objects.get(pk=gen.pk))
        gen.refresh_from_db()
        assert (gen.state, gen.download_failures) == (State.QUEUED, {"0": 1})
        assert media_files(settings) == []
        pipeline.poll_one(Generation.objects.get(pk=gen.pk))  # the storage is back
    gen.refresh_from_db()
    assert gen.state == State.COMPLETED and gen.outputs.count() == 1


def test_the_answer_to_a_post_is_kept_through_a_database_blip(
    owner, task_queue, real_api, monkeypatch
):
    from django.db import OperationalError

    from studio.generations.pipeline import sending

    real_apply = sending.apply_upstream
    tries = []

    def blip_once(*args, **kwargs):
        tries.append(1)
        if len(tries) == 1:
            raise OperationalError("server closed the connection unexpectedly")
        return real_apply(*args, **kwargs)

    monkeypatch.setattr(sending, "apply_upstream", blip_once)
    with responses.RequestsMock() as rsps:
        gen = submitted(owner, task_queue, rsps)
    assert len(tries) == 2
    gen.refresh_from_db()
    assert (gen.state, gen.upstream_id) == (State.QUEUED, "up-1")
    assert gen.submit_attempts == 1
