"""The provider API key never reaches a page, a log line or an error report. (The worker's
own log, with real HTTP, is checked in tests/e2e/test_real_http.py.)"""

from __future__ import annotations

import logging
import sys

import pytest
import requests
import responses
from django.contrib.auth import get_user_model
from django.views.debug import ExceptionReporter

from studio.generations import pipeline
from studio.generations.models import Generation
from studio.upstream.client import LumaClient
from tests.generations.helpers import DEFAULTS, image_bytes, upstream_generation

pytestmark = pytest.mark.django_db

KEY = "sk-live-SECRET-never-shown-4f9a2c"
OUT = "https://cdn.test/out/0.png?X-Amz-Signature=abc"


@pytest.fixture
def keyed(real_api, settings):
    settings.LUMA_AGENTS_API_KEY = KEY
    from studio.upstream.client import reset_client

    reset_client()
    return real_api


def test_pages_and_logs_never_show_the_key(client, owner, keyed, task_queue, caplog, settings):
    caplog.set_level(logging.DEBUG)
    client.force_login(owner)
    with responses.RequestsMock() as rsps:
        rsps.post(f"{keyed}/generations", json=upstream_generation(), status=201)
        rsps.get(
            f"{keyed}/generations/up-1",
            json=upstream_generation(state="completed", output=[{"type": "image", "url": OUT}]),
        )
        rsps.get(OUT, body=image_bytes("PNG", (64, 36)), content_type="image/png")
        assert client.post("/generations/", DEFAULTS).status_code == 302
        gen = Generation.objects.get()
        pipeline.submit(gen.pk)
        Generation.objects.filter(pk=gen.pk).update(next_attempt_at=gen.created_at)
        pipeline.poll_due()
        # The key went to the provider, and only there: not to the storage host.
        sent = {c.request.url: c.request.headers.get("Authorization") for c in rsps.calls}
    assert sent[f"{keyed}/generations"] == f"Bearer {KEY}"
    assert sent[OUT] is None
    gen.refresh_from_db()
    assert gen.state == "completed"

    root = get_user_model().objects.create_superuser("root", password="pw-root-123")
    pages = [client.get(u) for u in ("/", f"/generations/{gen.pk}/", "/gallery/poll/?ids=1")]
    client.force_login(root)
    for url in (
        "/admin/generations/generation/",
        f"/admin/generations/generation/{gen.pk}/change/",
        "/admin/",
    ):
        pages.append(client.get(url))
    for page in pages:
        assert page.status_code == 200
        assert KEY not in page.content.decode()
    assert caplog.records, "nothing was logged: the check would prove nothing"
    assert all(KEY not in r.getMessage() for r in caplog.records)
    assert KEY not in caplog.text


@pytest.mark.parametrize("where", ["client", "transport"])
def test_an_error_report_from_inside_the_client_hides_the_key(keyed, rf, monkeypatch, where):
    def explode(*args, **kwargs):
        raise RuntimeError("something unexpected in the transport")

    client = LumaClient()
    if where == "client":
        monkeypatch.setattr(client.session, "request", explode)
    else:
        # Deep in requests: every frame on the way down holds the headers.
        monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", explode)
    try:
        client.create_generation({"prompt": "x"}, request_id="r-1")
    except RuntimeError:
        info = sys.exc_info()
    reporter = ExceptionReporter(rf.get("/"), *info)
    # What DEBUG's error page and the admins' error mail would contain, locals included.
    assert KEY not in reporter.get_traceback_html()
    assert KEY not in reporter.get_traceback_text()
    assert "something unexpected" in reporter.get_traceback_text()
