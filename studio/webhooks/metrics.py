"""Webhook counters, from the delivery log (so every worker's attempts count)."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import Count, Q
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.metrics_core import Metric

from .models import Attempt, Delivery, Endpoint

HELP = {
    "deliveries_total": "Webhook deliveries made (one per event and endpoint)",
    "delivered_total": "Webhook deliveries answered 2xx",
    "given_up_total": "Webhook deliveries given up (retries ran out or endpoint disabled)",
    "attempts_total": "Webhook POSTs attempted",
    "retries_total": "Webhook attempts after a delivery's first",
    "failed_attempts_total": "Webhook attempts without a 2xx answer",
}


def counts() -> dict[str, int]:
    deliveries = Delivery.objects.aggregate(
        deliveries_total=Count("pk"),
        delivered_total=Count("pk", filter=Q(state=Delivery.State.DELIVERED)),
        given_up_total=Count("pk", filter=Q(state=Delivery.State.FAILED)),
    )
    ok = Q(status__gte=200, status__lt=300)
    attempts = Attempt.objects.aggregate(
        attempts_total=Count("pk"), failed_attempts_total=Count("pk", filter=~ok)
    )
    # Every attempt beyond a delivery's first one (replays included) is a retry.
    attempted = Delivery.objects.filter(attempts__gt=0).count()
    return {
        **deliveries,
        **attempts,
        "retries_total": max(0, attempts["attempts_total"] - attempted),
    }


def collect() -> Iterator[Metric]:
    """Scrape-time families (registered with studio.core.metrics in apps.py)."""
    for name, value in counts().items():
        # prometheus-client adds `_total` to a counter's name itself.
        yield CounterMetricFamily(
            f"studio_webhook_{name.removesuffix('_total')}", HELP[name], value=value
        )
    disabled = Endpoint.objects.filter(disabled_at__isnull=False).count()
    yield GaugeMetricFamily(
        "studio_webhook_endpoints_disabled", "Webhook endpoints turned off", value=disabled
    )
