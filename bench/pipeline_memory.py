"""Worker memory for `make bench`: the peak RSS of a `studio_worker` while it
downloads and thumbnails 2048-px PNGs of random noise (incompressible, about 12.6 MB each:
larger than real outputs), several at once. Target: under 200 MB.

The fake provider (bench/fake_upstream.py, its own process) completes BENCH_MEMORY_JOBS
(default 16) jobs of 3 s together, so the worker's download threads
(STUDIO_PIPELINE_THREADS, 8) all fetch at once. The peak is the kernel's high-water mark
(VmHWM) of the studio_worker process, which runs the polling loop and the downloads; its
django-q cluster (separate processes that only send the POSTs) is reported beside it. Run
twice: with the defaults, then with every download thread allowed to decode at once
(STUDIO_PIPELINE_DECODES=8), which is what the bounded decodes save.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.pipeline_stack import (  # noqa: E402
    JOB_DATA,
    configure,
    descendants,
    load_average,
    rss_mb,
    verdict,
)

STACK = configure(prefix="studio-bench-memory-")

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.utils import timezone  # noqa: E402

from studio.generations import services  # noqa: E402
from studio.generations.models import FINAL, Generation  # noqa: E402

JOBS = int(os.environ.get("BENCH_MEMORY_JOBS", "16"))
TARGET_MB = 200


def one_run(user, tag: str, env: dict[str, str]) -> tuple[float, float, int]:
    """Peak RSS of the studio_worker and the largest of its cluster's processes, in MB."""
    worker = STACK.start_worker(env)
    time.sleep(5)
    cluster_peak = 0.0
    stop = threading.Event()

    def watch() -> None:
        nonlocal cluster_peak
        while not stop.wait(0.2):
            for pid in descendants(worker.pid):
                cluster_peak = max(cluster_peak, rss_mb(pid, "VmHWM"))

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    ids = [
        services.create_generation(user=user, data={**JOB_DATA, "prompt": f"{tag} {i}"}).pk
        for i in range(JOBS)
    ]
    deadline = time.monotonic() + 300
    while Generation.objects.filter(pk__in=ids, state__in=FINAL).count() < JOBS:
        STACK.check_workers()
        if time.monotonic() > deadline:
            raise SystemExit(f"{tag}: not all finished in 5 minutes")
        time.sleep(0.2)
    peak = rss_mb(worker.pid, "VmHWM")
    stop.set()
    watcher.join()
    completed = Generation.objects.filter(pk__in=ids, state="completed").count()
    from studio.core import processes

    processes.stop(worker, grace=15)
    STACK.workers.remove(worker)
    return peak, cluster_peak, completed


def main() -> None:
    user, _ = get_user_model().objects.get_or_create(username="bench")
    files = STACK.start_upstream(images=4, bits=8, seconds=3)
    sizes = sorted(f.stat().st_size / 1e6 for f in files)
    print(
        f"Worker memory ({os.cpu_count()} CPUs, {timezone.now():%Y-%m-%d %H:%M} UTC, load "
        f"average {load_average()}): {JOBS} jobs completing together, 2048-px PNGs of random "
        f"noise, {sizes[0]:.1f}-{sizes[-1]:.1f} MB each, "
        f"{settings.PIPELINE_THREADS} download threads",
        flush=True,
    )
    try:
        for label, env in [
            (f"defaults ({settings.PIPELINE_DECODES} decodes at once)", {}),
            ("every thread decoding at once", {"STUDIO_PIPELINE_DECODES": "8"}),
        ]:
            peak, cluster, done = one_run(user, label, env)
            print(
                f"  {label:<32} studio_worker peak RSS {peak:5.0f} MB "
                f"(target < {TARGET_MB}) {verdict(peak < TARGET_MB)}; its cluster's largest "
                f"process {cluster:.0f} MB; {done}/{JOBS} completed",
                flush=True,
            )
    finally:
        STACK.stop()


if __name__ == "__main__":
    main()
