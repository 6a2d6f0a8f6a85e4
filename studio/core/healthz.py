"""What `/healthz` checks: the database always, Redis and S3 when they are configured.

Each check answers "ok", "off" (not configured) or a short error naming the exception's
class only: the endpoint needs no login, so it must not leak hosts, names or data.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import connections

OK = "ok"
OFF = "off"
# Short enough for a health check run every few seconds by compose or a load balancer.
TIMEOUT_SECONDS = 3


def check_database() -> str:
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return OK


def check_redis() -> str:
    if not settings.REDIS_URL:
        return OFF
    import redis

    client = redis.Redis.from_url(
        settings.REDIS_URL, socket_timeout=TIMEOUT_SECONDS, socket_connect_timeout=TIMEOUT_SECONDS
    )
    try:
        client.ping()
    finally:
        client.close()
    return OK


def check_storage() -> str:
    if settings.S3_BUCKET:
        # HEAD on the bucket: reachable, the credentials valid, the bucket there.
        client = default_storage.connection.meta.client
        client.head_bucket(Bucket=settings.S3_BUCKET)
        return OK
    # The disk: the media folder (or, before the first file, the folder it will be made in)
    # must be writable by this process.
    folder = Path(settings.MEDIA_ROOT)
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        raise NotADirectoryError("the media folder cannot be made")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise PermissionError("the media folder is not writable")
    return OK


CHECKS: dict[str, Callable[[], str]] = {
    "database": check_database,
    "redis": check_redis,
    "storage": check_storage,
}


def run_checks() -> dict[str, str]:
    """Every check's answer, in a fixed order; a check that raises reports its error."""
    report: dict[str, str] = {}
    for name, check in CHECKS.items():
        try:
            report[name] = check()
        except Exception as exc:  # a health check reports failures, it never raises
            report[name] = f"error: {type(exc).__name__}"
    return report


def healthy(report: dict[str, str]) -> bool:
    return all(value in (OK, OFF) for value in report.values())
