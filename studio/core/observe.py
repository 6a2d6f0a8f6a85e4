"""What every request leaves behind for an operator: an id (answered as X-Request-Id and
carried by its log lines and the tasks it enqueues), its count and latency by view in the
metrics, one access log line."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from prometheus_client import Counter, Histogram

from . import logs
from .metrics import LATENCY_BUCKETS

access_log = logging.getLogger("studio.request")

REQUESTS = Counter(
    "studio_http_requests_total",
    "Requests answered, by view (its URL name), method and status.",
    ["view", "method", "status"],
)
REQUEST_SECONDS = Histogram(
    "studio_http_request_duration_seconds",
    "Time to answer a request (until the view returned; a streamed body may go on), by view.",
    ["view"],
    buckets=LATENCY_BUCKETS,
)
# Methods as labels, the rest folded: a client may send any word as a method.
_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}


def view_label(request: HttpRequest) -> str:
    """The URL's name (`generations:studio`), never the path: paths carry ids and tokens."""
    match = getattr(request, "resolver_match", None)
    if match is not None:
        return match.view_name or "unnamed"
    if request.path.startswith(settings.STATIC_URL):
        return "static"
    return "unmatched"


def person_id(request: HttpRequest) -> int | None:
    """The signed-in person's id, if the request got as far as knowing it."""
    user = getattr(request, "user", None)
    return user.pk if user is not None and user.is_authenticated else None


class ObserveRequestsMiddleware:
    """First in MIDDLEWARE, so the time covers every other middleware too."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        sent = request.headers.get("X-Request-Id", "")
        request_id = sent if logs.acceptable(sent) else logs.new_id()
        with logs.request_context(request_id):
            response = self.get_response(request)
            seconds = time.perf_counter() - started
            view = view_label(request)
            method = request.method if request.method in _METHODS else "other"
            REQUESTS.labels(view=view, method=method, status=str(response.status_code)).inc()
            REQUEST_SECONDS.labels(view=view).observe(seconds)
            access_log.info(
                "%s %s %s",
                method,
                view,
                response.status_code,
                extra={
                    "view": view,
                    "method": method,
                    "status": response.status_code,
                    "duration_ms": round(seconds * 1000, 1),
                    "person_id": person_id(request),
                },
            )
        response["X-Request-Id"] = request_id
        return response
