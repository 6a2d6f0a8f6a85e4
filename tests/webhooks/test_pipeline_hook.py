"""The pipeline's transitions reach the outbox through STUDIO_TRANSITION_HOOKS."""

from __future__ import annotations

from django.test import TestCase

from studio.generations.models import Generation, State
from studio.webhooks.models import Delivery
from tests.generations.helpers import make_generation
from tests.generations.pipeline_helpers import run_when_due


def test_a_job_run_by_the_pipeline_is_delivered(
    owner, endpoint, receiver, task_queue, webhook_tasks
):
    with TestCase.captureOnCommitCallbacks(execute=True):
        gen = make_generation(owner, prompt="a kite over the dunes")
    for _ in range(5):
        with TestCase.captureOnCommitCallbacks(execute=True):
            task_queue.run_all()
            run_when_due(gen)
        if Generation.objects.get(pk=gen.pk).state == State.COMPLETED:
            break
    assert Generation.objects.get(pk=gen.pk).state == State.COMPLETED
    assert webhook_tasks.names() == ["deliver"]
    webhook_tasks.run_all()
    [got] = receiver.received
    data = got.payload["data"]
    assert (data["id"], data["state"]) == (str(gen.pk), "completed")
    assert data["output"][0]["url"].startswith("http://127.0.0.1:8000/")
    assert Delivery.objects.get().state == Delivery.State.DELIVERED
