"""Child processes that are stopped together with everything they started.

`manage.py qcluster` forks a sentinel and a pool; stopping only its pid can leave them
running. Each child therefore gets its own process group (a new session, which also keeps a
terminal's Ctrl-C from reaching it directly), is asked to stop with one SIGTERM (django-q2
dislikes a second one), and whatever is left of its group is killed after a grace period.

Plain standard library: the test and bench scripts use it without Django set up.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Iterable, Sequence
from typing import Any


def start(args: Sequence[str], **popen: Any) -> subprocess.Popen:
    """Start `args` in a process group of its own (`popen` goes to subprocess.Popen)."""
    return subprocess.Popen(args, start_new_session=True, **popen)


def start_logged(args: Sequence[str], *, log, **popen: Any) -> subprocess.Popen:
    """`start`, with no standard input and both output streams into the open file `log`."""
    return start(args, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, **popen)


def stop(children: subprocess.Popen | Iterable[subprocess.Popen], grace: float) -> None:
    """SIGTERM each child still running, wait up to `grace` seconds for all of them, then
    SIGKILL whatever is left of each one's group and reap the children."""
    procs = [children] if isinstance(children, subprocess.Popen) else list(children)
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + grace
    for proc in procs:
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
    for proc in procs:
        # The whole group: a stuck sentinel or pool process too, not just the parent.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
