"""500 jobs at once for `make bench`: two `studio_worker` processes, the fake
provider (bench/fake_upstream.py, its own process) with a fixed short job time.

The jobs are created through the service layer (`services.create_generation`, as the web
form's view does after its checks, so the per-person rate limit does not apply). Printed:
the time until all are completed, POSTs per generation counted at the upstream (each must
be exactly 1), the added latency (row completed with its files stored, minus the moment
the upstream job completed) p50 / p95 / max, and the evidence that no worker is held per
in-flight job: the peak of jobs in flight at the upstream against the django-q worker
processes and the threads of both studio_workers, and the tasks waiting in the broker
while those jobs were in flight.

`--postgres`: on PostgreSQL + Redis (BENCH_PG_URL, a database this script drops and
recreates, default postgres://postgres@127.0.0.1:5432/studio_bench; BENCH_REDIS_URL,
default redis://127.0.0.1:6379/15, flushed), skipped when they do not answer. Otherwise
SQLite + ORM broker. BENCH_BURST_JOBS (500), BENCH_BURST_SECONDS (job time, 10) and
BENCH_BURST_SIDE (output size in px, 2048) make a shorter run possible. The provider's
request budget is left at its defaults except POSTs per minute and jobs at once (off: the
point is 500 jobs in flight together); GETs per second stay at STUDIO_UPSTREAM_GETS_PER_SECOND.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import pipeline_stack  # noqa: E402

POSTGRES = "--postgres" in sys.argv
if POSTGRES and not pipeline_stack.postgres_available():
    print("500 jobs at once, PostgreSQL + Redis: skipped (not reachable on 127.0.0.1)")
    raise SystemExit(0)
os.environ.setdefault("STUDIO_UPSTREAM_MAX_CONCURRENT_JOBS", "0")
os.environ.setdefault("STUDIO_UPSTREAM_POSTS_PER_MINUTE", "0")
STACK = pipeline_stack.configure(postgres=POSTGRES, prefix="studio-bench-burst-")

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connections  # noqa: E402
from django.utils import timezone  # noqa: E402
from django_q.brokers import get_broker  # noqa: E402

from bench.pipeline_stack import (  # noqa: E402
    JOB_DATA,
    descendants,
    load_average,
    spread,
    threads_of,
    verdict,
)
from studio.generations import services  # noqa: E402
from studio.generations.models import FINAL, IN_FLIGHT, Generation  # noqa: E402

JOBS = int(os.environ.get("BENCH_BURST_JOBS", "500"))
SECONDS = float(os.environ.get("BENCH_BURST_SECONDS", "10"))
SIDE = int(os.environ.get("BENCH_BURST_SIDE", "2048"))
WORKERS = 2


class Sampler(threading.Thread):
    """Every half second: rows in flight, tasks waiting in the broker, and the processes
    and threads of both studio_workers (qcluster and its pool included)."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.stop = threading.Event()
        self.samples: list[tuple[int, int, int, int]] = []

    def run(self) -> None:
        broker = get_broker()
        while not self.stop.wait(0.5):
            pids = [p for w in STACK.workers for p in [w.pid, *descendants(w.pid)]]
            in_flight = Generation.objects.filter(state__in=IN_FLIGHT).count()
            self.samples.append((in_flight, broker.queue_size() or 0, len(pids), threads_of(pids)))
        connections.close_all()


def upstream_peak(jobs: list[dict]) -> int:
    """The most jobs running at the upstream at one moment."""
    events = sorted(
        [(j["created"], 1) for j in jobs] + [(j["created"] + j["seconds"], -1) for j in jobs]
    )
    running = peak = 0
    for _, step in events:
        running += step
        peak = max(peak, running)
    return peak


def main() -> None:
    user, _ = get_user_model().objects.get_or_create(username="bench")
    files = STACK.start_upstream(images=8, bits=4, seconds=SECONDS, side=SIDE)
    for _ in range(WORKERS):
        STACK.start_worker()
    size = sum(f.stat().st_size for f in files) / len(files) / 1e6
    time.sleep(5)
    # A few first, so the studio has learned the job time, as it would have in production.
    warm = [
        services.create_generation(user=user, data={**JOB_DATA, "prompt": f"warm-up {i}"}).pk
        for i in range(5)
    ]
    while Generation.objects.filter(pk__in=warm, state__in=FINAL).count() < len(warm):
        STACK.check_workers()
        time.sleep(0.5)
    sampler = Sampler()
    sampler.start()
    started = time.time()
    ids = [
        services.create_generation(user=user, data={**JOB_DATA, "prompt": f"burst {i}"}).pk
        for i in range(JOBS)
    ]
    created = time.time() - started
    deadline = time.monotonic() + SECONDS + 900
    while Generation.objects.filter(pk__in=ids, state__in=FINAL).count() < JOBS:
        STACK.check_workers()
        if time.monotonic() > deadline:
            raise SystemExit("not all finished in 15 minutes")
        time.sleep(0.5)
    sampler.stop.set()
    sampler.join()
    gens = list(Generation.objects.filter(pk__in=ids))
    stats = STACK.stats()
    jobs = stats["by_prompt"]
    failed = [g for g in gens if g.state != "completed"]
    posts = [stats["posts"].get(g.prompt, 0) for g in gens]
    done = [g for g in gens if g.state == "completed"]
    latencies = [
        g.completed_at.timestamp() - jobs[g.prompt]["created"] - jobs[g.prompt]["seconds"]
        for g in done
    ]
    seen = [
        g.last_polled_at.timestamp() - jobs[g.prompt]["created"] - jobs[g.prompt]["seconds"]
        for g in done
    ]
    last = max(g.completed_at.timestamp() for g in done) - started
    gets = sum(jobs[g.prompt]["gets"] for g in gens) / len(gens)
    peak = upstream_peak([jobs[g.prompt] for g in gens])
    busiest = max(sampler.samples)
    print(
        f"500 jobs at once, {STACK.label} ({os.cpu_count()} CPUs, "
        f"{timezone.now():%Y-%m-%d %H:%M} UTC, load average {load_average()}): {JOBS} jobs of "
        f"{SECONDS:g} s, {WORKERS} studio_workers x {settings.Q_CLUSTER['workers']} django-q "
        f"workers, {SIDE}-px PNGs of {size:.1f} MB, GET budget "
        f"{settings.UPSTREAM_GETS_PER_SECOND:g}/s"
    )
    print(
        f"  created in {created:.1f} s; all completed {last:.1f} s after the first was created; "
        f"{len(done)} completed, {len(failed)} failed"
        + (f" (first: {failed[0].failure_code} {failed[0].failure_reason})" if failed else "")
    )
    print(
        f"  POSTs per generation at the upstream: min {min(posts)} max {max(posts)} "
        f"{verdict(set(posts) == {1})}; GETs per job {gets:.1f}"
    )
    print(f"  added latency {spread(latencies)} | seen by a GET {spread(seen)}")
    print(
        f"  jobs in flight at the upstream at once: peak {peak}; when the most rows were in "
        f"flight ({busiest[0]}): {busiest[1]} tasks waiting in the broker, both workers "
        f"{busiest[2]} processes / {busiest[3]} threads (at most "
        f"{max(s[3] for s in sampler.samples)} threads in the run) "
        f"{verdict(busiest[0] > max(s[3] for s in sampler.samples))} no worker held per job"
    )


if __name__ == "__main__":
    try:
        main()
    finally:
        STACK.stop()
