"""A studio_worker's own /metrics (STUDIO_WORKER_METRICS_PORT): token-gated like the web's,
and adding up what its cluster's processes did (the POSTs) to what its own polling loop
did (the GETs, the lease)."""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest
from prometheus_client.parser import text_string_to_metric_families

from studio.generations import services
from studio.generations.models import Generation, State
from tests.generations.helpers import DEFAULTS
from tests.s3 import free_port
from tests.worker import finish_worker, start_worker

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TOKEN = "worker-metrics-token"


def fetch(port: int, token: str | None) -> tuple[int, str]:
    request = urllib.request.Request(f"http://127.0.0.1:{port}/metrics")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, ""


def samples(text: str) -> dict[tuple[str, tuple], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_the_worker_serves_its_processes_metrics_behind_the_token(request, settings, owner):
    port = free_port()
    w = start_worker(
        request,
        settings,
        "studio_worker",
        STUDIO_WORKER_METRICS_PORT=str(port),
        STUDIO_WORKER_METRICS_ADDRESS="127.0.0.1",
        STUDIO_METRICS_TOKEN=TOKEN,
    )
    try:
        gen = services.create_generation(user=owner, data={**DEFAULTS, "prompt": "a red kite"})
        w.wait_for(
            lambda: Generation.objects.filter(pk=gen.pk, state=State.COMPLETED).exists(),
            timeout=60,
            what="the job to complete",
        )
        assert fetch(port, None)[0] == 404
        assert fetch(port, "wrong")[0] == 404
        status, text = fetch(port, TOKEN)
        assert status == 200
        found = samples(text)
        posts = found.get(
            ("studio_upstream_requests_total", (("method", "POST"), ("status", "201"))), 0
        )
        gets = found.get(
            ("studio_upstream_requests_total", (("method", "GET"), ("status", "200"))), 0
        )
        assert posts == 1  # sent by a process of the cluster
        assert gets >= 1  # by the polling loop in studio_worker itself
        assert found[("studio_poll_lease_held", ())] == 1
        assert found[("studio_downloads_total", (("outcome", "ok"),))] == 1
        # The database's figures are the web tier's to show, not each worker's.
        assert not any(name == "studio_jobs_in_flight" for name, _ in found)
    finally:
        finish_worker(request, w)
