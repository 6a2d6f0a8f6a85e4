"""The JSON API's cost and its waits, on a throwaway SQLite database
with the simulator and no worker: the bench itself finishes the jobs, so only the API is
measured.

1. POST overhead: `POST /api/v1/generations` against the same job through the composer's
   `POST /generations/` (Django's test client, in process): p50 / p95 of each.
2. Stored → answered: an OpenAI-shaped request waits; the bench stores its image and times
   the answer (the wait's polling interval is the bound).
3. 50 OpenAI-shaped requests waiting at once on one gunicorn + uvicorn worker process: the
   worker's threads and memory while they wait, /healthz's answer time meanwhile, errors.

    .venv/bin/python bench/api.py            # BENCH_API_N=200 for more samples
"""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TMP = Path(tempfile.mkdtemp(prefix="studio-bench-api-"))
os.environ.update(
    DATABASE_URL=f"sqlite:///{TMP / 'bench.sqlite3'}",
    MEDIA_ROOT=str(TMP / "media"),
    DJANGO_SETTINGS_MODULE="studio.settings",
    DJANGO_SECRET_KEY="bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
    DJANGO_ALLOWED_HOSTS="127.0.0.1,testserver",
    STUDIO_SUBMIT_RATE_PER_MINUTE="100000",
    STUDIO_LOG_LEVEL="WARNING",
)
N = int(os.environ.get("BENCH_API_N", "100"))
WAITING = 50

import django  # noqa: E402

django.setup()
from django.core.management import call_command  # noqa: E402

call_command("migrate", verbosity=0)

from django.contrib.auth import get_user_model  # noqa: E402
from django.test import Client  # noqa: E402

from studio.api import tokens  # noqa: E402
from studio.generations import queue  # noqa: E402
from studio.generations.models import Generation  # noqa: E402
from tests.generations.helpers import FORM, complete  # noqa: E402

queue.enqueue = lambda *a, **k: None  # no worker: the bench finishes jobs itself


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def ms(values: list[float]) -> str:
    return f"p50 {1000 * statistics.median(values):.1f} ms, p95 {1000 * pct(values, 95):.1f} ms"


def timed(fn) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def post_overhead(user, token: str) -> tuple[list[float], list[float]]:
    web, api = Client(), Client()
    web.force_login(user)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    body = json.dumps({"prompt": "a paper boat", "aspect_ratio": "1:1"})
    form_times, api_times = [], []
    for i in range(N + 5):  # the first few warm caches up
        f = timed(lambda: web.post("/generations/", FORM, HTTP_HX_REQUEST="true"))
        a = timed(
            lambda: api.post("/api/v1/generations", body, content_type="application/json", **auth)
        )
        if i >= 5:
            form_times.append(f)
            api_times.append(a)
    return form_times, api_times


def stored_to_answer(token: str) -> list[float]:
    from django.conf import settings

    settings.API_WAIT_POLL_SECONDS = float(os.environ.get("STUDIO_API_WAIT_POLL_SECONDS", 0.5))
    client = Client()
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    latencies = []
    for i in range(min(N, 20)):
        last = Generation.objects.order_by("-id").values_list("id", flat=True).first() or 0
        answered = {}

        def ask(i=i, answered=answered) -> None:
            response = client.post(
                "/api/v1/images/generations",
                json.dumps({"prompt": f"wait {i}", "response_format": "url"}),
                content_type="application/json",
                **auth,
            )
            answered["at"] = time.perf_counter()
            answered["status"] = response.status_code

        thread = threading.Thread(target=ask)
        thread.start()
        while not Generation.objects.filter(id__gt=last).exists():
            time.sleep(0.005)
        time.sleep(0.05)  # already waiting
        stored = time.perf_counter()
        complete(Generation.objects.get(id__gt=last))
        thread.join()
        assert answered["status"] == 200, answered
        latencies.append(answered["at"] - stored)
    return latencies


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _proc_status(pid: int) -> dict[str, str]:
    lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    return dict(line.split(":\t", 1) for line in lines if ":\t" in line)


def waiting_at_once(token: str) -> dict:
    import requests

    port = _free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "studio.asgi:application",
            "--worker-class",
            "uvicorn_worker.UvicornWorker",
            "--workers",
            "1",
            "--bind",
            f"127.0.0.1:{port}",
            "--timeout",
            "330",
        ],
        cwd=ROOT,
        env=os.environ.copy(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                if requests.get(f"{base}/healthz", timeout=10).status_code == 200:
                    break
            except (requests.ConnectionError, requests.Timeout):
                time.sleep(0.1)
        worker = int(subprocess.check_output(["pgrep", "-P", str(server.pid)]).split()[0])
        idle = _proc_status(worker)
        last = Generation.objects.order_by("-id").values_list("id", flat=True).first() or 0

        def ask(i: int) -> int:
            body = {"prompt": f"many {i}", "response_format": "url"}
            headers = {"Authorization": f"Bearer {token}"}
            return requests.post(
                f"{base}/api/v1/images/generations", json=body, headers=headers, timeout=120
            ).status_code

        with ThreadPoolExecutor(WAITING) as pool:
            answers = [pool.submit(ask, i) for i in range(WAITING)]
            while Generation.objects.filter(id__gt=last).count() < WAITING:
                time.sleep(0.05)
            time.sleep(1)
            busy = _proc_status(worker)
            health = timed(lambda: requests.get(f"{base}/healthz", timeout=10))
            for gen in Generation.objects.filter(id__gt=last):
                complete(gen)
            statuses = [a.result() for a in answers]
        return {
            "answered 200": statuses.count(200),
            "errors": len(statuses) - statuses.count(200),
            "worker threads idle / while 50 wait": f"{idle['Threads']} / {busy['Threads']}",
            "worker RSS idle / while 50 wait": f"{idle['VmRSS'].strip()} / {busy['VmRSS'].strip()}",
            "/healthz while 50 wait": f"{1000 * health:.0f} ms",
        }
    finally:
        server.terminate()
        server.wait(10)


def main() -> None:
    user = get_user_model().objects.create_user("bench", password="pw-bench-123")
    _, token = tokens.create(user=user, name="bench", expires_days=1)
    form_times, api_times = post_overhead(user, token)
    print(f"POST /generations/ (the composer, htmx): {ms(form_times)}  (n={len(form_times)})")
    print(f"POST /api/v1/generations:                {ms(api_times)}")
    overhead = statistics.median(api_times) - statistics.median(form_times)
    print(f"API overhead at p50: {1000 * overhead:+.1f} ms (target <= 10 ms)")
    waits = stored_to_answer(token)
    print(f"image stored -> OpenAI-shaped answer: {ms(waits)} (target p95 <= 1 s)")
    for name, value in waiting_at_once(token).items():
        print(f"{WAITING} waiting at once, {name}: {value}")


if __name__ == "__main__":
    main()
