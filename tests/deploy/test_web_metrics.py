"""gunicorn's processes add up their metrics (PROMETHEUS_MULTIPROC_DIR and
studio.core.gunicorn_conf, as compose runs the web service): whichever process answers a
scrape, it counts every request every process answered."""

from __future__ import annotations

import pytest
import requests
from django.db import connection
from prometheus_client.parser import text_string_to_metric_families

from tests.deploy.stack import Gunicorn
from tests.s3 import free_port
from tests.worker import database_url, worker_env

pytestmark = [pytest.mark.deploy, pytest.mark.django_db(transaction=True)]

TOKEN = "web-metrics-token-for-tests"


def healthz_count(url: str) -> float:
    answer = requests.get(
        f"{url}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10
    )
    assert answer.status_code == 200, answer.text
    return sum(
        s.value
        for family in text_string_to_metric_families(answer.text)
        for s in family.samples
        if s.name == "studio_http_requests_total" and s.labels.get("view") == "healthz"
    )


def test_every_gunicorn_process_s_requests_are_counted_by_any_scrape(settings, tmp_path):
    env = worker_env(db_url=database_url(connection.settings_dict), media_root=tmp_path / "media")
    env.update(PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "metrics"), STUDIO_METRICS_TOKEN=TOKEN)
    (tmp_path / "metrics").mkdir()
    # What an earlier run left behind is wiped when gunicorn starts.
    (tmp_path / "metrics" / "counter_99999.db").write_bytes(b"stale")
    web = Gunicorn(env, port=free_port(), workers=3)
    try:
        web.wait_healthy()
        assert not (tmp_path / "metrics" / "counter_99999.db").exists()
        session = requests.Session()
        for _ in range(20):
            # A new connection each time, so the requests spread over the processes.
            assert requests.get(f"{web.url}/healthz", timeout=10).status_code == 200
        assert session.get(f"{web.url}/metrics", timeout=10).status_code == 404
        counts = {healthz_count(web.url) for _ in range(5)}
        # wait_healthy's own probes count too: at least the 20, the same on every scrape.
        assert len(counts) == 1 and counts.pop() >= 20
    finally:
        web.stop()
