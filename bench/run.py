"""Benchmarks for `make bench`: prints what it measured on this machine.

Runs against a throwaway SQLite database and media folder, so it never touches your data;
the scale and load benchmarks also use PostgreSQL and Redis when they answer on 127.0.0.1:
BENCH_PG_URL names a database they drop and recreate (default studio_bench), BENCH_REDIS_URL
a Redis database (default 15). BENCH_LOAD_ARGS passes options to bench/web_load.py (e.g.
"--seconds 30 --step-seconds 20" for a shorter run).
"""

from __future__ import annotations

import io
import os
import sys
import tempfile
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
from django.test import Client  # noqa: E402
from PIL import Image  # noqa: E402

from bench.measure import count_queries, peak_rss_added, row, timed  # noqa: E402


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


def bench_team_gallery() -> None:
    """The team gallery at 10,000 shared items, seen by a viewer: the page, the deepest
    "Load more", and the slow check for news (a 204)."""
    # Here, not at the top: studio modules need django.setup(), which runs after the imports.
    from django.db.models import F
    from django.utils import timezone

    from studio.generations.gallery import PAGE_SIZE, encode_cursor
    from studio.generations.models import Generation
    from studio.teams import services as teams

    author = get_user_model().objects.get(username="bench")
    viewer = get_user_model().objects.create_user("bench-viewer", password="bench-pass-1")
    team = teams.create_team(name="Bench team", owner=author)
    teams.add_member(team=team, user=viewer, role="viewer")
    # The personal benchmark's 5,000, shared, and 5,000 more made into the team.
    Generation.objects.filter(user=author).update(team=team, shared_at=F("created_at"))
    have = Generation.objects.filter(team=team).count()
    call_command(
        "seed_gallery", "bench", count=10_000 - have, seed=7, team=team.slug, stdout=io.StringIO()
    )
    total = Generation.objects.filter(team=team).count()
    client = Client()
    client.force_login(viewer)
    htmx = {"HTTP_HX_REQUEST": "true"}
    url = f"/teams/{team.slug}/"
    queries = count_queries(lambda: client.get(url))
    med, worst = timed(lambda: client.get(url))
    row(f"team gallery, {total:,} shared items", med, worst, f"{queries} queries")
    deep = Generation.objects.filter(team=team).order_by("created_at", "id")[PAGE_SIZE]
    more = f"{url}?cursor={encode_cursor(deep)}"
    queries = count_queries(lambda: client.get(more, **htmx))
    med, worst = timed(lambda: client.get(more, **htmx))
    row(f"team load more at the end, {total:,} items", med, worst, f"{queries} queries")
    since = timezone.now().isoformat().replace("+", "%2B")
    news = f"{url}?shared_after={since}"
    assert client.get(news, **htmx).status_code == 204
    queries = count_queries(lambda: client.get(news, **htmx))
    med, worst = timed(lambda: client.get(news, **htmx))
    row(f"team check for news (204), {total:,} items", med, worst, f"{queries} queries")


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


def bench_gallery_scale() -> None:
    """bench/gallery_scale.py once per database: its own process, as the database is chosen
    when settings load."""
    import subprocess

    from bench.web_load import reachable, recreate_postgres

    runs = [f"sqlite:///{WORK / 'scale.sqlite3'}"]
    pg = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/studio_bench")
    if reachable(pg, 5432):
        recreate_postgres(pg)
        runs.append(pg)
    else:
        print("(PostgreSQL not reachable on 127.0.0.1: the gallery at scale on SQLite only)")
    script = str(ROOT / "bench" / "gallery_scale.py")
    for url in runs:
        env = {**os.environ, "DATABASE_URL": url}
        subprocess.run([sys.executable, script], env=env, check=True)


def bench_web_load() -> None:
    import subprocess

    # Its own process: it picks PostgreSQL + Redis itself and starts gunicorn on them.
    args = os.environ.get("BENCH_LOAD_ARGS", "").split()
    subprocess.run([sys.executable, str(ROOT / "bench" / "web_load.py"), *args], check=True)


def main() -> None:
    call_command("migrate", verbosity=0)
    print(f"Studio benchmarks (Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, SQLite)")
    bench_gallery()
    bench_team_gallery()
    bench_render()
    bench_upload_validation()
    bench_gallery_scale()
    bench_web_load()


if __name__ == "__main__":
    main()
