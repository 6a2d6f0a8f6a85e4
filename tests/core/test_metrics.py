"""/metrics: refused without the token, Prometheus text with it; every family the operator
was promised exists and moves when a job runs on the simulator; no label names a person."""

from __future__ import annotations

import re
import time

import pytest
from prometheus_client.parser import text_string_to_metric_families

from studio.generations.models import FINAL, Generation, State
from studio.webhooks.models import Endpoint
from tests.generations.helpers import FORM

pytestmark = pytest.mark.django_db(transaction=True)

TOKEN = "metrics-token-for-tests"
AUTH = {"HTTP_AUTHORIZATION": f"Bearer {TOKEN}"}

# Every family the issue names, by what an operator asks of it.
FAMILIES = [
    "studio_http_requests",  # requests by view and status (a counter: _total in the text)
    "studio_http_request_duration_seconds",
    "studio_generations",  # by state and failure code
    "studio_generation_transitions",
    "studio_generation_failures",
    "studio_jobs_in_flight",
    "studio_jobs_pending",
    "studio_generation_added_latency_seconds",
    "studio_generation_submit_to_done_seconds",
    "studio_upstream_requests",
    "studio_upstream_request_duration_seconds",
    "studio_upstream_rate_limited",
    "studio_upstream_retries",
    "studio_upstream_get_budget_available",
    "studio_upstream_gets_deferred",
    "studio_upstream_posts_held_back",
    "studio_downloads",
    "studio_download_bytes",
    "studio_poll_loop_turns",
    "studio_poll_lease_held",
    "studio_poll_lease_active",
    "studio_spend_this_month_usd",
    "studio_held_this_month_usd",
    # Registered by studio.webhooks, read from its delivery log.
    "studio_webhook_deliveries",
    "studio_webhook_delivered",
    "studio_webhook_attempts",
    "studio_webhook_retries",
    "studio_webhook_given_up",
]


@pytest.fixture
def token(settings):
    settings.METRICS_TOKEN = TOKEN
    return TOKEN


def scrape(client) -> dict[str, dict[tuple, float]]:
    """{family: {(sample name, sorted labels): value}}."""
    response = client.get("/metrics", **AUTH)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    found: dict[str, dict[tuple, float]] = {}
    for family in text_string_to_metric_families(response.content.decode()):
        samples = found.setdefault(family.name, {})
        for s in family.samples:
            samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return found


def value(found, family: str, sample: str | None = None, **labels) -> float:
    """The sum of a family's samples named `sample` (default: the family's own) whose labels
    include `labels`."""
    name = sample or family
    return sum(
        v
        for (n, ls), v in found.get(family, {}).items()
        if n == name and all((k, w) in ls for k, w in labels.items())
    )


def test_refused_without_a_token_set(client, settings):
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 404


def test_refused_without_or_with_a_wrong_token(client, token):
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer nope").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION=TOKEN).status_code == 404


def test_a_signed_in_person_without_the_token_gets_404(owner_client, token):
    assert owner_client.get("/metrics").status_code == 404


def test_answers_prometheus_text_with_the_token(client, token):
    found = scrape(client)
    assert value(found, "studio_jobs_in_flight") == 0
    assert value(found, "studio_generations", state="completed") == 0


def run_until_final(task_queue, ids, timeout=20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        task_queue.run_all(max_steps=20)
        if Generation.objects.filter(pk__in=ids, state__in=FINAL).count() == len(ids):
            return
        if not task_queue.calls:
            # The loop went idle between turns: what the watchdog would restart.
            from studio.generations import pipeline

            pipeline.ensure_poller()
        time.sleep(0.05)
    raise AssertionError(f"generations {ids} did not finish")


def test_each_family_exists_and_moves_when_jobs_run_on_the_simulator(
    owner_client, owner, token, task_queue, settings
):
    # Long enough for a GET to find a job still running, short enough for a test.
    settings.SIMULATOR_SECONDS = 0.6
    before = scrape(owner_client)
    for name in FAMILIES:
        assert name in before, f"{name} is not exposed"

    # A webhook endpoint, so each job's end makes a delivery (its outbox row).
    Endpoint.objects.create(
        user=owner,
        url="https://hooks.example.test/studio",
        events=["generation.completed", "generation.failed"],
    )
    prompts = [
        "a paper boat",
        "[simulate:http_429] a kite",
        "[simulate:content_moderated] a forbidden thing",
    ]
    for prompt in prompts:
        response = owner_client.post("/generations/", {**FORM, "prompt": prompt})
        assert response.status_code in (200, 302)
    ids = list(Generation.objects.values_list("pk", flat=True))
    assert len(ids) == 3
    middle = scrape(owner_client)
    assert value(middle, "studio_jobs_pending") + value(middle, "studio_jobs_in_flight") == 3

    run_until_final(task_queue, ids)
    after = scrape(owner_client)

    def moved(family, sample=None, **labels):
        return value(after, family, sample, **labels) - value(before, family, sample, **labels)

    assert moved("studio_http_requests", "studio_http_requests_total", status="302") >= 3
    assert (
        moved(
            "studio_http_request_duration_seconds",
            "studio_http_request_duration_seconds_count",
            view="generation-create",
        )
        == 3
    )
    assert value(after, "studio_generations", state="completed") == 2
    assert value(after, "studio_generations", state="failed", failure_code="content_moderated") == 1
    assert (
        moved(
            "studio_generation_transitions",
            "studio_generation_transitions_total",
            state="completed",
        )
        == 2
    )
    assert (
        moved(
            "studio_generation_failures",
            "studio_generation_failures_total",
            failure_code="content_moderated",
        )
        == 1
    )
    assert value(after, "studio_jobs_in_flight") == 0
    assert value(after, "studio_jobs_pending") == 0
    assert (
        moved(
            "studio_generation_added_latency_seconds",
            "studio_generation_added_latency_seconds_count",
        )
        == 2
    )
    assert (
        moved(
            "studio_generation_submit_to_done_seconds",
            "studio_generation_submit_to_done_seconds_count",
        )
        == 3
    )
    requests = "studio_upstream_requests_total"
    assert moved("studio_upstream_requests", requests, method="POST", status="201") == 3
    assert moved("studio_upstream_requests", requests, method="POST", status="429") == 1
    assert moved("studio_upstream_requests", requests, method="GET", status="200") >= 2
    assert (
        moved(
            "studio_upstream_request_duration_seconds",
            "studio_upstream_request_duration_seconds_count",
            method="GET",
        )
        >= 2
    )
    assert moved("studio_upstream_rate_limited", "studio_upstream_rate_limited_total") == 1
    assert moved("studio_upstream_retries", "studio_upstream_retries_total", method="POST") == 1
    assert moved("studio_downloads", "studio_downloads_total", outcome="ok") == 2
    assert moved("studio_download_bytes", "studio_download_bytes_total") > 1000
    assert moved("studio_poll_loop_turns", "studio_poll_loop_turns_total") >= 1
    assert value(after, "studio_upstream_get_budget_available") >= 1
    assert value(after, "studio_spend_this_month_usd") > value(
        before, "studio_spend_this_month_usd"
    )
    assert value(after, "studio_held_this_month_usd") == 0
    assert moved("studio_webhook_deliveries", "studio_webhook_deliveries_total") == 3


def test_the_get_budget_and_post_budget_families_move_when_tight(
    owner_client, owner, token, task_queue, settings
):
    settings.UPSTREAM_MAX_CONCURRENT_JOBS = 1
    settings.UPSTREAM_GETS_PER_SECOND = 1.0
    settings.SIMULATOR_SECONDS = 0.3
    before = scrape(owner_client)
    for _ in range(3):
        owner_client.post("/generations/", FORM)
    run_until_final(task_queue, list(Generation.objects.values_list("pk", flat=True)))
    after = scrape(owner_client)
    held = "studio_upstream_posts_held_back_total"
    assert value(after, "studio_upstream_posts_held_back", held) > value(
        before, "studio_upstream_posts_held_back", held
    )
    assert Generation.objects.filter(state=State.COMPLETED).count() == 3


def test_no_label_names_a_person_a_prompt_a_token_or_an_email(
    owner_client, owner, token, task_queue, settings
):
    owner.email = "owner@example.test"
    owner.save()
    owner_client.post("/generations/", {**FORM, "prompt": "a secret lighthouse"})
    run_until_final(task_queue, list(Generation.objects.values_list("pk", flat=True)))
    owner_client.get("/")
    text = owner_client.get("/metrics", **AUTH).content.decode()
    labels = " ".join(re.findall(r"\{([^}]*)\}", text))
    for secret in ["owner", "owner@example.test", "lighthouse", TOKEN, settings.SECRET_KEY]:
        assert secret not in labels
    assert "studio-" not in labels  # no request id, no upstream id
