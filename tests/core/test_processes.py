"""The one process-group helper: SIGTERM first, then SIGKILL to the whole group."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from studio.core import processes

# Ignores SIGTERM, starts a grandchild (same group) that sleeps, prints its pid, then sleeps.
STUBBORN = """
import signal, subprocess, sys, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
print(child.pid, flush=True)
time.sleep(60)
"""


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().rsplit(")", 1)[1].split()[0] == "Z"


def test_a_child_gets_its_own_process_group():
    proc = processes.start([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        assert os.getpgid(proc.pid) == proc.pid != os.getpgid(0)
    finally:
        processes.stop(proc, grace=5)
    assert proc.returncode == -signal.SIGTERM


def test_what_ignores_sigterm_is_killed_with_its_group_after_the_grace():
    proc = processes.start([sys.executable, "-c", STUBBORN], stdout=subprocess.PIPE, text=True)
    grandchild = int(proc.stdout.readline())
    started = time.monotonic()
    processes.stop(proc, grace=0.5)
    assert 0.4 < time.monotonic() - started < 10
    assert proc.returncode == -signal.SIGKILL
    deadline = time.monotonic() + 5
    while not _gone(grandchild) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _gone(grandchild)
    proc.stdout.close()


def test_several_children_are_all_signalled_before_the_wait():
    procs = [processes.start([sys.executable, "-c", "import time; time.sleep(30)"]) for _ in "ab"]
    started = time.monotonic()
    processes.stop(procs, grace=20)
    assert time.monotonic() - started < 10
    assert [p.returncode for p in procs] == [-signal.SIGTERM] * 2
