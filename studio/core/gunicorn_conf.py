"""gunicorn's hooks for the studio (`gunicorn -c python:studio.core.gunicorn_conf`): the
metrics of every web worker process add up in one prometheus-client multiprocess
directory (PROMETHEUS_MULTIPROC_DIR), wiped when gunicorn starts (an earlier run's figures
would be added in) and told when a worker exits (its gauges no longer count)."""

from __future__ import annotations

import os
from pathlib import Path

# Seconds an idle kept-alive connection stays open (uvicorn's worker takes gunicorn's
# setting). gunicorn's default, 2 s, is the gallery's poll interval: a poll sent on a
# connection just as the server closed it failed with "connection reset" (a few per minute
# at 50 people), and every other poll paid a new TCP connection. An idle connection costs
# the async worker next to nothing.
keepalive = int(os.environ.get("STUDIO_WEB_KEEPALIVE_SECONDS", "20"))


def on_starting(server) -> None:
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        Path(directory).mkdir(parents=True, exist_ok=True)
        for leftover in Path(directory).glob("*.db"):
            leftover.unlink(missing_ok=True)


def child_exit(server, worker) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
