"""The pipeline's figures for `make bench` (issue 10): added latency and GETs per job, for a
spread of job durations and for predictable ones, against a plain 2 s poll in the same run.

Real time, no scaling: a real `studio_worker` process on a throwaway SQLite database (ORM
broker) with the in-process simulator, whose `[simulate:seconds_N]` trigger gives each job
its duration. The upstream completion moment is exact (the simulated job's creation + N),
so the added latency is the row's `completed_at` (output and thumbnail stored) minus it.
The plain 2 s poll runs after it in this process on a twin set of jobs (the same
durations): a GET every 2 s from submit, then the same download and store.

BENCH_JOBS (default 50) jobs per measured wave, after a warm-up wave that the studio learns
the durations from (BENCH_WARMUP, default 10).
"""

from __future__ import annotations

import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
WORK = Path(tempfile.mkdtemp(prefix="studio-bench-pipeline-"))
os.environ["DATABASE_URL"] = f"sqlite:///{WORK / 'bench.sqlite3'}"
os.environ["MEDIA_ROOT"] = str(WORK / "media")
os.environ.pop("LUMA_AGENTS_API_KEY", None)
os.environ.pop("REDIS_URL", None)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "studio.settings")
os.environ.setdefault("STUDIO_UPSTREAM_MAX_CONCURRENT_JOBS", "0")
# The worker refuses the development key with DEBUG off; a throwaway key for this run.
os.environ.setdefault("DJANGO_SECRET_KEY", os.urandom(32).hex())
os.environ.setdefault("STUDIO_UPSTREAM_POSTS_PER_MINUTE", "0")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.urls import get_resolver  # noqa: E402
from django.utils import timezone  # noqa: E402

from studio.core import processes  # noqa: E402
from studio.generations import outputs, services  # noqa: E402
from studio.generations.models import FINAL, Generation  # noqa: E402
from studio.simulator.models import SimulatedJob  # noqa: E402
from studio.upstream.client import get_client, new_request_id  # noqa: E402

WORKER: subprocess.Popen | None = None
JOBS = int(os.environ.get("BENCH_JOBS", "50"))
WARMUP = int(os.environ.get("BENCH_WARMUP", "10"))
DATA = {
    "type": "image",
    "aspect_ratio": "1:1",
    "style": "auto",
    "model": "uni-1",
    "output_format": "png",
    "web_search": False,
}


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def studio_wave(user, durations: list[float], tag: str) -> list[Generation]:
    gens = [
        services.create_generation(
            user=user, data={**DATA, "prompt": f"{tag} {i} [simulate:seconds_{d:.1f}]"}
        )
        for i, d in enumerate(durations)
    ]
    ids = [g.pk for g in gens]
    deadline = time.monotonic() + max(durations) + 120
    while Generation.objects.filter(pk__in=ids, state__in=FINAL).count() < len(ids):
        if WORKER and WORKER.poll() is not None:
            raise SystemExit(f"the worker exited ({WORKER.returncode}): see {WORK}/worker.log")
        if time.monotonic() > deadline:
            raise SystemExit(f"{tag}: not all finished in time")
        time.sleep(0.5)
    return list(Generation.objects.filter(pk__in=ids))


def studio_figures(gens: list[Generation]) -> tuple[list[float], list[float], list[float]]:
    latencies, gets_per_s, seen = [], [], []
    for gen in gens:
        job = SimulatedJob.objects.get(pk=gen.upstream_id)
        seconds = float(gen.prompt.rsplit("seconds_", 1)[1].rstrip("]"))
        done_upstream = job.created_at + timezone.timedelta(seconds=seconds)
        latencies.append((gen.completed_at - done_upstream).total_seconds())
        # The GET that saw it completed set last_polled_at (the download does not poll).
        seen.append((gen.last_polled_at - done_upstream).total_seconds())
        gets = sum(1 for r in gen.request_ids if r["method"] == "GET")
        gets_per_s.append(gets / seconds)
    return latencies, gets_per_s, seen


def plain_poll_wave(user, durations: list[float], tag: str, out: dict) -> None:
    """The baseline: POST, then GET every 2 s; on completion download and store."""
    client = get_client()
    results = []
    # Import the URLconf here, once: fifty threads doing it at once trip over each other.
    len(get_resolver().url_patterns)

    def one(i: int, d: float) -> None:
        prompt = f"{tag} {i} [simulate:seconds_{d:.1f}]"
        answer = client.create_generation({**DATA, "prompt": prompt}, request_id=new_request_id())
        job_id = answer["id"]
        created = SimulatedJob.objects.get(pk=job_id).created_at
        gets = 0
        while True:
            time.sleep(2.0)
            gets += 1
            asked = timezone.now()
            answer = client.get_generation(job_id, request_id=new_request_id())
            if answer["state"] == "completed":
                break
        # Saved as completed at once: a pending row would be picked up by the studio_worker.
        gen = Generation.objects.create(
            user=user, prompt=prompt, upstream_id=job_id, state="completed"
        )
        with client.download(answer["output"][0]["url"]) as fh:
            outputs.store_output(gen, 0, fh).save()
        done = created + timezone.timedelta(seconds=d)
        results.append(
            ((timezone.now() - done).total_seconds(), gets / d, (asked - done).total_seconds())
        )

    threads = [threading.Thread(target=one, args=(i, d)) for i, d in enumerate(durations)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    out[tag] = results


def line(name: str, latencies: list[float], gets_per_s: list[float], seen: list[float]) -> str:
    return (
        f"{name:<34} added latency p50 {statistics.median(latencies):5.2f} s  "
        f"p95 {pct(latencies, 0.95):5.2f} s  max {max(latencies):5.2f} s | "
        f"seen by a GET p50 {statistics.median(seen):4.2f} p95 {pct(seen, 0.95):4.2f} s | "
        f"GETs per s of job {sum(gets_per_s) / len(gets_per_s):.3f}"
    )


def peak_rss_mb(pid: int) -> float:
    for entry in Path(f"/proc/{pid}/status").read_text().splitlines():
        if entry.startswith("VmHWM:"):
            return int(entry.split()[1]) / 1024
    return 0.0


def main() -> None:
    call_command("migrate", verbosity=0)
    user, _ = get_user_model().objects.get_or_create(username="bench")
    log = open(WORK / "worker.log", "wb")  # noqa: SIM115
    global WORKER
    worker = WORKER = processes.start(
        [sys.executable, str(ROOT / "manage.py"), "studio_worker"],
        env=dict(os.environ),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    rng = random.Random(10)
    print(
        f"Pipeline benchmark ({os.cpu_count()} CPUs, SQLite + ORM broker, "
        f"{timezone.now():%Y-%m-%d %H:%M} UTC): {JOBS} jobs per wave, real time"
    )
    try:
        time.sleep(5)
        for label, make in [
            ("spread 10-90 s", lambda: rng.uniform(10, 90)),
            ("predictable 40 s +-20 %", lambda: rng.uniform(32, 48)),
        ]:
            warm = [make() for _ in range(WARMUP)]
            # The warm-up uses the model's type; learning is per model and type.
            model = "uni-1" if label.startswith("spread") else "uni-1-max"
            DATA["model"] = model
            studio_wave(user, warm, f"warm-up {label}")
            durations = [make() for _ in range(JOBS)]
            gens = studio_wave(user, durations, f"studio {label}")
            # Then the baseline on the same durations: one after the other, so neither
            # slows the other down (one SQLite file, two CPUs).
            baseline: dict = {}
            plain_poll_wave(user, durations, f"plain {label}", baseline)
            print(line(f"studio, {label}", *studio_figures(gens)), flush=True)
            rows = baseline[f"plain {label}"]
            print(line(f"plain 2 s poll, {label}", *map(list, zip(*rows, strict=True))), flush=True)
        print(
            f"studio_worker peak RSS (its poller and download threads): "
            f"{peak_rss_mb(worker.pid):.0f} MB"
        )
    finally:
        processes.stop(worker, grace=10)


if __name__ == "__main__":
    main()
