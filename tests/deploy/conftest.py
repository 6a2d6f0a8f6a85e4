import pytest
from django.db import connection

from tests.deploy.stack import SECRET_KEY
from tests.s3 import s3_media, s3_server  # noqa: F401


@pytest.fixture
def scaled_out(settings, monkeypatch):
    """Skip unless this run is on PostgreSQL and Redis, the configuration that scales."""
    if connection.vendor != "postgresql" or not settings.REDIS_URL:
        pytest.skip(
            "two workers need the scaled configuration: run with DATABASE_URL=postgres://… "
            "and REDIS_URL=redis://… (as .ci/run's second run does)"
        )
    # django-q2 signs tasks with the secret key: what this process enqueues must verify in
    # the stack's workers.
    settings.SECRET_KEY = SECRET_KEY
    from django_q.conf import Conf

    # (django-q2 reads the key once, at import.)
    monkeypatch.setattr(Conf, "SECRET_KEY", SECRET_KEY)
