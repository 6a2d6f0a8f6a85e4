"""A body that never ends, sent over a real socket to the production server (gunicorn, as
the README's production section runs it): the worker is ended at its timeout, the
connection closes, nothing is saved, and the server goes on serving."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request

import pytest
from django.db import connection

from studio.core import processes
from studio.generations.models import Generation
from studio.uploads.models import StagedUpload
from tests.worker import REPO, database_url, worker_env

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TIMEOUT = 3  # gunicorn --timeout: seconds a worker may sit on one request


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_up(url: str, proc: subprocess.Popen, deadline: float = 30) -> None:
    """Until `url` answers 200; fails at once if the server process has exited."""
    end = time.monotonic() + deadline
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > end:
            raise AssertionError(f"gunicorn did not come up (exit {proc.poll()})")
        time.sleep(0.3)


@pytest.fixture(
    params=[
        ["studio.wsgi:application"],
        ["--worker-class=uvicorn_worker.UvicornWorker", "studio.asgi:application"],
    ],
    ids=["wsgi", "asgi"],
)
def gunicorn(settings, request):
    port = _free_port()
    env = worker_env(db_url=database_url(connection.settings_dict), media_root=settings.MEDIA_ROOT)
    proc = processes.start(
        [
            sys.executable,
            "-m",
            "gunicorn",
            f"--bind=127.0.0.1:{port}",
            "--workers=1",
            f"--timeout={TIMEOUT}",
            "--graceful-timeout=1",
            *request.param,
        ],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_up(f"{base}/accounts/login/", proc)
        yield port, base, proc, request.node.callspec.id
    finally:
        processes.stop(proc, grace=10)


def _stalled_head(port: int) -> bytes:
    return (
        "POST /generations/ HTTP/1.1\r\n"
        f"Host: 127.0.0.1:{port}\r\n"
        "Content-Type: multipart/form-data; boundary=xx\r\n"
        "Content-Length: 5000000\r\n"
        "\r\n"
        '--xx\r\nContent-Disposition: form-data; name="prompt"\r\n\r\nnever finished'
    ).encode()


def test_a_body_that_never_ends_is_cut_off_and_nothing_is_saved(gunicorn):
    port, base, proc, kind = gunicorn
    if kind == "asgi":
        pytest.skip("uvicorn waits for a body as long as the client keeps the socket: see below")
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(_stalled_head(port))
        # Then nothing more: the server must not wait for ever.
        try:
            answer = sock.recv(65536)
        except (ConnectionResetError, TimeoutError):
            answer = b""
    elapsed = time.monotonic() - started
    assert elapsed < TIMEOUT + 10, f"the connection was held {elapsed:.0f} s"
    assert not answer.startswith(b"HTTP/1.1 2") and not answer.startswith(b"HTTP/1.1 3")
    assert Generation.objects.count() == 0
    assert StagedUpload.objects.count() == 0
    # The server is still there for everyone else.
    # (gunicorn's arbiter replaces the worker it ended.)
    _wait_up(f"{base}/accounts/login/", proc, deadline=30)


def test_stalled_bodies_hold_no_worker_under_asgi(gunicorn):
    """Under uvicorn's workers (what the Dockerfile runs) a body that never ends holds one
    coroutine and its socket until the client or the proxy in front gives up (cutting it
    off is the proxy's job there: docs/security.md); the one worker serves everyone else."""
    port, base, proc, kind = gunicorn
    if kind != "asgi":
        pytest.skip("the sync worker is cut off at its timeout: the test above")
    stalled = [socket.create_connection(("127.0.0.1", port), timeout=30) for _ in range(20)]
    try:
        for sock in stalled:
            sock.sendall(_stalled_head(port))
        started = time.monotonic()
        _wait_up(f"{base}/accounts/login/", proc, deadline=5)
        assert time.monotonic() - started < 2
    finally:
        for sock in stalled:
            sock.close()
    assert Generation.objects.count() == 0
    assert StagedUpload.objects.count() == 0
