"""STUDIO_LOG_FORMAT=json: one JSON object per line, and one request followed by its id
from the web (the access line, the row created) through the task a real worker runs, to
the provider (sent as X-Request-Id: the simulator, reached in-process, logs it as its own
request's id), with every transition of the job logged with its generation id."""

from __future__ import annotations

import io
import json
import logging

import pytest

from studio.core import logs
from studio.generations.models import Generation, State
from tests.generations.helpers import FORM
from tests.worker import finish_worker, start_worker


@pytest.fixture
def web_log():
    """The test process's `studio` log lines, formatted as STUDIO_LOG_FORMAT=json does."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.JsonFormatter())
    logger = logging.getLogger("studio")
    logger.addHandler(handler)
    try:
        yield stream
    finally:
        logger.removeHandler(handler)


def parse(text: str) -> list[dict]:
    """Every line, parsed: a line that is not one JSON object fails the test."""
    lines = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError:
            raise AssertionError(f"line {number} is not JSON: {line!r}") from None
        assert isinstance(record, dict), line
        lines.append(record)
    return lines


@pytest.mark.django_db
def test_each_request_logs_one_json_line_with_its_id_view_status_duration_and_person(
    owner_client, owner, web_log
):
    owner.email = "owner@example.test"
    owner.save()
    response = owner_client.get("/", HTTP_X_REQUEST_ID="from-the-proxy-1234")
    assert response["X-Request-Id"] == "from-the-proxy-1234"
    fresh = owner_client.get("/", HTTP_X_REQUEST_ID="bad id with spaces\nand a newline")
    assert fresh["X-Request-Id"].startswith("studio-")

    access = [r for r in parse(web_log.getvalue()) if r["logger"] == "studio.request"]
    first, second = access
    assert first["request_id"] == "from-the-proxy-1234"
    assert second["request_id"] == fresh["X-Request-Id"]
    assert first["view"] == "studio" and first["status"] == 200 and first["method"] == "GET"
    assert first["person_id"] == owner.pk
    assert isinstance(first["duration_ms"], float)
    text = web_log.getvalue()
    assert "owner@example.test" not in text and '"owner"' not in text


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_one_request_is_followed_from_the_web_through_the_task_to_the_provider(
    request, settings, owner_client, owner, web_log
):
    w = start_worker(request, settings, "qcluster", STUDIO_LOG_FORMAT="json")
    try:
        response = owner_client.post("/generations/", FORM)
        assert response.status_code == 302
        request_id = response["X-Request-Id"]
        gen = Generation.objects.get()
        w.wait_for(
            lambda: Generation.objects.filter(pk=gen.pk, state=State.COMPLETED).exists(),
            timeout=60,
            what="the job to complete",
        )
        worker_text = w.log_path.read_text()
    finally:
        finish_worker(request, w)

    web = [r for r in parse(web_log.getvalue()) if r.get("request_id") == request_id]
    assert {"studio.request", "studio.generations"} <= {r["logger"] for r in web}
    created = next(r for r in web if r.get("generation_id") == gen.pk)
    assert created["person_id"] == owner.pk

    worker = parse(worker_text)
    traced = [r for r in worker if r.get("request_id") == request_id]
    # The task's call upstream, sent with the web request's id ...
    post = next(r for r in traced if r.get("upstream_method") == "POST")
    assert post["upstream_request_id"] == request_id and post["upstream_status"] == 201
    # ... which the provider (the simulator, through the same middleware) saw as its own.
    assert any(
        r["logger"] == "studio.request" and r["view"].startswith("simulator") for r in traced
    )
    # Each transition of the job, with its generation id.
    moves = [r for r in worker if r.get("generation_id") == gen.pk and r.get("from_state")]
    assert [m["state"] for m in moves][-1] == State.COMPLETED
    assert moves[0]["from_state"] == State.PENDING
