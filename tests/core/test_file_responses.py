"""File views on the disk: streamed by Django, or handed to nginx with X-Accel-Redirect."""

from __future__ import annotations

import pytest

from tests.generations.helpers import complete, make_generation

pytestmark = pytest.mark.django_db


def test_disk_files_are_streamed_and_kept_a_day(owner_client, owner, task_queue):
    gen = complete(make_generation(owner))
    response = owner_client.get(f"/generations/{gen.pk}/outputs/0/")
    assert response.status_code == 200
    assert response.streaming
    assert b"".join(response.streaming_content)[:8] == b"\x89PNG\r\n\x1a\n"
    assert response["Cache-Control"] == "private, max-age=86400"
    assert "X-Accel-Redirect" not in response


def test_x_accel_redirect_hands_the_file_to_nginx(owner_client, owner, task_queue, settings):
    settings.X_ACCEL_REDIRECT = "/protected-media"
    gen = complete(make_generation(owner))
    out = gen.outputs.get()
    response = owner_client.get(f"/generations/{gen.pk}/outputs/0/?download")
    assert response.status_code == 200
    assert response["X-Accel-Redirect"] == f"/protected-media/{out.file.name}"
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response.content == b""


def test_x_accel_redirect_still_checks_access_first(client, owner, outsider, task_queue, settings):
    settings.X_ACCEL_REDIRECT = "/protected-media"
    gen = complete(make_generation(owner))
    client.force_login(outsider)
    response = client.get(f"/generations/{gen.pk}/outputs/0/thumb/")
    assert response.status_code == 404
    assert "X-Accel-Redirect" not in response
