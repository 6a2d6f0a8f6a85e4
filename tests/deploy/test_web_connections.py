"""gunicorn with uvicorn's workers (as compose runs the web service) keeps no database
connection per thread: under ASGI each request's sync code may run on a thread of its own,
and a persistent connection kept for such a thread is never used or closed again, so
PostgreSQL ran out of connections under load and every request answered 500. Each process
has a pool instead (STUDIO_WEB_DB_POOL_MAX): requests reuse its connections, and however
many arrive at once, a process holds no more than the pool's size."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from django.db import connection

from tests.deploy.stack import Gunicorn
from tests.s3 import free_port
from tests.worker import database_url, worker_env

pytestmark = [pytest.mark.deploy, pytest.mark.django_db(transaction=True)]
WORKERS = 2
POOL_MAX = 3


def server_connections(name: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            [name],
        )
        return cursor.fetchone()[0]


def sessions_opened(name: str) -> int:
    """Connections ever made to the database (PostgreSQL 14+ counts them)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute("SELECT sessions FROM pg_stat_database WHERE datname = %s", [name])
        return cursor.fetchone()[0]


def server(tmp_path, **extra: str) -> Gunicorn:
    env = worker_env(db_url=database_url(connection.settings_dict), media_root=tmp_path / "media")
    return Gunicorn({**env, **extra}, port=free_port(), workers=WORKERS)


@pytest.fixture
def postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("connections are counted on PostgreSQL (DATABASE_URL=postgres://…)")
    return connection.settings_dict["NAME"]


def test_requests_share_a_bounded_pool_of_connections(tmp_path, postgresql):
    web = server(tmp_path, STUDIO_WEB_DB_POOL_MAX=str(POOL_MAX))
    try:
        web.wait_healthy()
        before = sessions_opened(postgresql)

        def health(_: int) -> int:
            # /healthz asks the database each time.
            return requests.get(f"{web.url}/healthz", timeout=30).status_code

        with ThreadPoolExecutor(12) as many:
            assert list(many.map(health, range(120))) == [200] * 120
        # 12 at a time: with a connection per request or per thread there were 12 or more.
        assert server_connections(postgresql) <= WORKERS * POOL_MAX
        # And they were reused: 120 requests opened at most the pools' connections.
        assert sessions_opened(postgresql) - before <= WORKERS * POOL_MAX
    finally:
        web.stop()


def test_without_the_pool_requests_leave_no_connection_behind(tmp_path, postgresql):
    web = server(tmp_path, STUDIO_WEB_DB_POOL_MAX="0")
    try:
        web.wait_healthy()
        for _ in range(60):
            assert requests.get(f"{web.url}/healthz", timeout=10).status_code == 200
        # Two processes: with a connection kept per request's thread there were about 60.
        assert server_connections(postgresql) <= 4
    finally:
        web.stop()
