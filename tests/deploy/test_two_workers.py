"""Two real `studio_worker` processes on the Redis broker share 50 jobs.

As compose runs them (`--scale worker=2`): one PostgreSQL database, one Redis queue, media
on one S3 bucket. No generation is POSTed twice (counted by what the simulator received),
the polling loop runs once at a time (its lease: no row is polled by two loops at once),
every job completes with its image in the bucket, and both workers did some of the work.
"""

from __future__ import annotations

from datetime import datetime

import pytest
from django.conf import settings

from studio.generations import services
from studio.generations.models import FINAL, Generation, State
from studio.simulator.models import SimulatedJob
from tests.deploy.stack import stack_env, start_workers, stop_all, wait_while_alive
from tests.generations.helpers import DEFAULTS
from tests.worker import _purge_broker

pytestmark = [pytest.mark.deploy, pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

JOBS = 50
DEADLINE = 240


def gets_of(gen: Generation) -> list[datetime]:
    return [
        datetime.fromisoformat(entry["at"]) for entry in gen.request_ids if entry["method"] == "GET"
    ]


def test_two_workers_share_fifty_jobs_and_post_each_once(scaled_out, owner, s3_media):
    _purge_broker()
    workers = start_workers(2, stack_env(s3_media.name, s3_media.endpoint_url))
    try:
        gens = [
            services.create_generation(
                user=owner,
                data={**DEFAULTS, "prompt": f"two workers, job {i}", "output_format": "jpeg"},
            )
            for i in range(JOBS)
        ]
        ids = [g.pk for g in gens]
        wait_while_alive(
            workers,
            lambda: Generation.objects.filter(pk__in=ids, state__in=FINAL).count() >= JOBS,
            timeout=DEADLINE,
            what=lambda: (
                f"{Generation.objects.filter(pk__in=ids, state__in=FINAL).count()} of {JOBS} done"
            ),
        )
    finally:
        logs = stop_all(workers)

    done = list(Generation.objects.filter(pk__in=ids).prefetch_related("outputs"))
    failed = [(g.pk, g.failure_code, g.failure_reason) for g in done if g.state != State.COMPLETED]
    assert not failed
    # What the simulator received: one POST per generation, never two.
    for gen in done:
        assert SimulatedJob.objects.filter(prompt=gen.prompt).count() == 1, gen.prompt
        assert [e["method"] for e in gen.request_ids].count("POST") == 1
    assert SimulatedJob.objects.count() == JOBS
    # One polling loop at a time: a row is never polled twice within the minimum interval.
    min_gap = settings.POLL_DENSE_SECONDS / 2
    for gen in done:
        times = gets_of(gen)
        gaps = [(b - a).total_seconds() for a, b in zip(times, times[1:], strict=False)]
        assert all(gap >= min_gap for gap in gaps), (gen.pk, gaps)
    # Every image is in the bucket the workers share.
    names = set(s3_media.names())
    for gen in done:
        (out,) = gen.outputs.all()
        assert out.file.name in names and out.thumbnail.name in names
    # Both workers did some of the POSTs, and together exactly one per job.
    posts = [log.count("upstream POST /generations -> 201") for log in logs]
    assert sum(posts) == JOBS, posts
    assert all(p > 0 for p in posts), f"one worker did everything: {posts}"
