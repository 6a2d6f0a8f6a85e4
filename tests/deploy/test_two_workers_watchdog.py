"""Two real `studio_worker` processes both run the watchdog's work; each item is done once.

Both workers re-drive at start and every few seconds, their schedulers may both fire, and
an at-least-once broker may hand the same task to both: here both clusters get several
copies of the watchdog and of the staged-upload purge at once, over rows seeded for them
(submits cut off mid-POST, jobs running far too long, stale staged uploads). Counted side
effects: one "failed" log line and one `failed` history step per row, one file deletion
per staged upload (the purges' own counts add up to the number seeded, none is left in
storage).

On PostgreSQL + Redis + S3 (as compose runs it), and on SQLite with the ORM broker.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone
from django_q.models import Task
from django_q.tasks import async_task

from studio.generations import queue, services
from studio.generations.models import Generation, State
from studio.uploads.models import StagedUpload
from tests.deploy.stack import stack_env, start_workers, stop_all, wait_while_alive
from tests.generations.helpers import DEFAULTS
from tests.uploads.helpers import staged_for
from tests.worker import _purge_broker, database_url, worker_env

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ROWS = 12  # of each kind
COPIES = 6  # of each task, enqueued at once for both clusters
DEADLINE = 120
GROUP = "watchdog-race"


def seed(owner, monkeypatch) -> tuple[list[int], list[int], list[StagedUpload]]:
    # Rows as a cut-off worker left them: their submit tasks are long gone.
    with monkeypatch.context() as m:
        m.setattr(queue, "enqueue", lambda *args: None)
        return _seed(owner)


def _seed(owner) -> tuple[list[int], list[int], list[StagedUpload]]:
    long_ago = timezone.now() - timedelta(hours=2)
    interrupted, too_long = [], []
    for i in range(ROWS):
        gen = services.create_generation(user=owner, data={**DEFAULTS, "prompt": f"cut {i}"})
        # Claimed (its POST may have gone out) ten minutes ago and never finished.
        Generation.objects.filter(pk=gen.pk).update(submit_claimed_at=long_ago)
        interrupted.append(gen.pk)
        gen = services.create_generation(user=owner, data={**DEFAULTS, "prompt": f"long {i}"})
        Generation.objects.filter(pk=gen.pk).update(
            state=State.PROCESSING,
            upstream_id=f"never-finishes-{i}",
            submit_claimed_at=long_ago,
            created_at=long_ago,
            # Not due: the polling loop leaves it to the watchdog.
            next_attempt_at=timezone.now() + timedelta(hours=1),
        )
        too_long.append(gen.pk)
    staged = [staged_for(owner, f"stale-{i}.png") for i in range(ROWS)]
    StagedUpload.objects.update(created_at=timezone.now() - timedelta(days=2))
    return interrupted, too_long, staged


def run_the_race(
    env: dict[str, str], owner, monkeypatch
) -> tuple[list[str], list[int], list[int], list]:
    _purge_broker()
    workers = start_workers(2, env)
    try:
        interrupted, too_long, staged = seed(owner, monkeypatch)
        for _ in range(COPIES):
            async_task("studio.generations.tasks.watchdog", group=GROUP)
            async_task("studio.uploads.tasks.purge_stale", group=GROUP)
        wait_while_alive(
            workers,
            lambda: Task.objects.filter(group=GROUP).count() >= 2 * COPIES,
            timeout=DEADLINE,
            what=lambda: f"{Task.objects.filter(group=GROUP).count()} of {2 * COPIES} tasks ran",
        )
    finally:
        logs = stop_all(workers)
    return logs, interrupted, too_long, staged


def assert_each_done_once(logs, interrupted, too_long, staged) -> None:
    text = "\n".join(logs)
    for pks, code in ((interrupted, "submit_interrupted"), (too_long, "timed_out")):
        for gen in Generation.objects.filter(pk__in=pks):
            assert (gen.state, gen.failure_code) == (State.FAILED, code), gen.pk
            assert [h["state"] for h in gen.history].count(State.FAILED) == 1, gen.history
            failed_lines = re.findall(rf"generation {gen.pk} failed: ", text)
            assert len(failed_lines) == 1, (gen.pk, len(failed_lines))
    assert not StagedUpload.objects.exists()
    # Each purge reports what it deleted itself (a row, and its file on commit).
    purged = sum(
        int(m.group(1))
        for t in Task.objects.filter(func="studio.uploads.tasks.purge_stale")
        if (m := re.match(r"(\d+) stale uploads removed", str(t.result)))
    )
    assert purged == ROWS, f"{purged} purged for {ROWS} staged uploads"


@pytest.mark.deploy
def test_two_workers_do_the_watchdogs_work_once_on_postgresql_redis_s3(
    scaled_out, owner, s3_media, monkeypatch
):
    logs, interrupted, too_long, staged = run_the_race(
        stack_env(s3_media.name, s3_media.endpoint_url), owner, monkeypatch
    )
    assert_each_done_once(logs, interrupted, too_long, staged)
    names = set(s3_media.names())
    assert not [s.file.name for s in staged if s.file.name in names]


def test_two_workers_do_the_watchdogs_work_once_on_sqlite(owner, settings, monkeypatch):
    if connection.vendor != "sqlite" or settings.REDIS_URL:
        pytest.skip("the SQLite + ORM broker configuration")
    env = worker_env(db_url=database_url(connection.settings_dict), media_root=settings.MEDIA_ROOT)
    logs, interrupted, too_long, staged = run_the_race(env, owner, monkeypatch)
    assert_each_done_once(logs, interrupted, too_long, staged)
    assert not [s.file.name for s in staged if (Path(settings.MEDIA_ROOT) / s.file.name).exists()]
