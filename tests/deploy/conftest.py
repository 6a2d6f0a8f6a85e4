import pytest
from django.db import connection

from tests.s3 import s3_media, s3_server  # noqa: F401


@pytest.fixture
def scaled_out(settings):
    """Skip unless this run is on PostgreSQL and Redis, the configuration that scales."""
    if connection.vendor != "postgresql" or not settings.REDIS_URL:
        pytest.skip(
            "two workers need the scaled configuration: run with DATABASE_URL=postgres://… "
            "and REDIS_URL=redis://… (as .ci/run's second run does)"
        )
