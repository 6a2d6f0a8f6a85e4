"""studio_worker: a stuck cluster is detected and the worker exits non-zero; a restarted
worker polls every in-flight job again within seconds."""

from __future__ import annotations

import os
import signal
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from studio.generations import services
from studio.generations.models import Generation, State, WorkerHeartbeat
from studio.simulator.models import SimulatedJob
from tests.generations.helpers import DEFAULTS
from tests.worker import alive, cluster_processes, finish_worker, start_worker

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

FAST = {"STUDIO_WORKER_HEARTBEAT_SECONDS": "1", "STUDIO_WORKER_STUCK_SECONDS": "6"}


def test_a_cluster_that_stopped_making_progress_is_detected_and_the_worker_exits_3(
    request, settings
):
    w = start_worker(request, settings, "studio_worker", **FAST)
    try:
        w.wait_for(
            lambda: WorkerHeartbeat.objects.exists(),
            timeout=40,
            what="the first heartbeat",
        )
        procs = w.wait_for(lambda: cluster_processes(w), timeout=20, what="the cluster")
        # A frozen monitor: what a SIGKILLed one leaves when it held the result queue's lock
        # (its reincarnation blocks on that lock forever, docs/reliability.md), made
        # certain. django-q2 sees it alive, tasks run, no result is saved.
        os.kill(procs[2], signal.SIGSTOP)
        killed = time.monotonic()
        code = w.proc.wait(timeout=60)
        detected = time.monotonic() - killed
        print(f"\nstuck cluster detected and stopped {detected:.1f} s after the monitor froze")
        assert code == 3, w.tail()
        assert "ran no heartbeat task" in w.tail()
        assert detected < 6 + 1 + 10
        time.sleep(0.5)
        assert [pid for pid in procs if alive(pid)] == []  # no cluster left behind
    finally:
        finish_worker(request, w)


def test_a_restarted_worker_polls_every_in_flight_job_within_ten_seconds(request, settings, owner):
    env = {"STUDIO_SIMULATOR_SECONDS": "60"}
    w = start_worker(request, settings, "studio_worker", **env)
    gens = [
        services.create_generation(user=owner, data={**DEFAULTS, "prompt": f"a kite {i}"})
        for i in range(4)
    ]
    ids = [g.pk for g in gens]
    try:
        w.wait_for(
            lambda: Generation.objects.filter(pk__in=ids).exclude(upstream_id="").count() == 4,
            timeout=40,
            what="all four to be submitted",
        )
        # The whole process group, worker and cluster, as a crash or an OOM kill would.
        os.killpg(w.proc.pid, signal.SIGKILL)
        w.proc.wait(timeout=10)
    finally:
        finish_worker(request, w)
    time.sleep(2)
    restarted = timezone.now()
    w2 = start_worker(request, settings, "studio_worker", **env)
    try:
        w2.wait_for(
            lambda: (
                Generation.objects.filter(pk__in=ids, last_polled_at__gt=restarted).count() == 4
            ),
            timeout=30,
            what="every in-flight job to be polled again",
        )
        recovery = (timezone.now() - restarted).total_seconds()
        print(f"\nall four in-flight jobs polled again {recovery:.1f} s after the restart")
        assert recovery <= 10 + 5  # 10 s promised; the rest is this process's own polling
        # Let the simulated jobs finish now, and check that none was sent twice.
        SimulatedJob.objects.update(created_at=timezone.now() - timedelta(minutes=5))
        w2.wait_for(
            lambda: Generation.objects.filter(pk__in=ids, state=State.COMPLETED).count() == 4,
            timeout=40,
            what="all four to complete",
        )
        for gen in Generation.objects.filter(pk__in=ids):
            assert [r["status"] for r in gen.request_ids if r["method"] == "POST"] == [201]
            assert gen.outputs.count() == 1
    finally:
        finish_worker(request, w2)
