"""The OpenAI shape's wait under the server compose runs (gunicorn, uvicorn's worker class):
many requests waiting for their images at once hold no worker, so one worker process still
answers everything else at once."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from studio.api import tokens
from tests.deploy.stack import Gunicorn, stack_env, start_workers, stop_all
from tests.s3 import free_port
from tests.worker import _purge_broker

pytestmark = [pytest.mark.deploy, pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
WAITING = 12


def test_waiting_requests_hold_no_worker(scaled_out, s3_media, owner):
    _, token = tokens.create(user=owner, name="wait", expires_days=1)
    _purge_broker()
    env = {**stack_env(s3_media.name, s3_media.endpoint_url), "STUDIO_SIMULATOR_SECONDS": "4"}
    web_settings = {**env, "DJANGO_DEBUG": "0", "DJANGO_ALLOWED_HOSTS": "127.0.0.1"}
    web = Gunicorn(web_settings, port=free_port(), workers=1)
    workers = []
    try:
        workers = start_workers(1, env)
        web.wait_healthy()
        url = f"{web.url}/api/v1/images/generations"
        headers = {"Authorization": f"Bearer {token}"}

        def generate(i: int) -> requests.Response:
            body = {"prompt": f"wait {i}", "response_format": "url"}
            return requests.post(url, json=body, headers=headers, timeout=120)

        with ThreadPoolExecutor(WAITING) as pool:
            waiting = [pool.submit(generate, i) for i in range(WAITING)]
            time.sleep(1.5)  # every request is in, its job running for seconds
            assert not any(f.done() for f in waiting)
            started = time.monotonic()
            assert requests.get(f"{web.url}/healthz", timeout=5).status_code == 200
            assert time.monotonic() - started < 1.0, "a waiting request held the only worker"
            answers = [f.result() for f in waiting]
        assert [a.status_code for a in answers] == [200] * WAITING, web.tail()
        assert all(a.json()["data"][0]["url"] for a in answers)
    finally:
        web.stop()
        stop_all(workers)
