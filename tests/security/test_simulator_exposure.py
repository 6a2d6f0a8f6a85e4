"""The simulator has no accounts and stores whatever it is sent: over HTTP it answers only
while DEBUG is on. The worker reaches it in-process, DEBUG or not; a forged Host header
cannot pass for that (the in-process mark is a WSGI environ key, not a header)."""

from __future__ import annotations

import json

import pytest
from django.conf import settings
from django.test import Client
from PIL import Image

from studio.simulator.models import SimulatedJob
from studio.upstream.client import LumaClient, reset_client

AUTH = {"Authorization": "Bearer sk-anything"}
BODY = json.dumps({"prompt": "a lighthouse"})


def _post(client: Client, **extra):
    return client.post("/simulator/v1/generations", BODY, content_type="application/json", **extra)


@pytest.mark.django_db
def test_with_debug_off_http_clients_get_a_plain_404_and_nothing_is_stored(settings):
    settings.DEBUG = False
    client = Client(headers=AUTH)
    for response in (
        _post(client),
        _post(client, HTTP_HOST=settings.SIMULATOR_HOST),
        client.get("/simulator/v1/generations/anything"),
        client.get("/simulator/v1/files/x/0.png"),
    ):
        assert response.status_code == 404
        assert "application/json" not in response["Content-Type"]
    assert SimulatedJob.objects.count() == 0


@pytest.mark.django_db
def test_with_debug_on_it_answers_http_like_the_api(settings):
    settings.DEBUG = True
    response = _post(Client(headers=AUTH))
    assert response.status_code == 201
    assert response.json()["state"] == "queued"


@pytest.mark.django_db(transaction=True)
def test_the_worker_reaches_it_in_process_with_debug_off(settings):
    settings.DEBUG = False
    reset_client()
    client = LumaClient()
    assert client.base_url == settings.SIMULATOR_BASE_URL
    created = client.create_generation({"prompt": "in process"}, request_id="t-1")
    polled = client.get_generation(created["id"], request_id="t-2")
    assert polled["state"] == "completed"
    with client.download(polled["output"][0]["url"]) as fh:
        assert Image.open(fh).format == "PNG"


def test_it_is_csrf_exempt_as_the_api_it_imitates():
    # A bearer key, no cookies: a cross-site page has no session to ride. The studio's own
    # POSTs are all CSRF-protected (test_csrf.py).
    from studio.simulator import views

    for view in (views.create_generation, views.get_generation, views.download_output):
        assert getattr(view, "csrf_exempt", False)
    assert settings.SIMULATOR_HOST in settings.ALLOWED_HOSTS
