"""Run the web server and the django-q2 worker together until Ctrl-C (used by `make run`)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

MANAGE = str(Path(settings.BASE_DIR) / "manage.py")


class Command(BaseCommand):
    help = "Start runserver and qcluster; stop both on Ctrl-C or SIGTERM, or when one exits."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--port", type=int, default=settings.PORT)
        parser.add_argument("--host", default="127.0.0.1")

    def handle(self, *args, port: int, host: str, **options) -> None:
        # Children get their own session so a terminal's Ctrl-C reaches only us; each then
        # receives exactly one stop signal from here (django-q2 dislikes a second one).
        children = [
            subprocess.Popen([sys.executable, MANAGE, "qcluster"], start_new_session=True),
            subprocess.Popen(
                [sys.executable, MANAGE, "runserver", "--noreload", f"{host}:{port}"],
                start_new_session=True,
            ),
        ]
        stopping = False

        def stop(signum=None, frame=None) -> None:
            nonlocal stopping
            if stopping:
                return
            stopping = True
            self.stdout.write("Stopping the web server and the worker…")
            for child in children:
                if child.poll() is None:
                    child.send_signal(signal.SIGTERM)

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        try:
            while all(child.poll() is None for child in children) and not stopping:
                time.sleep(0.3)
        finally:
            stop()
            deadline = time.monotonic() + 15
            for child in children:
                try:
                    child.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    # The whole session: qcluster's pool processes too, not just its parent.
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(child.pid, signal.SIGKILL)
                    child.wait()
