"""The pipeline's decisions (submit, poll, retry, fail) with the provider mocked at the
client's boundary (responses)."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import pytest
import requests
import responses
from django.utils import timezone

from studio.accounts.models import upstream_user_id_for
from studio.generations import pipeline, services, tasks
from studio.generations.models import Generation, Reference, State
from studio.generations.pipeline import loop
from studio.upstream import facts
from studio.upstream.client import reset_client

from .helpers import image_bytes, make_generation, upstream_generation
from .pipeline_helpers import API, make_due, run_when_due, submitted

pytestmark = pytest.mark.django_db(transaction=True)


def test_saving_enqueues_submit_on_commit(owner, task_queue):
    gen = make_generation(owner)
    assert task_queue.calls == [("submit", (gen.pk,))]
    assert gen.state == State.PENDING
    assert gen.history[0]["state"] == "pending"


def test_request_body_maps_every_field(owner, task_queue, real_api):
    png = image_bytes("PNG")
    gen = make_generation(
        owner,
        prompt="make it blue",
        type="image_edit",
        aspect_ratio="9:16",
        style="manga",
        model="uni-1-max",
        output_format="jpeg",
        web_search=True,
        inputs=[
            {"role": "source", "content": png, "media_type": "image/png", "name": "s.png"},
            {"role": "reference", "url": "https://example.com/ref.jpg"},
            {"role": "reference", "content": png, "media_type": "image/png", "name": "r.png"},
        ],
    )
    with responses.RequestsMock() as rsps:
        rsps.post(f"{API}/generations", json=upstream_generation(), status=201)
        pipeline.submit(gen.pk)
        sent = json.loads(rsps.calls[0].request.body)
        headers = rsps.calls[0].request.headers
    assert sent == {
        "prompt": "make it blue",
        "type": "image_edit",
        "aspect_ratio": "9:16",
        "style": "manga",
        "model": "uni-1-max",
        "output_format": "jpeg",
        "web_search": True,
        "user_id": upstream_user_id_for(owner),
        "source": {"data": base64.b64encode(png).decode(), "media_type": "image/png"},
        "image_ref": [
            {"url": "https://example.com/ref.jpg"},
            {"data": base64.b64encode(png).decode(), "media_type": "image/png"},
        ],
    }
    assert headers["Authorization"] == "Bearer test-key-not-real"
    # The end-user id is opaque: not the username, e-mail or primary key.
    assert sent["user_id"] not in {owner.username, str(owner.pk), owner.email}
    assert headers["X-Request-Id"].startswith("studio-")


def test_successful_submit_stores_upstream_id_and_request_id(owner, task_queue, real_api):
    with responses.RequestsMock() as rsps:
        gen = submitted(owner, task_queue, rsps)
        sent_id = rsps.calls[0].request.headers["X-Request-Id"]
    assert gen.upstream_id == "up-1"
    assert gen.state == State.QUEUED
    assert gen.submitted_at is not None
    assert gen.request_ids[-1]["request_id"] == sent_id
    assert gen.request_ids[-1]["method"] == "POST"
    assert "poll_loop" in task_queue.names()


def test_claimed_row_is_never_posted_by_a_second_worker(owner, task_queue, real_api):
    gen = make_generation(owner)
    Generation.objects.filter(pk=gen.pk).update(submit_claimed_at=timezone.now())
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.post(f"{API}/generations", json=upstream_generation(), status=201)
        assert pipeline.submit(gen.pk) == "not claimable"
        assert len(rsps.calls) == 0


def test_429_waits_for_retry_after_then_submits(owner, task_queue, real_api):
    gen = make_generation(owner)
    with responses.RequestsMock() as rsps:
        rsps.post(
            f"{API}/generations",
            json={"detail": "Too many concurrent jobs"},
            status=429,
            headers={"Retry-After": "7"},
        )
        before = timezone.now()
        pipeline.submit(gen.pk)
        gen.refresh_from_db()
        assert gen.state == State.PENDING
        assert gen.submit_claimed_at is None
        wait = (gen.next_attempt_at - before).total_seconds()
        assert 6.5 <= wait <= 8
        # Not due yet: the loop leaves it alone.
        assert pipeline.poll_due() == 0
        rsps.post(f"{API}/generations", json=upstream_generation(), status=201)
        assert run_when_due(gen) == 1
        assert len(rsps.calls) == 2
    gen.refresh_from_db()
    assert gen.state == State.QUEUED
    assert [c["status"] for c in gen.request_ids] == [429, 201]


def test_502_then_success(owner, task_queue, real_api):
    gen = make_generation(owner)
    with responses.RequestsMock() as rsps:
        rsps.post(f"{API}/generations", json={"detail": "Bad gateway"}, status=502)
        rsps.post(f"{API}/generations", json={"detail": "Unavailable"}, status=503)
        rsps.post(f"{API}/generations", json=upstream_generation(), status=201)
        pipeline.submit(gen.pk)
        run_when_due(gen)
        run_when_due(gen)
        assert len(rsps.calls) == 3
    gen.refresh_from_db()
    assert gen.state == State.QUEUED
    assert gen.upstream_id == "up-1"


def test_connection_refused_is_retried(owner, task_queue, real_api, settings):
    # Nothing listens on port 9: a real "connection refused", so the POST never left.
    settings.LUMA_BASE_URL = "http://127.0.0.1:9/v1"
    reset_client()
    gen = make_generation(owner)
    pipeline.submit(gen.pk)
    gen.refresh_from_db()
    assert gen.state == State.PENDING
    assert gen.submit_claimed_at is None
    assert gen.next_attempt_at > timezone.now()
    assert gen.request_ids[-1]["status"] is None


def test_persistent_5xx_gives_up_with_reason(owner, task_queue, real_api, settings):
    settings.UPSTREAM_SUBMIT_MAX_ATTEMPTS = 2
    gen = make_generation(owner)
    with responses.RequestsMock() as rsps:
        rsps.post(f"{API}/generations", json={"detail": "upstream down"}, status=502)
        pipeline.submit(gen.pk)
        run_when_due(gen)
        assert len(rsps.calls) == 2
    gen.refresh_from_db()
    assert gen.state == State.FAILED
    assert gen.failure_code == "upstream_unavailable"
    assert "upstream down" in gen.failure_reason
    assert gen.retryable


@pytest.mark.parametrize(
    "status,code",
    [
        (400, "invalid_request"),
        (422, "invalid_request"),
        (402, "budget_exhausted"),
        (401, "access_denied"),
        (403, "access_denied"),
        (413, "image_too_large"),
    ],
)
def test_4xx_fails_with_detail_and_is_not_retried(owner, task_queue, real_api, status, code):
    gen = make_generation(owner)
    with responses.RequestsMock() as rsps:
        rsps.post(f"{API}/generations", json={"detail": f"nope {status}"}, status=status)
        pipeline.submit(gen.pk)
        assert run_when_due(gen) == 0
        assert len(rsps.calls) == 1
    gen.refresh_from_db()
    assert gen.state == State.FAILED
    assert gen.failure_code == code
    assert gen.failure_reason == f"nope {status}"


def test_validation_error_list_detail_is_readable(owner, task_queue, real_api):
    gen = make_generation(owner)
    detail = [{"loc": ["body", "aspect_ratio"], "msg": "Input should be '3:1'", "type": "enum"}]
    with responses.RequestsMock() as rsps:
        rsps.post(f"{API}/generations", json={"detail": detail}, status=400)
        pipeline.submit(gen.pk)
    gen.refresh_from_db()
    assert gen.failure_reason == "aspect_ratio: Input should be '3:1'"


def test_read_timeout_on_submit_is_not_resent(owner, task_queue, real_api):
    gen = make_generation(owner)
    with responses.RequestsMock() as rsps:
        rsps.post(f"{API}/generations", body=requests.ReadTimeout("slow"))
        pipeline.submit(gen.pk)
        run_when_due(gen)
        tasks.watchdog()
        assert len(rsps.calls) == 1
    gen.refresh_from_db()
    assert gen.state == State.FAILED
    assert gen.failure_code == "submit_interrupted"
    assert gen.retryable


@pytest.mark.parametrize("code", facts.UPSTREAM_FAILURE_CODES)
def test_each_failure_code_is_kept_exactly(owner, task_queue, real_api, code):
    reason = f"Upstream said: {code} happened (ref 42)"
    with responses.RequestsMock() as rsps:
        gen = submitted(owner, task_queue, rsps)
        rsps.get(
            f"{API}/generations/up-1",
            json=upstream_generation(state="failed", failure_code=code, failure_reason=reason),
        )
        run_when_due(gen)
    gen.refresh_from_db()
    assert gen.state == State.FAILED
    assert gen.failure_code == code
    assert gen.failure_reason == reason
    assert gen.completed_at is not None
    assert [h["state"] for h in gen.history] == ["pending", "queued", "failed"]


def test_poll_429_honours_retry_after(owner, task_queue, real_api):
    with responses.RequestsMock() as rsps:
        gen = submitted(owner, task_queue, rsps)
        rsps.get(
            f"{API}/generations/up-1",
            json={"detail": "slow down"},
            status=429,
            headers={"Retry-After": "9"},
        )
        run_when_due(gen)
    gen.refresh_from_db()
    assert gen.state == State.QUEUED
    assert 8 <= (gen.next_attempt_at - timezone.now()).total_seconds() <= 9.5


def test_poll_backoff_rises_to_ten_seconds_once_a_job_runs_longer_than_any_seen(
    owner, task_queue, real_api
):
    # A job is polled every 2 s while it may be done (a back-off there would add seconds
    # of latency); only a job slower than every one seen backs off to 10 s.
    with responses.RequestsMock() as rsps:
        gen = submitted(owner, task_queue, rsps)
        rsps.get(f"{API}/generations/up-1", json=upstream_generation(state="processing"))
        gaps = []
        for minutes in range(8):
            Generation.objects.filter(pk=gen.pk).update(
                # (2 s more: a job's first GET goes 2 s after submit, as a plain poll's)
                submitted_at=timezone.now() - timedelta(minutes=minutes, seconds=2)
            )
            run_when_due(gen)
            gen.refresh_from_db()
            gaps.append(round((gen.next_attempt_at - timezone.now()).total_seconds()))
    assert gaps[0] <= 3
    assert gaps == sorted(gaps)
    assert gaps[-1] == 10


def test_missing_input_file_fails_without_posting(owner, task_queue, real_api):
    gen = make_generation(
        owner,
        inputs=[{"role": "reference", "content": image_bytes(), "media_type": "image/png"}],
    )
    ref = gen.inputs.get()
    ref.file.storage.delete(ref.file.name)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.post(f"{API}/generations", json=upstream_generation(), status=201)
        pipeline.submit(gen.pk)
        assert len(rsps.calls) == 0
    gen.refresh_from_db()
    assert gen.failure_code == "corrupt_input"
    assert Reference.objects.filter(generation=gen).count() == 1


def test_price_estimate_is_stored(owner, task_queue):
    gen = make_generation(owner, model="uni-1-max")
    assert str(gen.estimated_price) == "0.1000"
    assert pipeline.request_body(gen)["model"] == "uni-1-max"


def test_worker_does_not_overwrite_a_share_set_meanwhile(owner, team, task_queue, real_api):
    with responses.RequestsMock() as rsps:
        gen = submitted(owner, task_queue, rsps)
        stale = Generation.objects.get(pk=gen.pk)  # what the worker holds
        services.share(user=owner, generation=Generation.objects.get(pk=gen.pk), team=team)
        rsps.get(f"{API}/generations/up-1", json=upstream_generation(state="processing"))
        pipeline.poll_one(stale)
    gen.refresh_from_db()
    assert gen.state == State.PROCESSING
    assert gen.team == team and gen.shared_at is not None


def test_an_answer_without_an_id_fails_instead_of_polling_nothing(owner, task_queue, real_api):
    gen = make_generation(owner)
    with responses.RequestsMock() as rsps:
        rsps.post(f"{API}/generations", json={"state": "queued"}, status=201)
        pipeline.submit(gen.pk)
    gen.refresh_from_db()
    assert gen.state == State.FAILED
    assert gen.failure_code == "submit_interrupted"
    assert "no id" in gen.failure_reason


def test_a_poll_turn_stops_taking_rows_when_its_time_budget_is_spent(
    owner, task_queue, real_api, settings, monkeypatch
):
    with responses.RequestsMock() as rsps:
        gens = [submitted(owner, task_queue, rsps) for _ in range(3)]
        rsps.get(f"{API}/generations/up-1", json=upstream_generation(state="processing"))
        for gen in gens:
            make_due(gen)
        settings.POLL_TURN_BUDGET_SECONDS = 10
        # The turn starts at 0 s, the first row is taken at 1 s, then the clock jumps.
        readings = [0.0, 1.0]
        monkeypatch.setattr(loop.time, "monotonic", lambda: readings.pop(0) if readings else 100.0)
        assert pipeline.poll_due() == 1
    assert Generation.objects.filter(poll_count=1).count() == 1


# --- the row's own state behaviour ------------------------------------------------------


def test_set_state_notes_each_step_once(owner, task_queue):
    gen = make_generation(owner)
    gen.set_state(State.QUEUED)
    gen.set_state(State.QUEUED)
    gen.set_state(State.PROCESSING)
    assert [h["state"] for h in gen.history] == ["pending", "queued", "processing"]


def test_fail_keeps_code_and_reason_and_stops_polling(owner, task_queue):
    gen = make_generation(owner)
    gen.next_attempt_at = timezone.now()
    gen.fail("content_moderated", "Flagged by the provider")
    assert (gen.state, gen.failure_code, gen.failure_reason) == (
        State.FAILED,
        "content_moderated",
        "Flagged by the provider",
    )
    assert gen.completed_at is not None and gen.next_attempt_at is None
    assert gen.history[-1]["state"] == "failed"


def test_the_request_log_keeps_the_last_fifty(owner, task_queue):
    gen = make_generation(owner)
    for n in range(60):
        gen.note_request("GET", f"req-{n}", 200)
    assert len(gen.request_ids) == 50
    assert gen.request_ids[0]["request_id"] == "req-10"
    last = gen.request_ids[-1]
    assert (last["method"], last["request_id"], last["status"]) == ("GET", "req-59", 200)
