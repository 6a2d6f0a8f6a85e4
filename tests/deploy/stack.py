"""The processes docker-compose.yml runs, started natively: gunicorn and `studio_worker`.

Used by the deploy tests and by the throughput benchmark. Each process gets its own
session (so its children can be killed together) and a log file for a failing report.
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import requests
from django.db import connection

from studio.core import processes
from tests.s3 import media_env
from tests.worker import Worker, database_url, worker_env

REPO = Path(__file__).resolve().parents[2]
# One key for every process of the stack, the test's own included (see `stack_env`).
SECRET_KEY = "a-test-only-secret-key-for-the-deploy-run-0123456789"


class Gunicorn:
    """`gunicorn studio.asgi:application` with uvicorn's workers, as the web service runs it;
    `worker_class="gthread"` (the benchmark's comparison) serves studio.wsgi with threads."""

    def __init__(
        self,
        env: dict[str, str],
        *,
        port: int,
        workers: int = 2,
        threads: int = 1,
        worker_class: str = "uvicorn",
    ):
        self.url = f"http://127.0.0.1:{port}"
        self.log = tempfile.NamedTemporaryFile(  # noqa: SIM115 (closed in stop())
            prefix="gunicorn-", suffix=".log", delete=False
        )
        self.log_path = Path(self.log.name)
        if worker_class == "uvicorn":
            args = ["studio.asgi:application", "--worker-class", "uvicorn_worker.UvicornWorker"]
        else:
            args = ["studio.wsgi:application", "--worker-class", worker_class]
        args += ["--config", "python:studio.core.gunicorn_conf"]
        args += ["--bind", f"127.0.0.1:{port}", "--timeout", "330"]
        args += ["--workers", str(workers), "--threads", str(threads)]
        self.proc = processes.start_logged(
            [sys.executable, "-m", "gunicorn", *args], cwd=REPO, env=env, log=self.log
        )

    def tail(self, lines: int = 40) -> str:
        text = self.log_path.read_text(errors="replace")
        return "\n".join(text.splitlines()[-lines:]) or "(gunicorn logged nothing)"

    def wait_healthy(self, timeout: float = 60.0) -> dict[str, str]:
        """Wait for /healthz to answer 200 (as compose's health check does); its report."""
        deadline = time.monotonic() + timeout
        last = "no answer"
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"gunicorn exited {self.proc.returncode}:\n{self.tail()}")
            try:
                answer = requests.get(f"{self.url}/healthz", timeout=5)
                if answer.status_code == 200:
                    return answer.json()
                last = f"{answer.status_code} {answer.text}"
            except (requests.ConnectionError, requests.Timeout):
                pass
            time.sleep(0.2)
        raise AssertionError(f"/healthz not healthy after {timeout:.0f} s: {last}\n{self.tail()}")

    def stop(self) -> None:
        try:
            processes.stop(self.proc, grace=10)
        finally:
            self.log.close()
            self.log_path.unlink(missing_ok=True)


def stack_env(bucket: str, endpoint: str) -> dict[str, str]:
    """What compose gives every studio process: the test database, Redis (inherited), the
    bucket, and one secret key (django-q2 signs tasks with it: a worker with another key
    drops what the web enqueued)."""
    env = worker_env(db_url=database_url(connection.settings_dict), media_root="/nonexistent")
    env.update(
        media_env(endpoint, bucket),
        DJANGO_SECRET_KEY=SECRET_KEY,
        STUDIO_LOG_LEVEL="INFO",
        STUDIO_WORKERS="2",
    )
    return env


def wait_while_alive(
    workers: list[Worker], done: Callable[[], bool], *, timeout: float, what: Callable[[], str]
) -> None:
    """Wait until `done()`, failing at once if a worker exits, and after `timeout` s with
    `what()` (the progress so far)."""
    deadline = time.monotonic() + timeout
    while not done():
        for w in workers:
            w.assert_alive()
        assert time.monotonic() < deadline, f"after {timeout:.0f} s: {what()}"
        time.sleep(0.2)


def clusters_up(count: int) -> bool:
    """`count` clusters have run a heartbeat task: a database row, so on either broker
    (django-q2's own cluster status lives in the cache, which only Redis shares)."""
    from studio.generations.models import WorkerHeartbeat

    return WorkerHeartbeat.objects.count() >= count


def start_workers(count: int, env: dict[str, str], timeout: float = 60.0) -> list[Worker]:
    """`count` studio_worker processes, returned once each cluster has run a task.

    These tests are about sharing work, not about the stuck-worker watchdog (tests/core and
    the fault suite test that): on a busy machine a cluster's first heartbeat can take longer
    than the production WORKER_STUCK_SECONDS, and a worker that exits then fails the test for
    nothing it checks. So the threshold is set above the start timeout, unless given."""
    env = {"STUDIO_WORKER_STUCK_SECONDS": str(max(120.0, 2 * timeout)), **env}
    workers = [Worker(env, command="studio_worker") for _ in range(count)]
    try:
        wait_while_alive(
            workers,
            lambda: clusters_up(count),
            timeout=timeout,
            what=lambda: f"{count} clusters did not start",
        )
    except BaseException:
        for w in workers:
            w.stop()
        raise
    return workers


def stop_all(workers: list[Worker]) -> list[str]:
    """Stop every worker; their logs, for counting what each did."""
    logs = []
    for w in workers:
        w.stop()
        logs.append(w.log_path.read_text(errors="replace"))
        w.remove_log()
    return logs
