"""The compose `monitoring` profile: Prometheus scrapes what the studio serves, and every
metric the Grafana dashboard (deploy/grafana/studio.json) or an alert rule names is one the
studio exposes (a renamed metric would leave an empty panel or an alert that never fires).
Tested as data, like test_compose.py: our machines have no Docker engine."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from django.urls import resolve
from prometheus_client.parser import text_string_to_metric_families

from studio.core import views as core_views
from tests.deploy.compose_file import COMPOSE, SERVICES

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
DASHBOARD = json.loads((DEPLOY / "grafana" / "studio.json").read_text())
PROMETHEUS = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text())
ALERTS = yaml.safe_load((DEPLOY / "prometheus" / "alerts.yml").read_text())
TOKEN = "monitoring-test-token"
NAME = re.compile(r"\bstudio_[a-z0-9_]+")
# The sample names each metric type gives in the text format.
SUFFIXES = {
    "counter": ["_total", "_created"],
    "histogram": ["_bucket", "_count", "_sum", "_created"],
    "gauge": [""],
    "summary": ["_count", "_sum", "_created", ""],
    "unknown": [""],
}


def dashboard_expressions() -> list[str]:
    return [t["expr"] for p in DASHBOARD["panels"] for t in p.get("targets", [])]


def alert_expressions() -> list[str]:
    return [r["expr"] for g in ALERTS["groups"] for r in g["rules"]]


@pytest.fixture
def exposed(client, settings, db) -> set[str]:
    """Every sample name the web tier's /metrics can carry, from its families and types
    (a labelled family with nothing counted yet still says its name and type)."""
    settings.METRICS_TOKEN = TOKEN
    text = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").content.decode()
    names = set()
    for family in text_string_to_metric_families(text):
        names.update(family.name + suffix for suffix in SUFFIXES[family.type])
    return names


def test_every_metric_the_dashboard_and_the_alerts_name_is_exposed(exposed):
    named = {n for e in dashboard_expressions() + alert_expressions() for n in NAME.findall(e)}
    assert len(named) > 15
    missing = sorted(named - exposed)
    assert not missing, f"named in deploy/ but not exposed: {missing}"


def test_the_dashboard_shows_what_the_issue_asks_for():
    titles = " | ".join(p["title"].lower() for p in DASHBOARD["panels"])
    for topic in ("jobs by state", "added latency", "provider errors", "queue depth"):
        assert topic in titles
    assert "request latency" in titles and "spend" in titles
    exprs = " ".join(dashboard_expressions())
    assert "histogram_quantile(0.5," in exprs and "histogram_quantile(0.95," in exprs
    assert DASHBOARD["uid"] == "studio"


def test_the_profile_runs_prometheus_and_grafana_only_when_asked():
    for name in ("prometheus", "grafana"):
        assert SERVICES[name]["profiles"] == ["monitoring"]
    for name in ("web", "worker", "migrate", "postgres", "redis", "minio"):
        assert "profiles" not in SERVICES[name]
    assert SERVICES["prometheus"]["image"].startswith("prom/prometheus:")
    assert SERVICES["grafana"]["image"].startswith("grafana/grafana:")


def test_every_file_the_profile_mounts_exists():
    for name in ("prometheus", "grafana"):
        for volume in SERVICES[name]["volumes"]:
            source = volume.split(":", 1)[0]
            if source.startswith("./"):
                assert (REPO / source).exists(), f"{name} mounts {source}: no such file"
    assert "promdata" in COMPOSE["volumes"] and "grafanadata" in COMPOSE["volumes"]


def test_prometheus_scrapes_the_web_s_and_every_worker_s_metrics_with_the_token():
    jobs = {j["job_name"]: j for j in PROMETHEUS["scrape_configs"]}
    web, worker = jobs["studio-web"], jobs["studio-worker"]
    assert web["static_configs"][0]["targets"] == ["web:8000"]
    assert resolve(web["metrics_path"]).func is core_views.metrics
    worker_port = int(SERVICES["worker"]["environment"]["STUDIO_WORKER_METRICS_PORT"])
    assert worker["dns_sd_configs"][0] == {"names": ["worker"], "type": "A", "port": worker_port}
    token_file = web["authorization"]["credentials_file"]
    assert worker["authorization"]["credentials_file"] == token_file
    # The container writes that file from the same token the studio reads.
    assert token_file in SERVICES["prometheus"]["command"][0]
    assert "STUDIO_METRICS_TOKEN" in SERVICES["prometheus"]["environment"]
    assert "STUDIO_METRICS_TOKEN" in SERVICES["web"]["environment"]
    assert "/etc/prometheus/alerts.yml" in PROMETHEUS["rule_files"]


def test_grafana_is_provisioned_with_prometheus_and_the_dashboard():
    provisioning = DEPLOY / "grafana" / "provisioning"
    sources = yaml.safe_load((provisioning / "datasources" / "prometheus.yml").read_text())
    source = sources["datasources"][0]
    assert source["url"] == "http://prometheus:9090" and source["uid"] == "prometheus"
    providers = yaml.safe_load((provisioning / "dashboards" / "studio.yml").read_text())
    path = providers["providers"][0]["options"]["path"]
    assert any(v.endswith(f":{path}/studio.json:ro") for v in SERVICES["grafana"]["volumes"])
    for panel in DASHBOARD["panels"]:
        assert panel["datasource"]["uid"] == "prometheus"
