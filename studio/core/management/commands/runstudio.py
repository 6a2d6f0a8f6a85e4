"""Run the web server and the worker (studio_worker) together until Ctrl-C (`make run`)."""

from __future__ import annotations

import signal
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from studio.core import processes

MANAGE = str(Path(settings.BASE_DIR) / "manage.py")
# How long the two get to stop after the SIGTERM before their groups are killed.
STOP_GRACE_SECONDS = 15


# A worker that keeps failing at once is restarted no more often than this.
RESTART_BACKOFF_SECONDS = 2.0


class Command(BaseCommand):
    help = (
        "Start runserver and studio_worker; restart the worker when it exits non-zero "
        "(stuck or crashed); stop both on Ctrl-C or SIGTERM, or when the web server exits."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--port", type=int, default=settings.PORT)
        parser.add_argument("--host", default="127.0.0.1")

    def handle(self, *args, port: int, host: str, **options) -> None:
        # Each child has its own process group, so a terminal's Ctrl-C reaches only us and
        # each child then receives exactly one stop signal, from here.
        worker_args = [sys.executable, MANAGE, "studio_worker"]
        web = processes.start([sys.executable, MANAGE, "runserver", "--noreload", f"{host}:{port}"])
        worker = processes.start(worker_args)
        stopping = False

        def stop(signum=None, frame=None) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        try:
            while web.poll() is None and not stopping:
                status = worker.poll()
                if status == 0:
                    break
                if status is not None:
                    # studio_worker exits non-zero when it is stuck: it is the supervisor's
                    # job (ours here, a restart policy in compose) to start it again.
                    self.stderr.write(f"The worker exited with status {status}; restarting it.")
                    processes.stop(worker, grace=1)
                    time.sleep(RESTART_BACKOFF_SECONDS)
                    worker = processes.start(worker_args)
                time.sleep(0.3)
        finally:
            self.stdout.write("Stopping the web server and the worker…")
            processes.stop([web, worker], grace=STOP_GRACE_SECONDS)
