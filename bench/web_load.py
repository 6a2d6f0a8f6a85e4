"""Web throughput: gunicorn over real HTTP under a bounded load script.

Each simulated person has a signed-in session and a gallery with 4 cards in flight; they
load the studio page every 10 s and poll those cards every 2 s (what the page's htmx does),
so 50 people make about 30 requests a second. First 50 people for `--seconds` (120), then
steps of x2, x4, x8 for `--step-seconds` (60) each, stopping at the first step that misses
a target: no error, p95 under 150 ms for the page and under 50 ms for the poll.

PostgreSQL + Redis when they answer on 127.0.0.1 (BENCH_PG_URL, a database this script drops
and recreates, default postgres://postgres@127.0.0.1:5432/studio_bench; BENCH_REDIS_URL,
default redis://127.0.0.1:6379/15), else SQLite. Prints figures; writes nothing else.
"""

from __future__ import annotations

import argparse
import os
import random
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PAGE_P95_MS = 150
POLL_P95_MS = 50
PAGE_EVERY = 10.0
POLL_EVERY = 2.0
IN_FLIGHT = 4
SECRET = "bench-only-secret-key-not-for-production-0123456789abcdef"


def reachable(url: str, default_port: int) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname, parts.port or default_port), 1):
            return True
    except OSError:
        return False


def recreate_postgres(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = url.replace(parts.path, "/postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def configure() -> str:
    """Point this process (and gunicorn, through the environment) at the bench database."""
    pg = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/studio_bench")
    redis = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/15")
    if reachable(pg, 5432) and reachable(redis, 6379):
        recreate_postgres(pg)
        os.environ.update(DATABASE_URL=pg, REDIS_URL=redis)
        label = "PostgreSQL + Redis"
    else:
        work = Path(tempfile.mkdtemp(prefix="studio-load-"))
        os.environ["DATABASE_URL"] = f"sqlite:///{work / 'load.sqlite3'}"
        os.environ.pop("REDIS_URL", None)
        label = "SQLite (PostgreSQL or Redis not reachable)"
    os.environ.update(
        DJANGO_SECRET_KEY=SECRET,
        DJANGO_DEBUG="0",
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        MEDIA_ROOT=tempfile.mkdtemp(prefix="studio-load-media-"),
        DJANGO_SETTINGS_MODULE="studio.settings",
    )
    os.environ.pop("LUMA_AGENTS_API_KEY", None)
    os.environ.pop("STUDIO_S3_BUCKET", None)
    return label


def people(count: int) -> list[tuple[str, list[int]]]:
    """`count` signed-in people, each a session cookie and the ids of 4 in-flight cards."""
    from bench.seed import bench_user, bulk_gallery, session_for

    made = []
    for i in range(count):
        user = bench_user(f"load-{i}")
        ids = bulk_gallery(user, 24 + IN_FLIGHT, in_flight=IN_FLIGHT)
        made.append((session_for(user), ids))
    return made


class Recorder:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.samples: dict[str, list[float]] = {"page": [], "poll": []}
        self.errors: dict[str, int] = {"page": 0, "poll": 0}

    def add(self, endpoint: str, ms: float, ok: bool) -> None:
        with self.lock:
            self.samples[endpoint].append(ms)
            if not ok:
                self.errors[endpoint] += 1


def person(base: str, session_key: str, ids: list[int], stop_at: float, rec: Recorder) -> None:
    import requests

    http = requests.Session()
    http.cookies.set("sessionid", session_key, domain="127.0.0.1", path="/")
    poll_url = f"{base}/gallery/poll/?ids={','.join(map(str, ids))}"
    now = time.monotonic()
    # Spread the first requests so people do not all arrive in the same instant.
    next_page, next_poll = now + random.uniform(0, PAGE_EVERY), now + random.uniform(0, POLL_EVERY)
    while True:
        due = min(next_page, next_poll)
        if due >= stop_at:
            return
        time.sleep(max(0.0, due - time.monotonic()))
        if next_page <= next_poll:
            endpoint, url, headers = "page", f"{base}/", {}
            next_page += PAGE_EVERY
        else:
            endpoint, url, headers = "poll", poll_url, {"HX-Request": "true"}
            next_poll += POLL_EVERY
        started = time.perf_counter()
        try:
            answer = http.get(url, headers=headers, timeout=10, allow_redirects=False)
            ok = answer.status_code == 200
        except requests.RequestException:
            ok = False
        rec.add(endpoint, (time.perf_counter() - started) * 1000, ok)


def cpu_ticks(root_pid: int) -> int:
    """utime + stime of `root_pid` and its direct children (gunicorn's master and workers)."""
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid, ppid = int(entry.name), int(fields[1])
        if pid == root_pid or ppid == root_pid:
            total += int(fields[11]) + int(fields[12])
    return total


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def run_step(base: str, crowd, seconds: float, server_pid: int) -> dict:
    rec = Recorder()
    stop_at = time.monotonic() + seconds
    ticks0, cpu0, wall0 = cpu_ticks(server_pid), time.process_time(), time.monotonic()
    threads = [
        threading.Thread(target=person, args=(base, key, ids, stop_at, rec), daemon=True)
        for key, ids in crowd
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.monotonic() - wall0
    hz = os.sysconf("SC_CLK_TCK")
    result = {
        "users": len(crowd),
        "seconds": wall,
        "rps": sum(len(v) for v in rec.samples.values()) / wall,
        "loadgen_cpu": (time.process_time() - cpu0) / wall * 100,
        "server_cpu": (cpu_ticks(server_pid) - ticks0) / hz / wall * 100,
    }
    for endpoint, values in rec.samples.items():
        result[endpoint] = {
            "n": len(values),
            "p50": percentile(values, 50),
            "p95": percentile(values, 95),
            "max": max(values) if values else float("nan"),
            "errors": rec.errors[endpoint],
        }
    result["ok"] = (
        result["page"]["errors"] == 0
        and result["poll"]["errors"] == 0
        and result["page"]["p95"] < PAGE_P95_MS
        and result["poll"]["p95"] < POLL_P95_MS
    )
    return result


def report(r: dict) -> None:
    print(
        f"{r['users']:>4} users, {r['seconds']:.0f} s: {r['rps']:6.1f} req/s   "
        f"load generator CPU {r['loadgen_cpu']:.0f}%   gunicorn CPU {r['server_cpu']:.0f}%   "
        f"{'meets the targets' if r['ok'] else 'MISSES a target'}",
        flush=True,
    )
    for endpoint in ("page", "poll"):
        e = r[endpoint]
        print(
            f"       {endpoint:<4} n={e['n']:<6} p50 {e['p50']:7.1f} ms   p95 {e['p95']:7.1f} ms"
            f"   max {e['max']:7.1f} ms   errors {e['errors']}",
            flush=True,
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--step-seconds", type=float, default=60)
    parser.add_argument("--steps", default="2,4,8", help="multiples of --users after the first")
    parser.add_argument("--gunicorn-workers", type=int, default=2 * (os.cpu_count() or 1) + 1)
    args = parser.parse_args(argv)
    steps = [int(s) for s in args.steps.split(",") if s.strip()]

    label = configure()
    import django

    django.setup()
    from django.core.management import call_command

    from tests.deploy.stack import Gunicorn
    from tests.s3 import free_port

    call_command("migrate", verbosity=0)
    most = args.users * max([1, *steps])
    started = time.monotonic()
    crowd = people(most)
    print(
        f"Web throughput: gunicorn ({args.gunicorn_workers} sync workers) over HTTP, {label}, "
        f"{os.cpu_count()} CPUs; {most} people seeded in {time.monotonic() - started:.0f} s",
        flush=True,
    )
    web = Gunicorn(dict(os.environ), port=free_port(), workers=args.gunicorn_workers)
    try:
        web.wait_healthy()
        first = run_step(web.url, crowd[: args.users], args.seconds, web.proc.pid)
        report(first)
        if not first["ok"]:
            return 0
        for factor in steps:
            r = run_step(web.url, crowd[: args.users * factor], args.step_seconds, web.proc.pid)
            report(r)
            if not r["ok"]:
                print(f"       stopped at x{factor}: the first step that misses a target")
                break
    finally:
        web.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
