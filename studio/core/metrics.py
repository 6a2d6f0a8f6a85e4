"""Prometheus metrics: where every app's metrics are exposed, and the seam apps plug into.

Two kinds of figures:
- **events** (requests answered, provider calls, downloads, latencies) are prometheus-client
  Counters and Histograms that each app defines in its own `metrics.py` and moves as things
  happen. A process only knows its own events; with several processes (gunicorn's workers,
  django-q2's cluster) they share a directory named by `PROMETHEUS_MULTIPROC_DIR`, which
  prometheus-client's multiprocess mode adds up at scrape time.
- **state** (generations by state, jobs in flight, spend this month, the polling lease) is
  read from the database at scrape time by collectors the apps register here with
  `register(collector)` from their `AppConfig.ready()`. The database is the source of truth,
  so these need no sharing between processes and never drift after a restart. Only the web
  tier's /metrics includes them (a worker's port would only repeat them).

`core` imports no app above it: each app registers what it knows.
"""

from __future__ import annotations

import contextlib
import hmac
import logging
import os
import threading
from collections.abc import Callable, Iterable
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from django.conf import settings
from django.http import HttpRequest
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest, multiprocess
from prometheus_client.metrics_core import Metric

log = logging.getLogger("studio.core")

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

# Buckets for things people wait for (pages, polls, a job's added latency): 5 ms to 2 min.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)
# A job from submit to done: seconds to an hour (JOB_MAX_SECONDS).
JOB_BUCKETS = (1, 2.5, 5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 300, 600, 1800, 3600)


class _Guarded:
    """A scrape-time collector whose failure (the database down) drops its families from
    that scrape instead of failing the whole answer: the event figures still tell."""

    def __init__(self, name: str, collect: Callable[[], Iterable[Metric]]) -> None:
        self.name = name
        self._collect = collect

    def collect(self) -> Iterable[Metric]:
        try:
            return list(self._collect())
        except Exception:
            log.exception("metrics: the %s collector failed", self.name)
            return []

    def describe(self) -> Iterable[Metric]:
        return []


_state = CollectorRegistry(auto_describe=False)
_registered: set[str] = set()


def register(name: str, collect: Callable[[], Iterable[Metric]]) -> None:
    """Add a scrape-time collector (`collect()` yields prometheus-client metric families).
    Registering a name twice keeps the first (AppConfig.ready may run again in tests)."""
    if name in _registered:
        return
    _registered.add(name)
    _state.register(_Guarded(name, collect))


def multiprocess_dir() -> str:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")


def exposition(*, with_state: bool = True) -> bytes:
    """The text a scrape gets: this tier's events (all its processes) and, on the web tier,
    the state read from the database."""
    if multiprocess_dir():
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    text = generate_latest(registry)
    if with_state:
        text += generate_latest(_state)
    return text


def authorized(authorization: str) -> bool:
    """True when the Authorization header bears STUDIO_METRICS_TOKEN (compared in constant
    time); never while no token is set."""
    token = settings.METRICS_TOKEN
    if not token or not authorization.startswith("Bearer "):
        return False
    return hmac.compare_digest(authorization[7:].strip().encode(), token.encode())


def request_authorized(request: HttpRequest) -> bool:
    return authorized(request.headers.get("Authorization", ""))


def _worker_app(environ: dict, start_response: Callable) -> list[bytes]:
    """/metrics of a worker process (no Django request machinery: a bare WSGI app)."""
    if environ.get("PATH_INFO") != "/metrics" or not authorized(
        environ.get("HTTP_AUTHORIZATION", "")
    ):
        start_response("404 Not Found", [("Content-Type", "text/plain; charset=utf-8")])
        return [b"Not Found\n"]
    body = exposition(with_state=False)
    start_response("200 OK", [("Content-Type", CONTENT_TYPE), ("Cache-Control", "no-store")])
    return [body]


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        """A scrape every 15 s is not news."""


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


def serve_worker_metrics(port: int, address: str = "0.0.0.0") -> WSGIServer:
    """Serve a worker's /metrics in a daemon thread; returns the server (shutdown() stops)."""
    server = make_server(
        address, port, _worker_app, server_class=_ThreadingServer, handler_class=_QuietHandler
    )
    threading.Thread(target=server.serve_forever, name="metrics", daemon=True).start()
    return server


def wipe_multiprocess_dir() -> None:
    """At a tier's start: figures left by processes of an earlier run would be added in."""
    directory = multiprocess_dir()
    if directory and os.path.isdir(directory):
        for name in os.listdir(directory):
            if name.endswith(".db"):
                with contextlib.suppress(FileNotFoundError):
                    os.remove(os.path.join(directory, name))
