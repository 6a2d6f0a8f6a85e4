"""Run the web server and the django-q2 worker together until Ctrl-C (used by `make run`)."""

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


class Command(BaseCommand):
    help = "Start runserver and qcluster; stop both on Ctrl-C or SIGTERM, or when one exits."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--port", type=int, default=settings.PORT)
        parser.add_argument("--host", default="127.0.0.1")

    def handle(self, *args, port: int, host: str, **options) -> None:
        # Each child has its own process group, so a terminal's Ctrl-C reaches only us and
        # each child then receives exactly one stop signal, from here.
        children = [
            processes.start([sys.executable, MANAGE, "qcluster"]),
            processes.start([sys.executable, MANAGE, "runserver", "--noreload", f"{host}:{port}"]),
        ]
        stopping = False

        def stop(signum=None, frame=None) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        try:
            while all(child.poll() is None for child in children) and not stopping:
                time.sleep(0.3)
        finally:
            self.stdout.write("Stopping the web server and the worker…")
            processes.stop(children, grace=STOP_GRACE_SECONDS)
