"""The fault suite's stack: a real web server that is also the fake upstream (the built-in
simulator over HTTP), a real studio_worker under a small supervisor, all separate
processes on the test database. Waits are short and settable (FAULT_* below and the
STUDIO_* settings), so the whole suite stays within a few minutes per configuration.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connection

from studio.core import processes
from tests.worker import (
    _WORKER_KEY,
    REPO,
    Worker,
    _purge_broker,
    database_url,
    pytest_runtest_makereport,  # noqa: F401  (the worker's log in a failure report)
    worker_env,
)

# The promise each recovery is checked against is 10 s; the suite asserts only 3x that.
RECOVERY_TARGET = float(os.environ.get("FAULT_RECOVERY_TARGET_SECONDS", "10"))
CEILING = 3 * RECOVERY_TARGET
OUTAGE_SECONDS = float(os.environ.get("FAULT_OUTAGE_SECONDS", "8"))

# What the worker is told: short timeouts and thresholds, so faults resolve in seconds.
WORKER_ENV = {
    "LUMA_AGENTS_API_KEY": "fault-suite-key",
    "STUDIO_UPSTREAM_READ_TIMEOUT": os.environ.get("FAULT_READ_TIMEOUT", "2"),
    "STUDIO_UPSTREAM_POLL_READ_TIMEOUT": os.environ.get("FAULT_READ_TIMEOUT", "2"),
    "STUDIO_WORKER_HEARTBEAT_SECONDS": "1",
    "STUDIO_WORKER_STUCK_SECONDS": os.environ.get("FAULT_STUCK_SECONDS", "8"),
    "STUDIO_STUCK_SUBMIT_SECONDS": os.environ.get("FAULT_STUCK_SUBMIT_SECONDS", "6"),
    "STUDIO_WORKER_REDRIVE_SECONDS": "2",
    "STUDIO_DOWNLOAD_CLAIM_SECONDS": "20",
    "STUDIO_POLL_SECONDS": "1",
    # Its jobs take seconds, not the provider's documented tens of seconds: no prior wait.
    "STUDIO_POLL_PRIOR_SECONDS": "0",
    "STUDIO_UPSTREAM_DOWNLOAD_MAX_BYTES": str(3 * 1024 * 1024),
}
# The fake upstream: jobs of 2 s, slow faults of 4 s (twice the worker's read timeout).
UPSTREAM_ENV = {
    "DJANGO_DEBUG": "1",
    "LUMA_AGENTS_API_KEY": "",
    "STUDIO_SIMULATOR_SECONDS": os.environ.get("FAULT_JOB_SECONDS", "2"),
    "STUDIO_SIMULATOR_SLOW_SECONDS": "4",
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`runserver` on a port of its own: the studio's web server and the fake upstream."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.port = _free_port()
        self.env = env
        self.log = log
        self.proc: subprocess.Popen | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/simulator/v1"

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.proc = processes.start(
                [
                    sys.executable,
                    str(REPO / "manage.py"),
                    "runserver",
                    "--noreload",
                    f"127.0.0.1:{self.port}",
                ],
                cwd=REPO,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.1)
        raise AssertionError(f"the web server did not start:\n{self.log.read_text()[-2000:]}")

    def stop(self) -> None:
        if self.proc is not None:
            processes.stop(self.proc, grace=3)
            self.proc = None


class Supervised:
    """studio_worker under a supervisor like runstudio's: started again when it exits."""

    def __init__(self, env: dict[str, str], request: pytest.FixtureRequest) -> None:
        self.env = env
        self.request = request
        self.restarts = 0
        self.worker = self._start()
        self._stop = threading.Event()
        self._paused = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _start(self) -> Worker:
        w = Worker(self.env, command="studio_worker")
        self.request.node.stash[_WORKER_KEY] = w
        return w

    def _watch(self) -> None:
        while not self._stop.is_set():
            if not self._paused.is_set() and not self.worker.alive():
                self.worker = self._start()
                self.restarts += 1
            time.sleep(0.2)

    def kill_group(self) -> None:
        """SIGKILL the worker's whole process group and keep it down until `resume`."""
        import signal

        self._paused.set()
        os.killpg(self.worker.proc.pid, signal.SIGKILL)
        self.worker.proc.wait(timeout=10)

    def resume(self) -> None:
        self.worker = self._start()
        self._paused.clear()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.worker.stop()


class Stack:
    def __init__(self, server: Server, worker: Supervised, media: Path) -> None:
        self.server = server
        self.worker = worker
        self.media = media


def make_stack(request, settings, tmp_path, db_url: str, extra: dict[str, str]) -> Stack:
    _purge_broker()
    base = worker_env(db_url=database_url(connection.settings_dict), media_root=settings.MEDIA_ROOT)
    server = Server(
        {**base, **UPSTREAM_ENV, "MEDIA_ROOT": str(tmp_path / "upstream")}, tmp_path / "server.log"
    )
    server.start()
    env = {**base, **WORKER_ENV, "LUMA_BASE_URL": server.base_url, **extra}
    env["DATABASE_URL"] = db_url
    return Stack(server, Supervised(env, request), Path(settings.MEDIA_ROOT))


def stop_stack(stack: Stack) -> None:
    stack.worker.stop()
    stack.server.stop()


@pytest.fixture
def stack(request, transactional_db, settings, tmp_path) -> Iterator[Stack]:
    extra = getattr(request, "param", {})
    s = make_stack(request, settings, tmp_path, database_url(connection.settings_dict), extra)
    try:
        yield s
    finally:
        stop_stack(s)
