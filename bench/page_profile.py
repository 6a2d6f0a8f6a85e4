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
    parser.add_argument(
        "--asgi",
        action="store_true",
        help="also the same requests through Django's ASGI handler and through studio.asgi",
    )
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
    if args.asgi:
        asgi_overhead(
            client,
            [
                ("/", ""),
                ("/gallery/poll/", poll_url.split("?", 1)[1]),
                ("/gallery/poll/", drawn_url.split("?", 1)[1]),
            ],
            args.runs,
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


def asgi_overhead(client, requests: list[tuple[str, str]], runs: int) -> None:  # noqa: C901
    """The same requests (page, 204 poll, poll that draws) through Django's own ASGI handler
    and through studio.asgi (sync views on the WSGI handler, on a pool thread), in turn in
    blocks in this process, so that what else the machine does weighs on both alike. CPU is
    this process's, its threads' included."""
    import asyncio

    from django.core.asgi import get_asgi_application

    import studio.asgi

    apps = {"Django's ASGI handler": get_asgi_application(), "studio.asgi": studio.asgi.application}
    cookie = "; ".join(f"{k}={v.value}" for k, v in client.cookies.items()).encode()
    loop = asyncio.new_event_loop()

    async def one(app, path: str, query: str) -> int:
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": query.encode(),
            "root_path": "",
            "headers": [(b"host", b"testserver"), (b"cookie", cookie), (b"hx-request", b"true")],
            "client": ("127.0.0.1", 40000),
            "server": ("testserver", 80),
        }
        sent, ended = [], asyncio.Event()

        async def receive():
            if not sent and not ended.is_set():
                ended.set()
                return {"type": "http.request", "body": b"", "more_body": False}
            await asyncio.Event().wait()  # no disconnect until the answer is sent

        async def send(message):
            sent.append(message)

        await app(scope, receive, send)
        return sent[0]["status"]

    samples: dict[str, list[float]] = {name: [] for name in apps}
    blocks = 5
    for _ in range(blocks):
        for name, app in apps.items():
            for path, query in requests:
                for _ in range(3):  # warm
                    loop.run_until_complete(one(app, path, query))
                for _ in range(max(1, runs // blocks)):
                    start = time.process_time()
                    status = loop.run_until_complete(one(app, path, query))
                    samples[name].append((time.process_time() - start) * 1000)
                    assert status in (200, 204), status
    print("Page, 204 poll and drawing poll in turn, through each ASGI entry point (CPU a request):")
    for name, values in samples.items():
        mean, p50 = statistics.fmean(values), statistics.median(values)
        print(f"  {name:<28} mean {mean:6.2f} ms   p50 {p50:6.2f} ms")
    loop.close()


if __name__ == "__main__":
    main()
