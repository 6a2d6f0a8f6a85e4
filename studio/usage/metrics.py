"""Spend as an operator watches it, read from the rows at each scrape (see
studio.core.metrics): the sums the usage pages show, for the whole studio."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric

from studio.generations.models import Generation

from . import prices


def collect() -> Iterator[Metric]:
    month = prices.totals(Generation.objects.filter(created_at__gte=prices.month_start()))[0]
    yield GaugeMetricFamily(
        "studio_spend_this_month_usd",
        "Completed jobs this UTC calendar month, at the prices they were submitted at.",
        value=float(month["spent"]),
    )
    yield GaugeMetricFamily(
        "studio_held_this_month_usd",
        "Jobs in flight this UTC calendar month (counted against budgets until they end).",
        value=float(month["held"]),
    )
