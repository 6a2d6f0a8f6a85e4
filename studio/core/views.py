from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from . import healthz as checks


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """For compose, load balancers and monitoring: no login, no data, 503 when a part fails."""
    report = checks.run_checks()
    response = JsonResponse(report, status=200 if checks.healthy(report) else 503)
    response["Cache-Control"] = "no-store"
    return response
