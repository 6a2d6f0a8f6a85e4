"""What the provider was asked and how it answered (moved by client.py, the only code that
speaks to it). Labels are methods, statuses and outcomes: never a path, id or key."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

from studio.core.metrics import LATENCY_BUCKETS

REQUESTS = Counter(
    "studio_upstream_requests_total",
    "Requests to the provider's API, by method and HTTP status ('none': no answer).",
    ["method", "status"],
)
REQUEST_SECONDS = Histogram(
    "studio_upstream_request_duration_seconds",
    "Time for the provider to answer an API request.",
    ["method"],
    buckets=LATENCY_BUCKETS,
)
RATE_LIMITED = Counter(
    "studio_upstream_rate_limited_total",
    "The provider's 429 answers (also counted in studio_upstream_requests_total).",
    ["method"],
)
DOWNLOADS = Counter(
    "studio_downloads_total",
    "Output downloads from the provider's storage, by outcome (ok, http_error, too_large, broken).",
    ["outcome"],
)
DOWNLOAD_BYTES = Counter(
    "studio_download_bytes_total", "Bytes of outputs downloaded from the provider's storage."
)


def answered(method: str, status: int | None, seconds: float) -> None:
    REQUESTS.labels(method=method, status=str(status) if status else "none").inc()
    REQUEST_SECONDS.labels(method=method).observe(seconds)
    if status == 429:
        RATE_LIMITED.labels(method=method).inc()
