"""The whole pipeline through a real django-q2 worker and the built-in simulator.

Nothing is mocked: rows are committed, `create_generation` enqueues on commit through the
configured broker (ORM on SQLite by default; Redis when REDIS_URL is set), and the worker
submits, polls and stores outputs in this test's MEDIA_ROOT.
"""

from __future__ import annotations

import pytest

from studio.generations.models import PollLease, State
from tests.e2e.helpers import assert_stored_image, create, wait_finished

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_generation_completes_with_a_stored_output(worker, owner):
    gen = create(owner, prompt="a lighthouse at dusk", aspect_ratio="16:9")

    wait_finished(worker, gen)

    assert_stored_image(gen, size=(2048, 1152), fmt="PNG")
    assert gen.upstream_id
    assert gen.submitted_at is not None and gen.completed_at is not None
    assert [h["state"] for h in gen.history][0] == State.PENDING
    assert gen.history[-1]["state"] == State.COMPLETED
    methods = [r["method"] for r in gen.request_ids]
    assert methods[0] == "POST" and "GET" in methods
    assert len({r["request_id"] for r in gen.request_ids}) == len(gen.request_ids)


def test_moderated_prompt_fails_with_code_and_reason(worker, owner):
    gen = create(owner, prompt="[simulate:content_moderated] a forbidden thing")

    wait_finished(worker, gen)

    assert gen.state == State.FAILED
    assert gen.failure_code == "content_moderated"
    assert gen.failure_reason.strip()
    assert not gen.outputs.exists()


def test_rate_limited_submit_is_retried_after_retry_after(worker, owner):
    gen = create(owner, prompt="[simulate:http_429] a red kite over hills", aspect_ratio="1:1")

    wait_finished(worker, gen)

    assert_stored_image(gen, size=(2048, 2048), fmt="PNG")
    posts = [r for r in gen.request_ids if r["method"] == "POST"]
    assert [p["status"] for p in posts] == [429, 201]
    assert posts[0]["request_id"] != posts[1]["request_id"]
    assert gen.submit_attempts == 2


def test_several_at_once_all_complete_and_the_poll_loop_goes_idle(worker, owner, member):
    gens = [
        create(owner, prompt="a fox in snow", aspect_ratio="3:2"),
        create(owner, prompt="a harbour at night", aspect_ratio="9:16", output_format="jpeg"),
        create(member, prompt="a glass teapot", aspect_ratio="1:1", model="uni-1-max"),
        create(member, prompt="a desert road", aspect_ratio="3:1", style="manga"),
    ]

    wait_finished(worker, *gens)

    assert_stored_image(gens[0], size=(2048, 1365), fmt="PNG")
    assert_stored_image(gens[1], size=(1152, 2048), fmt="JPEG")
    assert_stored_image(gens[2], size=(2048, 2048), fmt="PNG")
    assert_stored_image(gens[3], size=(2048, 683), fmt="PNG")
    # Each row was POSTed exactly once.
    for gen in gens:
        assert [r["status"] for r in gen.request_ids if r["method"] == "POST"] == [201]

    # With nothing in flight the loop lets go of its lease instead of spinning.
    worker.wait_for(
        lambda: PollLease.objects.filter(name=PollLease.POLLER, holder="").exists(),
        timeout=15,
        what="the poll loop to release its lease",
    )
