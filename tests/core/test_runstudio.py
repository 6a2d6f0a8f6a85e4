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

from tests.worker import REPO, database_url, worker_env

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(stat[1]) == pid:
                found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_runstudio_serves_and_one_sigterm_stops_both(settings, tmp_path):
    port = _free_port()
    env = worker_env(db_url=database_url(connection.settings_dict), media_root=tmp_path)
    proc = subprocess.Popen(
        [sys.executable, str(REPO / "manage.py"), "runstudio", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
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
        children = _children(proc.pid)
        assert len(children) == 2  # runserver and qcluster
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
        time.sleep(0.5)
        assert [c for c in children if _alive(c)] == []
    finally:
        if proc.poll() is None:
            proc.kill()
