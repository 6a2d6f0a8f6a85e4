"""Provenance kept: originals stored byte for byte as the provider (here the simulator)
served them, their SHA-256 and C2PA markers noted, and every zip carrying a JSON sidecar
per image and a manifest.json that match the rows."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile

import pytest
from django.core.files.storage import default_storage

from studio.generations import outputs, pipeline, provenance
from studio.generations.models import Generation, State
from studio.simulator.models import SimulatedJob
from tests.generations.helpers import make_generation
from tests.images import image_bytes

pytestmark = pytest.mark.django_db

BULK = "/generations/bulk/"


def _made_by_the_simulator(user, **kw) -> Generation:
    """A generation sent to the in-process simulator and polled until it is complete."""
    gen = make_generation(user, **kw)
    pipeline.submit(gen.pk)
    gen.refresh_from_db()
    for _ in range(20):
        if gen.state == State.COMPLETED:
            break
        pipeline.poll_one(gen)
        gen.refresh_from_db()
    assert gen.state == State.COMPLETED, gen.failure_reason
    return gen


def _simulator_bytes(gen: Generation) -> bytes:
    """What the simulator served for the job: it keeps each rendered output in storage."""
    job = SimulatedJob.objects.get(pk=gen.upstream_id)
    [name] = [n for n in default_storage.listdir(f"simulator/{job.pk}")[1]]
    with default_storage.open(f"simulator/{job.pk}/{name}", "rb") as fh:
        return fh.read()


@pytest.mark.parametrize("fmt", ["png", "jpeg"])
def test_zip_originals_are_the_providers_bytes_with_sidecars_and_manifest(
    owner_client, owner, task_queue, fmt
):
    a = _made_by_the_simulator(owner, prompt="a red fox", output_format=fmt, aspect_ratio="3:2")
    b = _made_by_the_simulator(owner, prompt="an owl", output_format=fmt, style="manga")
    response = owner_client.post(BULK, {"action": "download", "ids": [a.pk, b.pk]})
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    ext = "png" if fmt == "png" else "jpg"
    assert sorted(archive.namelist()) == sorted(
        [
            f"a-red-fox-1.{ext}",
            "a-red-fox-1.json",
            f"an-owl-1.{ext}",
            "an-owl-1.json",
            "manifest.json",
        ]
    )
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["format"] == "studio.manifest"
    assert [item["id"] for item in manifest["items"]] == [a.pk, b.pk]
    for gen, stem in [(a, "a-red-fox-1"), (b, "an-owl-1")]:
        served = _simulator_bytes(gen)
        original = archive.read(f"{stem}.{ext}")
        assert hashlib.sha256(original).digest() == hashlib.sha256(served).digest()
        sidecar = json.loads(archive.read(f"{stem}.json"))
        out = gen.outputs.get()
        assert sidecar in manifest["items"]
        assert sidecar["parameters"] == gen.params()
        assert sidecar["outputs"] == [
            {
                "position": 0,
                "file": f"{stem}.{ext}",
                "media_type": out.media_type,
                "width": out.width,
                "height": out.height,
                "bytes": out.bytes,
                "sha256": hashlib.sha256(served).hexdigest(),
            }
        ]
        assert out.sha256 == hashlib.sha256(served).hexdigest() and out.bytes == len(served)


def _with_c2pa_in_png(data: bytes) -> bytes:
    """A PNG with a caBX chunk (where C2PA keeps its manifest store) before IEND."""
    import struct
    import zlib

    body = b"jumb....c2pa"
    chunk = struct.pack(">I", len(body)) + b"caBX" + body
    chunk += struct.pack(">I", zlib.crc32(b"caBX" + body) & 0xFFFFFFFF)
    return data[:-12] + chunk + data[-12:]


def test_c2pa_markers_are_noted_and_shown_on_the_detail_page(owner_client, owner, task_queue):
    plain = image_bytes("PNG", (20, 20))
    marked = _with_c2pa_in_png(plain)
    assert provenance.has_c2pa(io.BytesIO(marked)) and not provenance.has_c2pa(io.BytesIO(plain))
    gen = make_generation(owner)
    out = outputs.store_output(gen, 0, io.BytesIO(marked))
    out.save()
    Generation.objects.filter(pk=gen.pk).update(state=State.COMPLETED)
    with out.file.open("rb") as fh:
        assert fh.read() == marked  # kept byte for byte, the markers with it
    page = owner_client.get(f"/generations/{gen.pk}/").content.decode()
    assert 'data-provenance="c2pa"' in page and "C2PA content credentials" in page
    other = make_generation(owner)
    outputs.store_output(other, 0, io.BytesIO(plain)).save()
    Generation.objects.filter(pk=other.pk).update(state=State.COMPLETED)
    page = owner_client.get(f"/generations/{other.pk}/").content.decode()
    assert 'data-provenance="none"' in page


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    import struct
    import zlib

    crc = struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
    return struct.pack(">I", len(body)) + kind + body + crc


def _with_app11_in_jpeg(data: bytes, body: bytes) -> bytes:
    """A JPEG with an APP11 segment holding `body`, right after its SOI marker."""
    import struct

    return data[:2] + b"\xff\xeb" + struct.pack(">H", len(body) + 2) + body + data[2:]


def test_c2pa_is_read_from_a_jpegs_app11_segment_only():
    plain = image_bytes("JPEG", (20, 20))
    jumbf = b"JP\x00\x01\x00\x00\x00\x01\x00\x00\x00\x20jumb\x00\x00\x00\x18jumdc2pa"
    assert provenance.has_c2pa(io.BytesIO(_with_app11_in_jpeg(plain, jumbf)))
    assert not provenance.has_c2pa(io.BytesIO(plain))
    # The markers' bytes in another segment (a comment) are not a manifest store.
    import struct

    comment = b"\xff\xfe" + struct.pack(">H", len(jumbf) + 2) + jumbf
    assert not provenance.has_c2pa(io.BytesIO(plain[:2] + comment + plain[2:]))


def test_c2pa_in_a_png_is_its_cabx_chunk_not_the_markers_bytes_elsewhere():
    plain = image_bytes("PNG", (20, 20))
    text = _png_chunk(b"tEXt", b"Comment\x00caBX jumb c2pa")
    assert not provenance.has_c2pa(io.BytesIO(plain[:-12] + text + plain[-12:]))
    # A caBX chunk before the image data counts as much as one after it.
    cabx = _png_chunk(b"caBX", b"jumb....c2pa")
    assert provenance.has_c2pa(io.BytesIO(plain[:33] + cabx + plain[33:]))
    # A PNG whose chunks do not read to IEND (truncated) is scanned whole, as any other file.
    assert provenance.has_c2pa(io.BytesIO(plain[:33] + cabx + plain[33:-12]))
    assert provenance.has_c2pa(io.BytesIO(b"GIF89a" + b"jumb....c2pa"))
    marked = io.BytesIO(_with_c2pa_in_png(plain))
    marked.seek(10)
    assert provenance.has_c2pa(marked) and marked.tell() == 0
