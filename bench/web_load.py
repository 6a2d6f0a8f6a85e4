"""Web throughput: gunicorn over real HTTP under a bounded load script.

Each simulated person does what a browser does: signs in through the login form (GET the
form for its CSRF cookie and token, POST `username` and `password`: a real session, made by
the login view, after PBKDF2), has a gallery of `--gallery` (200) generations with 4 cards
in flight, loads the studio page every 10 s, polls those cards every 2 s with the ids and
versions as gallery.js sends them, and checks for rows made elsewhere every 15 s with the
address and the cards of the last page as news.js does, so 50 people make about 33 requests a
second (30 without the checks, the figure the targets were set at).
`--direct-sessions` instead writes sessions straight into the database (the shortcut this
bench took before 2026-12-07; see docs/benchmarks.md for why the two measurements differed).

First 50 people for `--seconds` (120), then
steps of x2, x4, x8 for `--step-seconds` (60) each, stopping at the first step that misses
a target: no error, p95 under 150 ms for the page and under 50 ms for the poll.

The people poll as gallery.js does: each card's id with the version the page drew it at,
so the server answers 204 when none of a person's cards moved. To keep that honest, a mover
thread stands in for the worker: each in-flight card moves on average every MOVE_EVERY (10)
seconds, a change the card draws (its state, queued to processing and back: a job of tens of
seconds changes what its card shows two or three times), so about half the polls draw a card.
(The pipeline's other saves, one per GET of the job, change nothing drawn and no version.)

For each step it prints the CPU each party used, as a share of one core: gunicorn (master
and workers), the load generator (this process: the people and the mover), PostgreSQL (the
backends serving the bench database) and everything else on the machine, and the machine's
total, so what limits a step is measured rather than guessed.

PostgreSQL + Redis when they answer on 127.0.0.1 (BENCH_PG_URL, a database this script drops
and recreates, default postgres://postgres@127.0.0.1:5432/studio_bench; BENCH_REDIS_URL,
default redis://127.0.0.1:6379/15), else SQLite. Prints figures; writes nothing else.
BENCH_WEB_QUICK=1 (or --quick) runs 20 s and 15 s steps instead: a check that the bench
runs end to end, not figures to record.
"""

from __future__ import annotations

import argparse
import os
import random
import re
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
# The studio's slow check for rows made elsewhere (news.js, GALLERY_NEWS_SECONDS).
NEWS_EVERY = 15.0
IN_FLIGHT = 4
MOVE_EVERY = 10.0
ENDPOINTS = ("page", "poll", "news")
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


PASSWORD = "bench-password-0123"


def people(count: int, gallery: int, *, direct: bool) -> list[tuple[str, list[int]]]:
    """`count` people, each (a session cookie, or with `direct` False the username to sign
    in with, and the ids of their 4 in-flight cards)."""
    from django.contrib.auth.hashers import make_password

    from bench.seed import bench_user, bulk_gallery, session_for

    # One hash for all (PBKDF2 is slow on purpose): each sign-in still checks it.
    hashed = make_password(PASSWORD)
    made = []
    for i in range(count):
        user = bench_user(f"load-{i}")
        user.password = hashed
        user.save(update_fields=["password"])
        ids = bulk_gallery(user, max(gallery, 24 + IN_FLIGHT), in_flight=IN_FLIGHT)
        made.append((session_for(user) if direct else user.username, ids))
    return made


CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def analyze() -> None:
    """Statistics for the rows just seeded, as a database in use has them (autovacuum would
    gather them a minute or so later, during the step): without them PostgreSQL guessed a
    handful of live rows and scanned every generation for a poll of four cards."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def sign_in(base: str, who: str, *, direct: bool):
    """A browser's requests.Session, signed in through the login form (or, `direct`, with
    the session cookie made in the database)."""
    import requests

    http = requests.Session()
    if direct:
        http.cookies.set("sessionid", who, domain="127.0.0.1", path="/")
        return http
    form = http.get(f"{base}/accounts/login/", timeout=30)
    token = CSRF_FIELD.search(form.text)
    answer = http.post(
        f"{base}/accounts/login/",
        data={"username": who, "password": PASSWORD, "csrfmiddlewaretoken": token[1]},
        headers={"Referer": f"{base}/accounts/login/"},
        timeout=60,
        allow_redirects=False,
    )
    if answer.status_code != 302 or "sessionid" not in http.cookies:
        raise RuntimeError(f"{who} could not sign in: HTTP {answer.status_code}")
    return http


def sign_in_all(base: str, crowd, *, direct: bool) -> list:
    """Every person's signed-in browser session, signed in a few at a time (as people
    arrive), before any timed step."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=4) as pool:
        sessions = list(pool.map(lambda p: sign_in(base, p[0], direct=direct), crowd))
    return [(http, ids) for http, (_, ids) in zip(sessions, crowd, strict=True)]


class Recorder:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.samples: dict[str, list[float]] = {name: [] for name in ENDPOINTS}
        self.errors: dict[str, int] = dict.fromkeys(ENDPOINTS, 0)
        # What each error was (an HTTP status, or the exception's class), to say why.
        self.kinds: dict[str, dict[str, int]] = {name: {} for name in ENDPOINTS}
        self.drawn: dict[str, int] = dict.fromkeys(ENDPOINTS, 0)
        # The first exception of each kind, whole (a ConnectionError says little).
        self.first_error: dict[str, str] = {}

    def add(self, endpoint: str, ms: float, ok: bool, kind: str = "") -> None:
        with self.lock:
            self.samples[endpoint].append(ms)
            if not ok:
                self.errors[endpoint] += 1
                self.kinds[endpoint][kind] = self.kinds[endpoint].get(kind, 0) + 1

    def drew(self, endpoint: str) -> None:
        """A 200 with cards (a poll where some card moved); the other polls were 204."""
        with self.lock:
            self.drawn[endpoint] += 1


VERSION = re.compile(r'data-generation-id="(\d+)"[^>]*?data-version="([^"]*)"')
NEWS_URL = re.compile(r'id="studio-news"[^>]*?hx-get="([^"]+)"')
CARD_ID = re.compile(r'<article class="card[^>]*?data-generation-id="(\d+)"')


def ask(http, endpoint: str, url: str, headers: dict, rec: Recorder):
    """One request, timed and recorded; the answer when it was a 200 or a 204."""
    import requests

    started = time.perf_counter()
    try:
        answer = http.get(url, headers=headers, timeout=10, allow_redirects=False)
        ok, kind = answer.status_code in (200, 204), f"HTTP {answer.status_code}"
        if answer.status_code in (301, 302):
            kind += f" to {answer.headers.get('Location', '?').split('?')[0]}"
    except requests.RequestException as exc:
        answer, ok, kind = None, False, type(exc).__name__
        rec.first_error.setdefault(kind, str(exc)[:300])
    rec.add(endpoint, (time.perf_counter() - started) * 1000, ok, kind)
    if ok and answer.status_code == 200:
        rec.drew(endpoint)
    return answer if ok else None


def person(base: str, http, ids: list[int], stop_at: float, rec: Recorder) -> None:
    """Load the page every PAGE_EVERY s, poll every POLL_EVERY s and check for news every
    NEWS_EVERY s, as the page's htmx, gallery.js and news.js do: the poll names each
    in-flight card and the version last drawn of it."""
    drawn = {str(pk): "" for pk in ids}
    news_url, have = "", ""  # from the last page: its news check's address and its cards
    now = time.monotonic()
    # Spread the first requests so people do not all arrive in the same instant.
    due = {
        "page": now + random.uniform(0, PAGE_EVERY),
        "poll": now + random.uniform(0, POLL_EVERY),
        "news": now + random.uniform(0, NEWS_EVERY),
    }
    every = {"page": PAGE_EVERY, "poll": POLL_EVERY, "news": NEWS_EVERY}
    while True:
        endpoint = min(due, key=due.get)
        if due[endpoint] >= stop_at:
            return
        time.sleep(max(0.0, due[endpoint] - time.monotonic()))
        due[endpoint] += every[endpoint]
        if endpoint == "page":
            url, headers = f"{base}/", {}
        elif endpoint == "news":
            if not news_url:
                continue  # no page drawn yet, so no check
            url, headers = f"{base}{news_url}&have={have}", {"HX-Request": "true"}
        else:
            url = f"{base}/gallery/poll/?ids={','.join(drawn)}&versions={','.join(drawn.values())}"
            headers = {"HX-Request": "true"}
        answer = ask(http, endpoint, url, headers, rec)
        if answer is not None and answer.status_code == 200:
            if endpoint == "page":
                found = NEWS_URL.search(answer.text)
                news_url = found[1].replace("&amp;", "&") if found else news_url
                have = ",".join(CARD_ID.findall(answer.text)[:100])
            drawn.update((pk, v) for pk, v in VERSION.findall(answer.text) if pk in drawn)


def mover(ids: list[int], stop_at: float) -> None:
    """Stand in for the worker: each in-flight row changes what its card draws (its state,
    queued and processing in turn) on average every MOVE_EVERY seconds."""
    from django.db import close_old_connections
    from django.db.models import Case, Value, When
    from django.utils import timezone

    from studio.generations.models import Generation, State

    per_second = len(ids) / MOVE_EVERY
    while time.monotonic() < stop_at:
        tick = time.monotonic()
        count = int(per_second) + (random.random() < per_second % 1)
        batch = random.sample(ids, min(len(ids), count))
        Generation.objects.filter(pk__in=batch).update(
            updated_at=timezone.now(),
            state=Case(
                When(state=State.PROCESSING, then=Value(State.QUEUED)),
                default=Value(State.PROCESSING),
            ),
        )
        time.sleep(max(0.0, 1.0 - (time.monotonic() - tick)))
    close_old_connections()


def ticks_of(pid: int) -> int:
    """utime + stime of one process, 0 if it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])


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


def machine_ticks() -> tuple[int, int]:
    """(busy, all) ticks of every CPU since boot, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return sum(values) - idle, sum(values)


def database_ticks() -> dict[int, int] | None:
    """CPU ticks of each PostgreSQL backend serving the bench database (None on SQLite).
    A backend that ends during a step takes its ticks with it, so this is a lower bound (and
    a loose one: under ASGI every request opens and closes its own connection)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid()"
        )
        return {pid: ticks_of(pid) for (pid,) in cursor.fetchall()}


class CpuMeter:
    """What each party used during a step, as a share of one core (100% = one core)."""

    def __init__(self, server_pid: int) -> None:
        self.server_pid = server_pid
        self.wall0 = time.monotonic()
        self.server0, self.own0 = cpu_ticks(server_pid), time.process_time()
        self.db0, self.machine0 = database_ticks(), machine_ticks()

    def read(self) -> dict[str, float | None]:
        hz, wall = os.sysconf("SC_CLK_TCK"), time.monotonic() - self.wall0
        db1, (busy1, all1) = database_ticks(), machine_ticks()
        busy0, all0 = self.machine0
        share = {
            "server": (cpu_ticks(self.server_pid) - self.server0) / hz / wall * 100,
            "loadgen": (time.process_time() - self.own0) / wall * 100,
            "db": None,
            # busy / all ticks is the share of all CPUs; times the count: of one core.
            "machine": (busy1 - busy0) / max(1, all1 - all0) * 100 * (os.cpu_count() or 1),
        }
        if db1 is not None and self.db0 is not None:
            share["db"] = sum(t - self.db0.get(pid, 0) for pid, t in db1.items()) / hz / wall * 100
        share["rest"] = share["machine"] - share["server"] - share["loadgen"] - (share["db"] or 0)
        return share


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def run_step(base: str, crowd, seconds: float, server_pid: int) -> dict:
    rec = Recorder()
    stop_at = time.monotonic() + seconds
    meter, wall0 = CpuMeter(server_pid), time.monotonic()
    threads = [
        threading.Thread(target=person, args=(base, http, ids, stop_at, rec), daemon=True)
        for http, ids in crowd
    ]
    in_flight = [pk for _, ids in crowd for pk in ids]
    threads.append(threading.Thread(target=mover, args=(in_flight, stop_at), daemon=True))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.monotonic() - wall0
    result = {
        "users": len(crowd),
        "seconds": wall,
        "rps": sum(len(v) for v in rec.samples.values()) / wall,
        "cpu": meter.read(),
        "first_error": rec.first_error,
    }
    for endpoint, values in rec.samples.items():
        result[endpoint] = {
            "n": len(values),
            "p50": percentile(values, 50),
            "p95": percentile(values, 95),
            "max": max(values) if values else float("nan"),
            "errors": rec.errors[endpoint],
            "kinds": rec.kinds[endpoint],
            "drawn": rec.drawn[endpoint],
        }
    result["ok"] = (
        all(result[endpoint]["errors"] == 0 for endpoint in ENDPOINTS)
        and result["page"]["p95"] < PAGE_P95_MS
        and result["poll"]["p95"] < POLL_P95_MS
    )
    return result


def report(r: dict) -> None:
    cpu = r["cpu"]
    db = "n/a (SQLite)" if cpu["db"] is None else f"{cpu['db']:.0f}%"
    print(
        f"{r['users']:>4} users, {r['seconds']:.0f} s: {r['rps']:6.1f} req/s   "
        f"{'meets the targets' if r['ok'] else 'MISSES a target'}",
        flush=True,
    )
    print(
        f"       CPU (100% = one core): gunicorn {cpu['server']:.0f}%   load generator "
        f"{cpu['loadgen']:.0f}%   PostgreSQL {db}   everything else {cpu['rest']:.0f}%   "
        f"machine {cpu['machine']:.0f}% of {(os.cpu_count() or 1) * 100}%",
        flush=True,
    )
    for endpoint in ENDPOINTS:
        e = r[endpoint]
        drawn = f"   {e['n'] - e['drawn']} answered 204" if endpoint != "page" else ""
        print(
            f"       {endpoint:<4} n={e['n']:<6} p50 {e['p50']:7.1f} ms   p95 {e['p95']:7.1f} ms"
            f"   max {e['max']:7.1f} ms   errors {e['errors']}{drawn}",
            flush=True,
        )
        if e["kinds"]:
            kinds = ", ".join(f"{n} {kind}" for kind, n in sorted(e["kinds"].items()))
            print(f"            errors were: {kinds}", flush=True)
    for kind, text in r["first_error"].items():
        print(f"            the first {kind}: {text}", flush=True)
    if not r["ok"]:
        print(f"       limit: {limit_of(cpu)}", flush=True)


def limit_of(cpu: dict) -> str:
    """What the CPU figures say limited a step that missed a target."""
    cores = (os.cpu_count() or 1) * 100
    parties = {"gunicorn": cpu["server"], "the load generator": cpu["loadgen"]}
    parties["other processes on the machine"] = cpu["rest"]
    if cpu["db"] is not None:
        parties["PostgreSQL"] = cpu["db"]
    biggest = max(parties, key=parties.get)
    if cpu["machine"] >= 0.9 * cores:
        return (
            f"the machine's CPU was saturated ({cpu['machine']:.0f}% of {cores}%); "
            f"the biggest user was {biggest} ({parties[biggest]:.0f}%)"
        )
    return (
        f"not CPU ({cpu['machine']:.0f}% of {cores}% busy): requests waited for a free "
        "gunicorn worker or on a lock (try more --gunicorn-workers / --gunicorn-threads)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--step-seconds", type=float, default=60)
    parser.add_argument("--steps", default="2,4,8", help="multiples of --users after the first")
    parser.add_argument("--gallery", type=int, default=200, help="generations per person")
    parser.add_argument(
        "--direct-sessions",
        action="store_true",
        help="sessions written to the database instead of signing in through the form",
    )
    # One per core, as the Dockerfile runs it (WEB_CONCURRENCY).
    parser.add_argument("--gunicorn-workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument(
        "--all-steps", action="store_true", help="measure every step, past one that misses"
    )
    parser.add_argument(
        "--worker-class",
        choices=["uvicorn", "gthread", "sync"],
        default="uvicorn",
        help="uvicorn (studio.asgi, as compose runs it) or gthread/sync (studio.wsgi)",
    )
    parser.add_argument(
        "--gunicorn-threads", type=int, default=1, help="threads per gthread worker"
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        default=os.environ.get("BENCH_WEB_QUICK", "") not in ("", "0"),
        help="20 s and 15 s steps (also BENCH_WEB_QUICK=1): checks the bench runs end to end",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.seconds, args.step_seconds = min(args.seconds, 20), min(args.step_seconds, 15)
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
    crowd = people(most, args.gallery, direct=args.direct_sessions)
    analyze()
    kind = f"{args.gunicorn_workers} {args.worker_class} workers"
    if args.worker_class == "gthread":
        kind += f" x {args.gunicorn_threads} threads"
    if args.worker_class == "uvicorn":
        pool = int(os.environ.get("STUDIO_WEB_DB_POOL_MAX", "4"))
        kind += f", a pool of {pool} connections each" if pool else ", a connection per request"
    print(
        f"Web throughput{' (quick check)' if args.quick else ''}: gunicorn ({kind}) over HTTP, "
        f"{label}, {os.cpu_count()} CPUs; {most} people seeded in "
        f"{time.monotonic() - started:.0f} s",
        flush=True,
    )
    web = Gunicorn(
        dict(os.environ),
        port=free_port(),
        workers=args.gunicorn_workers,
        threads=args.gunicorn_threads,
        worker_class=args.worker_class,
    )
    try:
        web.wait_healthy()
        started = time.monotonic()
        crowd = sign_in_all(web.url, crowd, direct=args.direct_sessions)
        how = "sessions made directly" if args.direct_sessions else "through the login form"
        print(f"  {most} people signed in ({how}) in {time.monotonic() - started:.0f} s")
        first = run_step(web.url, crowd[: args.users], args.seconds, web.proc.pid)
        report(first)
        if not first["ok"] and not args.all_steps:
            return 0
        for factor in steps:
            r = run_step(web.url, crowd[: args.users * factor], args.step_seconds, web.proc.pid)
            report(r)
            if not r["ok"] and not args.all_steps:
                print(f"       stopped at x{factor}: the first step that misses a target")
                break
    finally:
        web.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
