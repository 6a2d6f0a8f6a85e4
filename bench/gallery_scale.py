"""The gallery at 10,000 and 100,000 generations for one person: page time and queries.

Run by bench/run.py once per database (DATABASE_URL set by it: SQLite, then PostgreSQL when
it answers). Through Django's test client, like the other page benchmarks.
"""

from __future__ import annotations

import os
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

from bench.measure import count_queries, row, timed  # noqa: E402
from bench.seed import bench_user, bulk_gallery  # noqa: E402

SIZES = (10_000, 100_000)


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


if __name__ == "__main__":
    main()
