"""The gallery at 10,000 and 100,000 generations for one person: page time and queries; then
a search over those 100,000 and a collection of 10,000 items, each against the same page at 50
items measured in the same run (target: first page p50 within 1.2x).

Run by bench/run.py once per database (DATABASE_URL set by it: SQLite, then PostgreSQL when
it answers). Through Django's test client, like the other page benchmarks.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "studio.settings")
os.environ.pop("REDIS_URL", None)

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from bench.measure import count_queries, row, timed  # noqa: E402
from bench.seed import bench_user, bulk_gallery  # noqa: E402

SIZES = (10_000, 100_000)
TARGET_RATIO = 1.2


def main() -> None:
    from studio.generations.gallery import PAGE_SIZE, encode_cursor
    from studio.generations.models import Generation

    call_command("migrate", verbosity=0)
    engine = connection.vendor
    user = bench_user("bench-gallery")
    client = Client()
    client.force_login(user)
    htmx = {"HTTP_HX_REQUEST": "true"}
    have = 0
    oldest = None
    for total in SIZES:
        started = time.monotonic()
        # Older rows below the ones already there, so the newest page stays the same.
        bulk_gallery(user, total - have, newest=oldest)
        have = total
        oldest = Generation.objects.filter(user=user).order_by("created_at").first().created_at
        if engine == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        seeded = time.monotonic() - started
        queries = count_queries(lambda: client.get("/"))
        med, worst = timed(lambda: client.get("/"))
        row(f"{engine}: studio page, {total:,} generations", med, worst, f"{queries} queries")
        deep = Generation.objects.filter(user=user).order_by("created_at", "id")[PAGE_SIZE]
        url = f"/?cursor={encode_cursor(deep)}"
        queries = count_queries(lambda url=url: client.get(url, **htmx))
        med, worst = timed(lambda url=url: client.get(url, **htmx))
        row(
            f"{engine}: load more at the end, {total:,}",
            med,
            worst,
            f"{queries} queries (seeded in {seeded:.0f} s)",
        )

    bench_search_and_collection(engine, user)


def paired(fn_small, fn_big, repeat: int = 31) -> tuple[float, float, float]:
    """Medians (ms) of two pages measured in turn, so that a loaded machine's swings fall on
    both alike; and the worst of the big one."""
    fn_small(), fn_big()
    small, big = [], []
    for _ in range(repeat):
        for fn, samples in ((fn_small, small), (fn_big, big)):
            start = time.perf_counter()
            fn()
            samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(small), statistics.median(big), max(big)


def explain_slowest(fn) -> None:
    """What the slowest query of one request does (PostgreSQL's plan, with timings)."""
    connection.queries_log.clear()
    with CaptureQueriesContext(connection) as ctx:
        fn()
    slowest = max(ctx.captured_queries, key=lambda q: float(q["time"]))
    print(f"  slowest query ({float(slowest['time']) * 1000:.1f} ms): {slowest['sql'][:300]}…")
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + slowest["sql"])
        for (line,) in cursor.fetchall():
            print("   ", line)


def bench_search_and_collection(engine: str, big_user) -> None:
    """The first page of a search over 100,000 generations and of a collection of 10,000
    items, each against the same page when the gallery (or collection) holds 50 items."""
    from studio.collections.models import Collection, CollectionItem
    from studio.generations.models import Generation

    small_user = bench_user("bench-small")
    bulk_gallery(small_user, 50, subject="fox")

    def collection_of(user, size: int) -> Collection:
        box = Collection.objects.create(user=user, name=f"{size:,} items")
        ids = (
            Generation.objects.filter(user=user)
            .order_by("-created_at")
            .values_list("pk", flat=True)
        )
        items = [
            CollectionItem(collection=box, generation_id=pk, position=-i)
            for i, pk in enumerate(ids[:size])
        ]
        CollectionItem.objects.bulk_create(items, batch_size=5000)
        return box

    small_box, big_box = collection_of(small_user, 50), collection_of(big_user, 10_000)
    if engine == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    small, big = Client(), Client()
    small.force_login(small_user)
    big.force_login(big_user)
    matches = Generation.objects.filter(user=big_user, prompt__contains=" fox ").count()
    cases = [
        (f"search 'fox' ({matches:,} of 100,000 match)", "/?q=fox", "/?q=fox"),
        ("search 'dusk' (every one matches)", "/?q=dusk", "/?q=dusk"),
        ("search 'fox' + ratio 1:1", "/?q=fox&ratio=1:1", "/?q=fox&ratio=1:1"),
        (
            "collection page, 10,000 items",
            f"/collections/{small_box.pk}/",
            f"/collections/{big_box.pk}/",
        ),
    ]
    for name, small_url, big_url in cases:
        assert small.get(small_url).status_code == 200 and big.get(big_url).status_code == 200
        queries = count_queries(lambda url=big_url: big.get(url))
        base, med, worst = paired(lambda u=small_url: small.get(u), lambda u=big_url: big.get(u))
        ratio = med / base
        verdict = "meets" if ratio <= TARGET_RATIO else "MISSES"
        print(
            f"{engine}: {name:<44} p50 {med:7.1f} ms (max {worst:7.1f}) vs {base:7.1f} ms at 50:"
            f" x{ratio:.2f}, {verdict} x{TARGET_RATIO}; {queries} queries",
            flush=True,
        )
        if ratio > TARGET_RATIO and engine == "postgresql":
            explain_slowest(lambda url=big_url: big.get(url))


if __name__ == "__main__":
    main()
