"""Driving the pipeline against a provider mocked with `responses`."""

from __future__ import annotations

from django.utils import timezone

from studio.generations import pipeline
from studio.generations.models import Generation

from .helpers import make_generation, upstream_generation

API = "https://agents.test/v1"
OUT_URL = "https://cdn.test/out/0.png?X-Amz-Signature=abc"


def submitted(owner, task_queue, rsps, **kw):
    rsps.post(f"{API}/generations", json=upstream_generation(), status=201)
    gen = make_generation(owner, **kw)
    task_queue.calls.clear()
    pipeline.submit(gen.pk)
    gen.refresh_from_db()
    return gen


def make_due(gen):
    Generation.objects.filter(pk=gen.pk).update(next_attempt_at=timezone.now())


def run_when_due(gen) -> int:
    """Make the row due now and run one turn of the polling loop; how many rows it took."""
    make_due(gen)
    return pipeline.poll_due()


def answer_completed(rsps) -> None:
    """The provider's next answer for the job: completed, with one image at OUT_URL."""
    rsps.get(
        f"{API}/generations/up-1",
        json=upstream_generation(state="completed", output=[{"type": "image", "url": OUT_URL}]),
    )
