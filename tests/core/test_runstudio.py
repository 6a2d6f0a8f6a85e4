"""`make run`'s launcher: both processes come up, and one SIGTERM stops both."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.db import connection

from tests.worker import REPO, alive, children, database_url, worker_env

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_runstudio(tmp_path) -> tuple[subprocess.Popen, int]:
    port = _free_port()
    env = worker_env(db_url=database_url(connection.settings_dict), media_root=tmp_path)
    proc = subprocess.Popen(
        [sys.executable, str(REPO / "manage.py"), "runstudio", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return proc, port


def test_runstudio_serves_and_one_sigterm_stops_both(settings, tmp_path):
    proc, port = _start_runstudio(tmp_path)
    try:
        deadline = time.monotonic() + 30
        status = None
        while time.monotonic() < deadline and status is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/") as r:
                    status = r.status
            except OSError:
                time.sleep(0.3)
        assert status == 200
        kids = children(proc.pid)
        assert len(kids) == 2  # runserver and studio_worker
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
        time.sleep(0.5)
        assert [c for c in kids if alive(c)] == []
    finally:
        if proc.poll() is None:
            proc.kill()


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def test_runstudio_restarts_a_worker_that_exits_non_zero(settings, tmp_path):
    proc, _ = _start_runstudio(tmp_path)

    def worker_pid() -> int | None:
        found = [c for c in children(proc.pid) if "studio_worker" in _cmdline(c)]
        return found[0] if found else None

    try:
        deadline = time.monotonic() + 20
        while worker_pid() is None and time.monotonic() < deadline:
            time.sleep(0.2)
        first = worker_pid()
        assert first is not None
        # What a stuck studio_worker does (exit 3) or a crash: a non-zero exit.
        os.kill(first, signal.SIGKILL)
        deadline = time.monotonic() + 20
        while worker_pid() in (None, first) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert worker_pid() not in (None, first)
        assert proc.poll() is None  # the web server was left running
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
