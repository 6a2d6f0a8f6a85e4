"""The upstream client on its own: errors, headers, logging, downloads."""

from __future__ import annotations

import logging

import pytest
import requests
import responses

from studio.upstream.client import LumaClient
from studio.upstream.errors import DownloadError, UnknownOutcome, UpstreamError

API = "https://agents.test/v1"
KEY = "sk-secret-should-never-be-logged"


@pytest.fixture
def client(settings):
    settings.LUMA_AGENTS_API_KEY = KEY
    settings.SIMULATOR_ENABLED = False
    return LumaClient(base_url=API, api_key=KEY)


@responses.activate
def test_create_sends_auth_json_and_request_id(client):
    responses.post(
        f"{API}/generations",
        json={"id": "g1", "state": "queued"},
        status=201,
        headers={"X-Request-Id": "rid-1"},
    )
    assert client.create_generation({"prompt": "x"}, request_id="rid-1")["id"] == "g1"
    sent = responses.calls[0].request
    assert sent.headers["Authorization"] == f"Bearer {KEY}"
    assert sent.headers["X-Request-Id"] == "rid-1"
    assert sent.headers["Content-Type"] == "application/json"


@responses.activate
def test_logs_method_path_status_duration_and_request_id_never_the_key(client, caplog):
    responses.get(f"{API}/generations/g1", json={"id": "g1"}, headers={"X-Request-Id": "rid-9"})
    with caplog.at_level(logging.INFO, logger="studio.upstream"):
        client.get_generation("g1", request_id="rid-9")
    line = caplog.records[-1].getMessage()
    assert "GET /generations/g1 -> 200" in line
    assert " ms " in line and "request_id=rid-9" in line
    assert KEY not in caplog.text


@pytest.mark.parametrize(
    "status,retryable",
    [
        (400, False),
        (401, False),
        (402, False),
        (404, False),
        (413, False),
        (422, False),
        (429, True),
        (502, True),
        (503, True),
    ],
)
@responses.activate
def test_errors_are_typed(client, status, retryable):
    responses.post(
        f"{API}/generations",
        json={"detail": "why"},
        status=status,
        headers={"Retry-After": "3"} if status == 429 else {},
    )
    with pytest.raises(UpstreamError) as info:
        client.create_generation({"prompt": "x"}, request_id="r")
    err = info.value
    assert (err.status, err.detail, err.retryable) == (status, "why", retryable)
    assert err.retry_after == (3.0 if status == 429 else None)


@responses.activate
def test_non_json_error_body_still_gives_a_detail(client):
    responses.post(f"{API}/generations", body="<html>Bad Gateway</html>", status=502)
    with pytest.raises(UpstreamError) as info:
        client.create_generation({"prompt": "x"}, request_id="r")
    assert "Bad Gateway" in info.value.detail


@responses.activate
def test_read_timeout_on_post_is_an_unknown_outcome_not_retryable(client):
    responses.post(f"{API}/generations", body=requests.ReadTimeout("slow"))
    with pytest.raises(UnknownOutcome) as info:
        client.create_generation({"prompt": "x"}, request_id="r")
    assert info.value.retryable is False


@responses.activate
def test_read_timeout_on_get_may_be_retried(client):
    responses.get(f"{API}/generations/g1", body=requests.ReadTimeout("slow"))
    with pytest.raises(UnknownOutcome) as info:
        client.get_generation("g1", request_id="r")
    assert info.value.retryable is True


def test_connection_refused_is_retryable_and_not_unknown(settings):
    client = LumaClient(base_url="http://127.0.0.1:9/v1", api_key=KEY)
    with pytest.raises(UpstreamError) as info:
        client.create_generation({"prompt": "x"}, request_id="r")
    assert not isinstance(info.value, UnknownOutcome)
    assert info.value.retryable and info.value.status is None


@responses.activate
def test_download_streams_under_the_cap(client):
    responses.get("https://cdn.test/a.png", body=b"x" * 5000)
    with client.download("https://cdn.test/a.png", max_bytes=6000) as fh:
        assert fh.read() == b"x" * 5000


@responses.activate
def test_download_over_the_cap_is_refused_even_without_content_length(client):
    responses.add(
        responses.Response(
            "GET", "https://cdn.test/b.png", body=b"y" * 10240, auto_calculate_content_length=False
        )
    )
    with pytest.raises(DownloadError) as info:
        client.download("https://cdn.test/b.png", max_bytes=4096)
    # Caught while streaming (no Content-Length was announced).
    assert info.value.detail == "output is over the 4096 byte limit"
    assert info.value.retryable is False


@responses.activate
def test_download_404_is_a_download_error(client):
    responses.get("https://cdn.test/c.png", status=404)
    with pytest.raises(DownloadError) as info:
        client.download("https://cdn.test/c.png")
    assert info.value.status == 404 and not info.value.retryable


def test_queue_settings_keep_the_row_as_source_of_truth(settings):
    q = settings.Q_CLUSTER
    assert q["retry"] > q["timeout"] * 2
    assert q["ack_failures"] is True
    assert q["max_attempts"] <= 2
