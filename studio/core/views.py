from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from . import healthz as checks
from . import metrics as studio_metrics


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """For compose, load balancers and monitoring: no login, no data, 503 when a part fails."""
    report = checks.run_checks()
    response = JsonResponse(report, status=200 if checks.healthy(report) else 503)
    response["Cache-Control"] = "no-store"
    return response


@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus text for a scraper bearing STUDIO_METRICS_TOKEN; 404 to anyone else (and
    to everyone while no token is set), so the page's existence tells nothing."""
    if not studio_metrics.request_authorized(request):
        raise Http404
    response = HttpResponse(studio_metrics.exposition(), content_type=studio_metrics.CONTENT_TYPE)
    response["Cache-Control"] = "no-store"
    return response


def too_many_requests(request: HttpRequest, *, retry_after: int | None = None) -> HttpResponse:
    """The studio's own 429 page (Django has no handler for it), with Retry-After."""
    response = render(request, "429.html", {"retry_after": retry_after}, status=429)
    if retry_after is not None:
        response["Retry-After"] = str(retry_after)
    return response
