"""Settings recall and parameters: the SHA-256 kept for each original, recall by it (or by
the file), the parameters document and its download, /?settings=<id>."""

from __future__ import annotations

import hashlib
import io
import json

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from studio.generations import outputs
from studio.generations.models import Generation
from tests.generations.helpers import complete, form_values, make_generation
from tests.images import image_bytes

pytestmark = pytest.mark.django_db


def test_a_stored_original_keeps_the_sha256_of_its_bytes(owner, task_queue):
    gen = make_generation(owner)
    data = image_bytes("JPEG", (40, 30))
    out = outputs.store_output(gen, 0, io.BytesIO(data))
    out.save()
    assert out.sha256 == hashlib.sha256(data).hexdigest()
    with out.file.open("rb") as fh:
        assert fh.read() == data  # byte for byte, never re-encoded


def _recall(client, sha):
    return client.get("/generations/recall/", {"sha256": sha})


def test_recall_by_sha256_gives_the_settings_to_whoever_may_see_it(
    client, owner, member, outsider, team
):
    gen = complete(make_generation(owner, prompt="a fox", aspect_ratio="3:2", style="manga"))
    sha = gen.outputs.get().sha256
    client.force_login(owner)
    body = _recall(client, sha).json()
    assert body["id"] == gen.pk and body["prompt"] == "a fox"
    assert body["parameters"] == {
        "type": "image",
        "aspect_ratio": "3:2",
        "style": "manga",
        "model": "uni-1",
        "output_format": "png",
        "web_search": False,
    }
    client.force_login(member)  # not shared with the team yet
    assert _recall(client, sha).status_code == 404
    Generation.objects.filter(pk=gen.pk).update(team=team)
    assert _recall(client, sha).status_code == 200
    client.force_login(outsider)
    assert _recall(client, sha).status_code == 404
    assert _recall(client, "not-a-hash").status_code == 400


def test_recall_by_posting_the_file(owner_client, owner):
    gen = complete(make_generation(owner))
    with gen.outputs.get().file.open("rb") as fh:
        data = fh.read()
    response = owner_client.post(
        "/generations/recall/", {"image": ContentFile(data, name="dropped.png")}
    )
    assert response.status_code == 200 and response.json()["id"] == gen.pk
    other = owner_client.post(
        "/generations/recall/", {"image": ContentFile(image_bytes("PNG", (9, 9)), name="x.png")}
    )
    assert other.status_code == 404


def test_parameters_document_and_its_download(owner_client, owner, outsider, client):
    gen = complete(make_generation(owner, prompt="a red fox", model="uni-1-max"))
    doc = owner_client.get(f"/generations/{gen.pk}/parameters/").json()
    out = gen.outputs.get()
    assert doc["format"] == "studio.parameters" and doc["id"] == gen.pk
    assert doc["parameters"]["prompt"] == "a red fox"
    assert doc["parameters"]["model"] == "uni-1-max"
    assert doc["outputs"][0]["sha256"] == out.sha256
    assert doc["outputs"][0]["bytes"] == out.bytes
    assert "user" not in json.dumps(doc)  # who made it stays in the studio
    download = owner_client.get(f"/generations/{gen.pk}/parameters/?download=1")
    assert download["Content-Disposition"] == (f'attachment; filename="{gen.download_stem}.json"')
    assert json.loads(download.content) == doc
    detail = owner_client.get(f"/generations/{gen.pk}/").content.decode()
    assert "Download parameters" in detail and "Use these settings" in detail
    client.force_login(outsider)
    assert client.get(f"/generations/{gen.pk}/parameters/").status_code == 404


def test_use_these_settings_without_script_opens_the_studio_with_them(owner_client, owner):
    gen = make_generation(owner, prompt="a red fox", aspect_ratio="9:16", model="uni-1-max")
    html = owner_client.get(f"/?settings={gen.pk}").content.decode()
    values = form_values(html)
    assert values["aspect_ratio"] == ["9:16"] and values["model"] == ["uni-1-max"]
    assert values.get("prompt", [""]) == [""]


def test_the_migration_fills_the_sha256_of_existing_outputs(transactional_db, owner):
    gen = complete(make_generation(owner))
    out = gen.outputs.get()
    with out.file.open("rb") as fh:
        expected = hashlib.sha256(fh.read()).hexdigest()
    type(out).objects.filter(pk=out.pk).update(sha256="")
    executor = MigrationExecutor(connection)
    executor.migrate([("generations", "0010_pollease_fence")])
    try:
        MigrationExecutor(connection).migrate([("generations", "0011_output_sha256")])
    finally:
        latest = MigrationExecutor(connection)
        latest.migrate(latest.loader.graph.leaf_nodes())
    out.refresh_from_db()
    assert out.sha256 == expected
