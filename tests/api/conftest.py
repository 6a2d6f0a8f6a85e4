"""Fixtures for the JSON API: a token for the author, and a worker thread for the live-server
tests (the SDKs poll a real studio, so its jobs must move while they wait)."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection

from studio.api import tokens
from studio.generations import pipeline


@pytest.fixture
def token(owner) -> str:
    return tokens.create(user=owner, name="sdk", expires_days=90)[1]


@pytest.fixture
def auth(token) -> dict[str, str]:
    """Headers for the Django test client."""
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


@pytest.fixture
def worker_thread(task_queue, settings):
    """Runs the recorded tasks (submit) as they are enqueued and polls due rows, beside a
    live server: a worker in a thread, with the simulator's job time at 0."""
    settings.POLL_DENSE_SECONDS = 0.05
    stop = threading.Event()

    def run() -> None:
        try:
            while not stop.is_set():
                if not task_queue.run_all() and not pipeline.poll_due():
                    time.sleep(0.02)
        finally:
            connection.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    yield task_queue
    stop.set()
    thread.join(5)
