"""`/healthz`: no login, no data; 200 when every configured part answers, 503 naming the
part that does not."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from tests.s3 import free_port

pytestmark = pytest.mark.django_db


def test_healthy_on_the_defaults_without_login(client, settings):
    settings.REDIS_URL = ""
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "redis": "off", "storage": "ok"}
    assert response["Cache-Control"] == "no-store"


def test_answers_only_get(client):
    assert client.post("/healthz").status_code == 405


def test_a_dead_redis_is_named_and_answers_503(client, settings):
    port = free_port()
    settings.REDIS_URL = f"redis://127.0.0.1:{port}/0"
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["database"] == "ok"
    assert body["redis"].startswith("error: ")
    # The class of the error only: no host, port or other detail for anonymous callers.
    assert str(port) not in body["redis"] and "127.0.0.1" not in body["redis"]


def test_a_dead_database_is_named(client, monkeypatch):
    from studio.core import healthz

    def down() -> str:
        raise ConnectionError("could not connect to server at db.internal:5432")

    monkeypatch.setitem(healthz.CHECKS, "database", down)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "error: ConnectionError"
    assert b"db.internal" not in response.content


def test_a_media_folder_that_cannot_be_made_is_named(client, settings, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    settings.MEDIA_ROOT = blocker / "media"
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["storage"] == "error: NotADirectoryError"


def test_an_unwritable_media_folder_is_named(client, settings, tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    settings.MEDIA_ROOT = locked / "media"
    try:
        response = client.get("/healthz")
    finally:
        locked.chmod(0o700)
    import os

    if os.geteuid() == 0:
        pytest.skip("root may write anywhere: the permission check cannot fail here")
    assert response.status_code == 503
    assert response.json()["storage"] == "error: PermissionError"


def test_a_live_redis_is_ok(client, settings):
    import redis

    url = "redis://127.0.0.1:6379/0"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    settings.REDIS_URL = url
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["redis"] == "ok"


def test_s3_storage_is_checked_on_the_s3_server(client, s3_media):
    default_storage.save("probe.txt", ContentFile(b"x"))
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["storage"] == "ok"


def test_a_missing_bucket_answers_503(client, s3_media, settings):
    s3_media.client.delete_bucket(Bucket=s3_media.name)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["storage"] == "error: ClientError"
    assert s3_media.name not in response.content.decode()
