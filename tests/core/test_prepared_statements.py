"""On PostgreSQL the studio's queries are sent with their parameters apart and prepared on
their connection once run a few times, so PostgreSQL plans a page's and a poll's queries once
per connection rather than at every request (STUDIO_DB_PREPARED, on by default)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.contrib.auth import get_user_model
from django.db import connection

from tests.worker import REPO

pytestmark = pytest.mark.django_db


def test_a_query_run_often_is_prepared_on_its_connection():
    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's (DATABASE_URL=postgres://…)")
    user = get_user_model().objects.create_user("prepared")
    for _ in range(6):
        assert get_user_model().objects.get(pk=user.pk) == user
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cursor.fetchall()]
    assert any('FROM "auth_user"' in sql and "$1" in sql for sql in prepared), prepared


@pytest.mark.parametrize(("value", "expected"), [(None, "True 5"), ("0", "None None")])
def test_the_setting_can_turn_it_off(value, expected):
    """Behind PgBouncer in transaction mode a connection's prepared statements are lost."""
    env = {k: v for k, v in os.environ.items() if k != "STUDIO_DB_PREPARED"}
    env.update(
        DATABASE_URL="postgres://nobody@127.0.0.1:5432/unused",
        DJANGO_SETTINGS_MODULE="studio.settings",
    )
    if value is not None:
        env["STUDIO_DB_PREPARED"] = value
    code = (
        "from django.conf import settings; o = settings.DATABASES['default'].get('OPTIONS', {}); "
        "print(o.get('server_side_binding'), o.get('prepare_threshold'))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == expected
