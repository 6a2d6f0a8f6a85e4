"""The simulator's fault triggers used by the fault suite (tests/faults) and the bench."""

from __future__ import annotations

import io
import time

import pytest
from django.test import Client
from PIL import Image

from .test_views import AUTH, create_completed, download, get, post

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    return Client(headers=AUTH)


@pytest.fixture(autouse=True)
def _quick(settings):
    settings.DEBUG = True
    settings.SIMULATOR_SLOW_SECONDS = 0.3


def test_http_trigger_with_a_count_answers_that_many_times(api):
    body = {"prompt": "storm [simulate:http_429x3]", "user_id": "u-1"}
    assert [post(api, body).status_code for _ in range(4)] == [429, 429, 429, 201]


def test_seconds_trigger_sets_the_jobs_own_duration(api, settings):
    settings.SIMULATOR_SECONDS = 0
    job = post(api, {"prompt": "slow one [simulate:seconds_60]"}).json()
    assert get(api, job["id"]).json()["state"] in ("queued", "processing")
    quick = post(api, {"prompt": "quick one"}).json()
    assert get(api, quick["id"]).json()["state"] == "completed"


def test_slow_post_waits_once_and_still_creates_the_job(api):
    started = time.monotonic()
    assert post(api, {"prompt": "[simulate:slow_post] x"}).status_code == 201
    assert time.monotonic() - started >= 0.3
    started = time.monotonic()
    assert post(api, {"prompt": "[simulate:slow_post] x"}).status_code == 201
    assert time.monotonic() - started < 0.3


def test_first_get_faults_strike_once_per_job(api, settings):
    settings.SIMULATOR_SECONDS = 0
    bad = post(api, {"prompt": "[simulate:bad_json] x"}).json()
    first = get(api, bad["id"])
    assert first.status_code == 200
    with pytest.raises(ValueError):
        first.json()
    assert get(api, bad["id"]).json()["state"] == "completed"
    odd = post(api, {"prompt": "[simulate:unknown_state] x"}).json()
    assert get(api, odd["id"]).json()["state"] == "rendering"
    assert get(api, odd["id"]).json()["state"] == "completed"
    slow = post(api, {"prompt": "[simulate:slow_get] x"}).json()
    started = time.monotonic()
    get(api, slow["id"])
    assert time.monotonic() - started >= 0.3


def test_not_image_and_trickle_outputs(api, settings):
    settings.SIMULATOR_SECONDS = 0
    junk = create_completed(api, prompt="[simulate:not_image] x")
    response, content = download(api, junk["output"][0]["url"])
    assert response.status_code == 200 and not content.startswith(b"\x89PNG")
    slow = create_completed(api, prompt="[simulate:trickle] x")
    started = time.monotonic()
    response, content = download(api, slow["output"][0]["url"])
    assert time.monotonic() - started >= 0.25
    assert response.streaming and int(response["Content-Length"]) == len(content)

    with Image.open(io.BytesIO(content)) as img:
        assert img.format == "PNG"
