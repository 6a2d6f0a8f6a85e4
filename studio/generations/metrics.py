"""The generations' figures: events the pipeline moves as it works (transitions, latencies,
retries, the polling loop) and the jobs' state read from the database at each scrape
(registered with studio.core.metrics from apps.py)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime

from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from prometheus_client import Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric

from studio.core.metrics import JOB_BUCKETS, LATENCY_BUCKETS
from studio.upstream import facts

TRANSITIONS = Counter(
    "studio_generation_transitions_total",
    "Generations moved into a state, by that state.",
    ["state"],
)
FAILURES = Counter(
    "studio_generation_failures_total",
    "Generations that failed, by failure code.",
    ["failure_code"],
)
ADDED_LATENCY = Histogram(
    "studio_generation_added_latency_seconds",
    "From the provider having finished a job (estimated from the polls around it) to its "
    "outputs stored and the row completed: what the studio adds to the provider's time.",
    buckets=LATENCY_BUCKETS,
)
SUBMIT_TO_DONE = Histogram(
    "studio_generation_submit_to_done_seconds",
    "From a generation saved to it completed or failed.",
    ["outcome"],
    buckets=JOB_BUCKETS,
)
RETRIES = Counter(
    "studio_upstream_retries_total",
    "Requests to the provider to be made again after a retryable refusal or no answer.",
    ["method"],
)
LOOP_TURNS = Counter("studio_poll_loop_turns_total", "Turns of the polling loop.")
LEASE_HELD = Gauge(
    "studio_poll_lease_held",
    "1 while this process's polling loop holds the lease (scrape each worker: the one "
    "answering 1 is the holder).",
    multiprocess_mode="livesum",
)
GET_BUDGET_AVAILABLE = Gauge(
    "studio_upstream_get_budget_available",
    "GETs the polling loop's per-second budget had left at the start of its last turn.",
    multiprocess_mode="livesum",
)
GETS_DEFERRED = Counter(
    "studio_upstream_gets_deferred_total",
    "Due polls left for a later turn because the GET budget was spent.",
)
POSTS_HELD_BACK = Counter(
    "studio_upstream_posts_held_back_total",
    "Submits held back by the shared POST budget or the limit on jobs in flight.",
)


def _known_code(code: str) -> str:
    """A failure code as a label: the provider may invent codes; keep the set bounded."""
    return code if code in facts.FAILURE_CODES else "other"


def entered(state: str, *, created_at: datetime | None, failure_code: str = "") -> None:
    """A generation moved into `state` (see on_transition)."""
    TRANSITIONS.labels(state=state).inc()
    if state == "failed":
        FAILURES.labels(failure_code=_known_code(failure_code)).inc()
    if state in ("completed", "failed") and created_at is not None:
        SUBMIT_TO_DONE.labels(outcome=state).observe(
            max(0.0, (timezone.now() - created_at).total_seconds())
        )


log = logging.getLogger("studio.generations")


def on_transition(generation, old_state: str, new_state: str) -> None:
    """A STUDIO_TRANSITION_HOOKS hook (called inside the transaction of each state change):
    the transition is logged and counted once it has committed, never for one rolled back."""
    pk, code, created = generation.pk, generation.failure_code, generation.created_at

    def committed() -> None:
        log.info(
            "generation %s: %s -> %s%s",
            pk,
            old_state,
            new_state,
            f" ({code})" if new_state == "failed" else "",
            extra={
                "generation_id": pk,
                "from_state": old_state,
                "state": new_state,
                **({"failure_code": code} if new_state == "failed" else {}),
            },
        )
        entered(new_state, created_at=created, failure_code=code)

    transaction.on_commit(committed)


def collect_state() -> Iterator[Metric]:
    """Read at each scrape of the web tier's /metrics: what the rows say now."""
    from .models import Generation, PollLease, State

    by_state = GaugeMetricFamily(
        "studio_generations",
        "Generations by state and failure code (empty unless failed).",
        labels=["state", "failure_code"],
    )
    counts: dict[tuple[str, str], int] = {(s, ""): 0 for s in State.values}
    rows = Generation.objects.order_by().values_list("state", "failure_code")
    for state, code, n in rows.annotate(n=Count("pk")).values_list("state", "failure_code", "n"):
        key = (state, _known_code(code) if state == State.FAILED else "")
        counts[key] = counts.get(key, 0) + n
    for (state, code), n in sorted(counts.items()):
        by_state.add_metric([state, code], n)
    yield by_state
    yield GaugeMetricFamily(
        "studio_jobs_in_flight",
        "Jobs sent to the provider and not yet final, submits under way included.",
        value=Generation.objects.at_provider().count() + Generation.objects.sending().count(),
    )
    yield GaugeMetricFamily(
        "studio_jobs_pending",
        "Jobs saved and not yet sent (waiting for a worker or a free slot).",
        value=Generation.objects.unsent().count(),
    )
    now = timezone.now()
    yield GaugeMetricFamily(
        "studio_poll_lease_active",
        "1 while some polling loop holds an unexpired lease.",
        value=int(
            PollLease.objects.filter(name=PollLease.POLLER, expires_at__gt=now)
            .exclude(holder="")
            .exists()
        ),
    )
