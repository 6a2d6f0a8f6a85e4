"""What the pipeline benchmarks share (bench/pipeline.py, pipeline_burst.py,
pipeline_memory.py): a throwaway database, the fake provider in a process of its own
(bench/fake_upstream.py, serving PNGs rendered before it starts), real `studio_worker`
processes pointed at it, and the figures taken from both ends.

Call `configure(...)` before importing anything of Django: it sets the environment the
settings are read from, then sets Django up and migrates.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.fake_upstream import make_images  # noqa: E402
from bench.web_load import reachable, recreate_postgres  # noqa: E402

# Pre-rendered outputs are kept between runs (rendering noise is slow), not the databases.
IMAGES = Path(tempfile.gettempdir()) / "studio-bench-images"
# What each benchmark job asks for (its prompt aside).
JOB_DATA = {
    "type": "image",
    "aspect_ratio": "1:1",
    "style": "auto",
    "model": "uni-1",
    "output_format": "png",
    "web_search": False,
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Stack:
    """The fake upstream and the studio_worker processes of one benchmark run."""

    def __init__(self, work: Path, label: str) -> None:
        self.work = work
        self.label = label
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.upstream: subprocess.Popen | None = None
        self.workers: list[subprocess.Popen] = []

    def start_upstream(
        self, *, images: int, bits: int, seconds: float, side: int = 2048
    ) -> list[Path]:
        from studio.core import processes

        files = make_images(IMAGES / f"{side}px-{bits}bit", images, side=side, bits=bits)
        folder = files[0].parent
        log = (self.work / "upstream.log").open("ab")
        self.upstream = processes.start_logged(
            [
                sys.executable,
                str(ROOT / "bench" / "fake_upstream.py"),
                f"--port={self.port}",
                f"--images={folder}",
                f"--seconds={seconds}",
            ],
            log=log,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return files
            time.sleep(0.1)
        raise SystemExit(f"the fake upstream did not start: see {self.work}/upstream.log")

    def start_worker(self, env: dict[str, str] | None = None) -> subprocess.Popen:
        from studio.core import processes

        n = len(self.workers)
        log = (self.work / f"worker{n}.log").open("ab")
        proc = processes.start_logged(
            [sys.executable, str(ROOT / "manage.py"), "studio_worker"],
            log=log,
            env={**os.environ, **(env or {})},
        )
        self.workers.append(proc)
        return proc

    def check_workers(self) -> None:
        for n, proc in enumerate(self.workers):
            if proc.poll() is not None:
                raise SystemExit(
                    f"worker {n} exited ({proc.returncode}): see {self.work}/worker{n}.log"
                )

    def stats(self) -> dict:
        with urllib.request.urlopen(f"{self.base}/_stats", timeout=30) as answer:
            data = json.load(answer)
        data["by_prompt"] = {job["prompt"]: job for job in data["jobs"]}
        return data

    def stop(self) -> None:
        from studio.core import processes

        processes.stop(self.workers, grace=15)
        if self.upstream is not None:
            processes.stop(self.upstream, grace=3)


def configure(*, postgres: bool = False, prefix: str = "studio-bench-pipeline-") -> Stack:
    """Point this process (and the workers, through the environment) at a fresh database
    and at a fake upstream on a port of its own; set Django up and migrate."""
    work = Path(tempfile.mkdtemp(prefix=prefix))
    if postgres:
        pg = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/studio_bench")
        redis = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/15")
        recreate_postgres(pg)
        import redis as redis_client

        redis_client.Redis.from_url(redis).flushdb()
        os.environ.update(DATABASE_URL=pg, REDIS_URL=redis)
        label = "PostgreSQL + Redis"
    else:
        os.environ["DATABASE_URL"] = f"sqlite:///{work / 'bench.sqlite3'}"
        os.environ.pop("REDIS_URL", None)
        label = "SQLite + ORM broker"
    stack = Stack(work, label)
    os.environ.update(
        MEDIA_ROOT=str(work / "media"),
        DJANGO_SETTINGS_MODULE="studio.settings",
        # A real provider's key and address: no simulator anywhere in the studio.
        LUMA_AGENTS_API_KEY="bench-fake-upstream-key",
        LUMA_BASE_URL=f"{stack.base}/v1",
        PYTHONUNBUFFERED="1",
    )
    os.environ.pop("STUDIO_S3_BUCKET", None)
    # The worker refuses the development key with DEBUG off; a throwaway key for this run.
    os.environ.setdefault("DJANGO_SECRET_KEY", os.urandom(32).hex())
    import django

    django.setup()
    import logging

    from django.core.management import call_command

    # This process's own log (a line per row created) would drown the figures.
    logging.getLogger("studio").setLevel(logging.WARNING)
    call_command("migrate", verbosity=0)
    return stack


def postgres_available() -> bool:
    pg = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/studio_bench")
    redis = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/15")
    return reachable(pg, 5432) and reachable(redis, 6379)


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def spread(values: list[float]) -> str:
    return (
        f"p50 {statistics.median(values):5.2f} s  p95 {pct(values, 0.95):5.2f} s  "
        f"max {max(values):5.2f} s"
    )


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def rss_mb(pid: int, field: str = "VmRSS") -> float:
    try:
        for entry in Path(f"/proc/{pid}/status").read_text().splitlines():
            if entry.startswith(f"{field}:"):
                return int(entry.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def descendants(pid: int) -> list[int]:
    """Every process below `pid` (a studio_worker's qcluster, its sentinel and pool)."""
    from studio.generations.management.commands.studio_worker import _descendants

    return _descendants(pid)


def threads_of(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            total += len(os.listdir(f"/proc/{pid}/task"))
    return total


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())
