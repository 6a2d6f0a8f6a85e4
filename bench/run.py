"""Benchmarks for `make bench`: prints what it measured on this machine.

Runs against a throwaway SQLite database and media folder, so it never touches your data.
"""

from __future__ import annotations

import io
import os
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
WORK = Path(tempfile.mkdtemp(prefix="studio-bench-"))
os.environ["DATABASE_URL"] = f"sqlite:///{WORK / 'bench.sqlite3'}"
os.environ["MEDIA_ROOT"] = str(WORK / "media")
os.environ.pop("LUMA_AGENTS_API_KEY", None)
os.environ.pop("REDIS_URL", None)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "studio.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from PIL import Image  # noqa: E402


def timed(fn, repeat: int = 15) -> tuple[float, float]:
    """Median and max wall time in ms over `repeat` runs (after one warm-up)."""
    fn()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples), max(samples)


def count_queries(fn) -> int:
    # request_started clears the query log, so start from an empty one.
    connection.queries_log.clear()
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)


def peak_rss_added(fn) -> str:
    """Growth of the process's peak resident memory while `fn` runs (Linux), which counts
    Pillow's pixel buffers too; tracemalloc would only see Python objects."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")  # reset VmHWM to the current RSS
        before = _vm("VmHWM")
        fn()
        return f"{(_vm('VmHWM') - before) / 1024:.0f} MB (peak RSS)"
    except OSError:
        tracemalloc.start()
        fn()
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return f"{peak / 1e6:.0f} MB (Python objects only)"


def _vm(field: str) -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1])  # kB
    raise OSError(f"{field} not in /proc/self/status")


def row(name: str, median: float, worst: float, extra: str = "") -> None:
    print(f"{name:<50} median {median:8.1f} ms   max {worst:8.1f} ms   {extra}", flush=True)


def bench_gallery() -> None:
    # Here, not at the top: studio modules need django.setup(), which runs after the imports.
    from studio.generations.gallery import PAGE_SIZE, encode_cursor
    from studio.generations.models import Generation

    user = get_user_model().objects.create_user("bench", password="bench-pass-1")
    client = Client()
    client.force_login(user)
    htmx = {"HTTP_HX_REQUEST": "true"}
    for total in (50, 5000):
        have = Generation.objects.filter(user=user).count()
        call_command("seed_gallery", "bench", count=total - have, seed=total, stdout=io.StringIO())
        queries = count_queries(lambda: client.get("/"))
        med, worst = timed(lambda: client.get("/"))
        row(f"studio page, {total} generations", med, worst, f"{queries} queries")
        # The second-to-last page: a keyset query costs the same at any depth.
        deep = Generation.objects.filter(user=user).order_by("created_at", "id")[PAGE_SIZE]
        url = f"/?cursor={encode_cursor(deep)}"
        queries = count_queries(lambda url=url: client.get(url, **htmx))
        med, worst = timed(lambda url=url: client.get(url, **htmx))
        row(f"load more at the end, {total} generations", med, worst, f"{queries} queries")
    ids = ",".join(str(pk) for pk in Generation.objects.values_list("pk", flat=True)[:24])
    med, worst = timed(lambda: client.get(f"/gallery/poll/?ids={ids}", **htmx))
    row("gallery poll, 24 cards", med, worst)


def bench_render() -> None:
    # Here, not at the top: studio modules need django.setup(), which runs after the imports.
    from studio.simulator import render

    for fmt in ("png", "jpeg"):
        med, worst = timed(
            lambda fmt=fmt: render.render_image(
                prompt="a lighthouse at dusk", aspect_ratio="1:1", style="auto", output_format=fmt
            ),
            repeat=5,
        )
        row(f"simulator render 2048x2048 {fmt}", med, worst)


def bench_upload_validation() -> None:
    # Here, not at the top: studio modules need django.setup(), which runs after the imports.
    from django.core.files.uploadedfile import SimpleUploadedFile

    from studio.uploads.validation import normalise_upload

    buf = io.BytesIO()
    Image.effect_noise((4000, 3000), 64).convert("RGB").save(buf, "JPEG", quality=90)
    data = buf.getvalue()

    def run():
        normalise_upload(SimpleUploadedFile("photo.jpg", data, content_type="image/jpeg"))

    med, worst = timed(run, repeat=5)
    row(
        f"validate a 12 MP JPEG upload ({len(data) / 1e6:.1f} MB)",
        med,
        worst,
        f"peak memory added {peak_rss_added(run)}",
    )


def main() -> None:
    call_command("migrate", verbosity=0)
    print(f"Studio benchmarks (Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, SQLite)")
    bench_gallery()
    bench_render()
    bench_upload_validation()


if __name__ == "__main__":
    main()
