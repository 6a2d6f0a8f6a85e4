"""The worker entry point for `make run` (via runstudio), compose and the multi-worker tests.

It re-drives the rows that were in flight when the last worker stopped, runs the django-q2
cluster as a child process and the polling loop in a thread of its own, and watches both:
the cluster must run a heartbeat task every few seconds (the beat is written by its
monitor after saving the result, so a stuck pusher, pool or monitor all count), the loop
must keep turning. When either is silent for WORKER_STUCK_SECONDS, or the cluster exits,
it stops the cluster and exits non-zero, so that its supervisor (runstudio, a container
restart policy) starts a fresh one. See docs/reliability.md for the django-q2 hang this
guards against.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

from django.conf import settings
from django.core.checks import Tags
from django.core.checks.registry import registry
from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections, connections
from django.utils import timezone
from django_q.tasks import async_task

from studio.core import metrics as studio_metrics
from studio.core.memory import return_freed_memory
from studio.generations import pipeline
from studio.generations.models import WorkerHeartbeat
from studio.generations.signals import HEARTBEAT_TASK

log = logging.getLogger("studio.worker")

MANAGE = str(Path(settings.BASE_DIR) / "manage.py")
# The exit status that means "stuck, start me again" (a crash of the cluster passes its own).
EXIT_STUCK = 3
STOP_GRACE_SECONDS = 10
STUCK_GRACE_SECONDS = 3
# Set when studio_worker made its metrics directory itself (and so removes it at exit).
OWN_METRICS_DIR = "STUDIO_WORKER_OWNS_METRICS_DIR"


def _serve_metrics() -> None:
    """Serve this worker's /metrics on STUDIO_WORKER_METRICS_PORT, counting what its
    cluster's processes do too: they all write to one multiprocess directory, which must be
    named before prometheus-client is first imported, so without one studio_worker starts
    itself again with a fresh one (same pid, same arguments)."""
    port = settings.WORKER_METRICS_PORT
    if not port:
        return
    if not studio_metrics.multiprocess_dir():
        if sys.argv[1:2] == ["studio_worker"]:
            directory = tempfile.mkdtemp(prefix="studio-worker-metrics-")
            env = dict(os.environ, PROMETHEUS_MULTIPROC_DIR=directory, **{OWN_METRICS_DIR: "1"})
            os.execve(sys.executable, [sys.executable, MANAGE, *sys.argv[1:]], env)
        log.warning("studio_worker: no PROMETHEUS_MULTIPROC_DIR; /metrics shows this process only")
    elif os.environ.get(OWN_METRICS_DIR) != "1":
        studio_metrics.wipe_multiprocess_dir()
    studio_metrics.serve_worker_metrics(port, settings.WORKER_METRICS_ADDRESS)


def _remove_own_metrics_dir() -> None:
    if os.environ.get(OWN_METRICS_DIR) == "1" and studio_metrics.multiprocess_dir():
        shutil.rmtree(studio_metrics.multiprocess_dir(), ignore_errors=True)


def _stop_with_parent() -> None:
    """In the child before exec: SIGTERM when the parent dies (Linux; elsewhere nothing)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _stop_cluster(cluster: subprocess.Popen, grace: float) -> None:
    """One SIGTERM (django-q2 stops its pool), then SIGKILL for whatever of it is left: a
    stuck cluster may never stop by itself."""
    left = _descendants(cluster.pid)
    if cluster.poll() is None:
        cluster.send_signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            cluster.wait(timeout=grace)
    for pid in [cluster.pid, *left]:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)
    cluster.wait(timeout=10)


class Poller(threading.Thread):
    """Runs the polling loop while this worker holds the lease; stands by otherwise (the
    lease is short, so when the holder dies another worker takes over within seconds)."""

    def __init__(self, token: str) -> None:
        super().__init__(name="poller", daemon=True)
        self.token = token
        self.stop = threading.Event()
        self.last_turn = time.monotonic()

    def beat(self) -> None:
        self.last_turn = time.monotonic()

    def run(self) -> None:
        while not self.stop.is_set():
            self.beat()
            try:
                close_old_connections()
                result = pipeline.run_loop(self.token, stop=self.stop, beat=self.beat)
            except Exception:
                # A database outage, say: log it, wait a moment, take the lease again.
                log.exception("studio_worker: the polling loop failed; starting it again")
                result = "failed"
            if result != "stopped":
                self.stop.wait(1.0)
        connections.close_all()


class Command(BaseCommand):
    help = (
        "Re-drive in-flight generations, run the django-q2 cluster and the polling loop, "
        "and exit non-zero when either stops making progress."
    )

    def check(self, *args, **kwargs) -> None:
        # Every check but the URL configuration's, which imports every view (the API's
        # framework with them, about 25 MB) into a process that serves none.
        if kwargs.get("tags") is None:
            kwargs["tags"] = sorted(registry.tags_available() - {Tags.urls})
        super().check(*args, **kwargs)

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--stuck-after",
            type=float,
            default=None,
            help="seconds without progress before exiting (default: WORKER_STUCK_SECONDS)",
        )

    def handle(self, *args, stuck_after: float | None = None, **options) -> None:
        _serve_metrics()
        try:
            self._run(stuck_after)
        finally:
            _remove_own_metrics_dir()

    def _run(self, stuck_after: float | None) -> None:
        # Before the download threads exist: each would otherwise keep its largest image.
        return_freed_memory()
        stuck_after = stuck_after or settings.WORKER_STUCK_SECONDS
        worker_id = uuid.uuid4().hex[:12]
        # The Redis broker loses in-flight tasks on a crash: the rows, not the queue, say
        # what is left to do. The lease and the submit claims make two workers safe here.
        self.stdout.write(f"studio_worker {worker_id}: at start, {pipeline.redrive(at_start=True)}")
        env = dict(os.environ, STUDIO_WORKER_ID=worker_id)
        # In our process group (a SIGKILL of the group takes it too), and told to stop should
        # this process die alone: never a cluster left running without its watcher.
        # --skip-checks: this process has run them; the URL check would import every view
        # (the API's framework with them, about 25 MB) into a process that serves none.
        cluster = subprocess.Popen(
            [sys.executable, MANAGE, "qcluster", "--skip-checks"],
            env=env,
            preexec_fn=_stop_with_parent,
        )
        poller = Poller(uuid.uuid4().hex)
        poller.start()
        stopping = threading.Event()

        def stop(signum=None, frame=None) -> None:
            stopping.set()

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        problem = ""
        try:
            problem = self._watch(worker_id, cluster, poller, stopping, stuck_after)
        finally:
            poller.stop.set()
            # A stuck cluster will not stop by itself: little time for it to try.
            _stop_cluster(cluster, grace=STUCK_GRACE_SECONDS if problem else STOP_GRACE_SECONDS)
            poller.join(timeout=STOP_GRACE_SECONDS)
        if problem:
            log.error("studio_worker %s: %s; exiting so that it is restarted", worker_id, problem)
            raise CommandError(problem, returncode=EXIT_STUCK)

    def _watch(self, worker_id, cluster, poller: Poller, stopping, stuck_after: float) -> str:
        """Enqueue heartbeats and check progress until stopped; the problem found, if any."""
        started = time.monotonic()
        next_beat = 0.0
        # The last beat seen: a beat that cannot be sent or read (a blip of the broker or
        # the database) leaves it as it was, so silence is counted from the last real beat
        # and only a window of WORKER_STUCK_SECONDS without one ends the worker.
        last_beat = None
        next_redrive = started + settings.WORKER_REDRIVE_SECONDS
        while not stopping.is_set():
            if cluster.poll() is not None:
                return f"the cluster exited with status {cluster.returncode}"
            now = time.monotonic()
            if now >= next_beat:
                try:
                    close_old_connections()
                    async_task(HEARTBEAT_TASK, worker_id, group="heartbeat")
                    last_beat = WorkerHeartbeat.last(worker_id) or last_beat
                except Exception as exc:
                    # The database or the broker is away: not this worker's fault; the
                    # silence below still ends a worker that never recovers.
                    log.warning("studio_worker %s: heartbeat not sent: %s", worker_id, exc)
                next_beat = now + settings.WORKER_HEARTBEAT_SECONDS
                silent = (
                    (timezone.now() - last_beat).total_seconds()
                    if last_beat is not None
                    else now - started
                )
                if silent > stuck_after and now - started > stuck_after:
                    return f"its cluster ran no heartbeat task for {silent:.0f} s"
            if now >= next_redrive:
                # What the once-a-minute Schedule does, but every few seconds: a submit cut
                # off with a dead worker fails visibly soon after STUCK_SUBMIT_SECONDS.
                try:
                    pipeline.redrive()
                except Exception as exc:
                    log.warning("studio_worker %s: re-drive failed: %s", worker_id, exc)
                next_redrive = now + settings.WORKER_REDRIVE_SECONDS
            if now - poller.last_turn > stuck_after:
                return f"its polling loop has not turned for {now - poller.last_turn:.0f} s"
            stopping.wait(0.5)
        return ""
