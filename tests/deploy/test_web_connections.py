"""gunicorn with uvicorn's workers (as compose runs the web service) keeps no database
connection per request: under ASGI each request's sync code may run on a thread of its
own, and a persistent connection kept for such a thread is never used or closed again, so
PostgreSQL ran out of connections under load and every request answered 500."""

from __future__ import annotations

import pytest
import requests
from django.db import connection

from tests.deploy.stack import Gunicorn
from tests.s3 import free_port
from tests.worker import database_url, worker_env

pytestmark = [pytest.mark.deploy, pytest.mark.django_db(transaction=True)]


def server_connections(name: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            [name],
        )
        return cursor.fetchone()[0]


def test_requests_leave_no_database_connection_behind(tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("connections are counted on PostgreSQL (DATABASE_URL=postgres://…)")
    env = worker_env(db_url=database_url(connection.settings_dict), media_root=tmp_path / "media")
    web = Gunicorn(env, port=free_port(), workers=2)
    try:
        web.wait_healthy()
        for _ in range(60):
            # /healthz asks the database each time.
            assert requests.get(f"{web.url}/healthz", timeout=10).status_code == 200
        # Two processes: with a connection kept per request's thread there were about 60.
        assert server_connections(connection.settings_dict["NAME"]) <= 4
    finally:
        web.stop()
