"""The studio page's CPU, in-process: DEBUG off, a gallery of 24
cards of which 4 in flight, the page requested through Django's test client (every
middleware, the session and the user from the database), on a throwaway SQLite database.

Prints the CPU time (time.process_time: this process only, so other work on the machine
does not count) per page and per poll at p50 / p95 over `--runs` requests, the queries of
each, and with --profile the functions that took the most CPU (cProfile, cumulative).

    .venv/bin/python bench/page_profile.py [--runs 200] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
WORK = Path(tempfile.mkdtemp(prefix="studio-profile-"))
os.environ.update(
    DATABASE_URL=f"sqlite:///{WORK / 'profile.sqlite3'}",
    MEDIA_ROOT=str(WORK / "media"),
    DJANGO_DEBUG="0",
    DJANGO_SECRET_KEY="profile-only-secret-key-not-for-production-0123456789",
    DJANGO_SETTINGS_MODULE="studio.settings",
    # Not one access line per request on the terminal.
    STUDIO_LOG_LEVEL="WARNING",
)
for name in ("LUMA_AGENTS_API_KEY", "REDIS_URL", "STUDIO_S3_BUCKET", "PROMETHEUS_MULTIPROC_DIR"):
    os.environ.pop(name, None)

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402

from bench.measure import count_queries  # noqa: E402
from bench.seed import bench_user, bulk_gallery  # noqa: E402

CARDS, IN_FLIGHT = 24, 4


def cpu_ms(fn, runs: int) -> tuple[float, float]:
    """p50 and p95 of this process's CPU time for `fn`, in ms, after 5 warm-ups."""
    for _ in range(5):
        fn()
    samples = []
    for _ in range(runs):
        start = time.process_time()
        fn()
        samples.append((time.process_time() - start) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--profile", action="store_true", help="print the top of a profile")
    args = parser.parse_args()

    call_command("migrate", verbosity=0)
    user = bench_user("profile")
    in_flight = bulk_gallery(user, CARDS, in_flight=IN_FLIGHT)
    client = Client()
    client.force_login(user)
    assert client.get("/").status_code == 200
    page = lambda: client.get("/")  # noqa: E731
    ids = ",".join(map(str, in_flight))
    # As gallery.js asks: the in-flight cards with the versions drawn (none moved: a 204).
    html = client.get("/").content.decode()
    import re

    versions = dict(re.findall(r'data-generation-id="(\d+)"[^>]*?data-version="([^"]*)"', html))
    drawn_versions = ",".join(versions.get(i, "") for i in ids.split(","))
    poll_url = f"/gallery/poll/?ids={ids}&versions={drawn_versions}"
    poll = lambda: client.get(poll_url, HTTP_HX_REQUEST="true")  # noqa: E731
    drawn_url = f"/gallery/poll/?ids={ids}&versions={','.join('' for _ in in_flight)}"
    poll_drawn = lambda: client.get(drawn_url, HTTP_HX_REQUEST="true")  # noqa: E731

    print(f"Studio page CPU, in-process (DEBUG off, {CARDS} cards, {IN_FLIGHT} in flight)")
    for label, fn in (
        ("studio page", page),
        ("poll, nothing moved (204)", poll),
        (f"poll, {IN_FLIGHT} cards drawn", poll_drawn),
    ):
        p50, p95 = cpu_ms(fn, args.runs)
        status = fn().status_code
        print(
            f"  {label:<28} CPU p50 {p50:6.1f} ms   p95 {p95:6.1f} ms   "
            f"{count_queries(fn)} queries   HTTP {status}"
        )
    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(20):
            page()
        profiler.disable()
        stats = pstats.Stats(profiler).strip_dirs()
        print("\nProfile of 20 studio pages, by time spent in each function itself (top 20):")
        stats.sort_stats("tottime").print_stats(20)
        print("By time including what it called, the studio's own code (top 30):")
        stats.sort_stats("cumulative").print_stats(r"studio|templates|render|partials", 30)


if __name__ == "__main__":
    main()
