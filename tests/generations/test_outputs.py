"""Outputs: each completed job's images verified, stored with a WebP thumbnail, served by
the studio only; failures to copy them end the job with a reason."""

from __future__ import annotations

import io

import pytest
import responses
from django.core.files.storage import default_storage
from django.utils import timezone
from PIL import Image

from studio.generations import outputs
from studio.generations.models import State
from tests.uploads.helpers import jpeg_with_metadata

from .helpers import image_bytes, make_generation, upstream_generation
from .pipeline_helpers import API, OUT_URL, answer_completed, run_when_due, submitted

pytestmark = pytest.mark.django_db(transaction=True)


def test_processing_then_completed_stores_output_and_thumbnail(owner, task_queue, real_api):
    png = image_bytes("PNG", size=(2048, 1152))
    with responses.RequestsMock() as rsps:
        gen = submitted(owner, task_queue, rsps)
        rsps.get(f"{API}/generations/up-1", json=upstream_generation(state="processing"))
        run_when_due(gen)
        gen.refresh_from_db()
        assert gen.state == State.PROCESSING
        assert gen.next_attempt_at > timezone.now()
        answer_completed(rsps)
        rsps.get(OUT_URL, body=png, content_type="image/png")
        run_when_due(gen)
        # The presigned URL is fetched without our API key.
        assert "Authorization" not in rsps.calls[-1].request.headers
    gen.refresh_from_db()
    assert gen.state == State.COMPLETED
    out = gen.outputs.get()
    assert (out.width, out.height, out.media_type, out.bytes) == (2048, 1152, "image/png", len(png))
    with out.file.open("rb") as fh:
        assert fh.read() == png
    with out.thumbnail.open("rb") as fh, Image.open(fh) as thumb:
        assert thumb.format == "WEBP"
        assert max(thumb.size) == 512


def test_output_url_404_fails_with_reason(owner, task_queue, real_api, client):
    with responses.RequestsMock() as rsps:
        gen = submitted(owner, task_queue, rsps)
        answer_completed(rsps)
        rsps.get(OUT_URL, status=404, body="<Error><Code>NoSuchKey</Code></Error>")
        run_when_due(gen)
    gen.refresh_from_db()
    assert gen.state == State.FAILED
    assert gen.failure_code == "output_not_found"
    assert "404" in gen.failure_reason
    assert gen.outputs.count() == 0
    client.force_login(owner)
    page = client.get("/").content.decode()
    assert f'data-generation-id="{gen.pk}" data-state="failed"' in page
    assert 'data-failure-code="output_not_found"' in page
    assert "<img" not in page


def test_output_that_is_not_an_image_fails_and_leaves_no_files(
    owner, task_queue, real_api, settings
):
    with responses.RequestsMock() as rsps:
        gen = submitted(owner, task_queue, rsps)
        answer_completed(rsps)
        rsps.get(OUT_URL, body=b"<html>not an image</html>", content_type="image/png")
        run_when_due(gen)
    gen.refresh_from_db()
    assert gen.failure_code == "output_not_found"
    outputs_dir = settings.MEDIA_ROOT / "outputs"
    assert not outputs_dir.exists() or not any(outputs_dir.rglob("*.*"))


def test_download_over_the_byte_cap_is_refused(owner, task_queue, real_api, settings):
    settings.UPSTREAM_DOWNLOAD_MAX_BYTES = 1000
    with responses.RequestsMock() as rsps:
        gen = submitted(owner, task_queue, rsps)
        answer_completed(rsps)
        rsps.get(OUT_URL, body=image_bytes("PNG", size=(600, 600), color=(1, 2, 3)) + b"x" * 5000)
        run_when_due(gen)
    gen.refresh_from_db()
    assert gen.failure_code == "output_not_found"
    assert "limit" in gen.failure_reason


def test_gallery_never_links_to_an_upstream_url(owner, task_queue, real_api, client):
    with responses.RequestsMock() as rsps:
        gen = submitted(owner, task_queue, rsps)
        answer_completed(rsps)
        rsps.get(OUT_URL, body=image_bytes("PNG"), content_type="image/png")
        run_when_due(gen)
    client.force_login(owner)
    page = client.get("/").content.decode()
    assert "cdn.test" not in page
    assert f'src="/generations/{gen.pk}/outputs/0/thumb/"' in page
    thumb = client.get(f"/generations/{gen.pk}/outputs/0/thumb/")
    assert thumb.status_code == 200 and thumb["Content-Type"] == "image/webp"


# --- store, verify, thumbnail, without the pipeline ------------------------------------


def _stored(owner, data: bytes):
    gen = make_generation(owner)
    return outputs.store_output(gen, 0, io.BytesIO(data))


def test_store_output_keeps_a_jpeg_as_jpg_with_a_webp_thumbnail(owner, task_queue):
    out = _stored(owner, image_bytes("JPEG", size=(1024, 2048)))
    assert out.pk is None  # the caller saves it, with the row's other outputs
    assert (out.media_type, out.width, out.height) == ("image/jpeg", 1024, 2048)
    assert out.file.name.endswith(".jpg") and out.thumbnail.name.endswith(".webp")
    with out.thumbnail.open("rb") as fh, Image.open(fh) as thumb:
        assert thumb.format == "WEBP" and thumb.size == (256, 512)


@pytest.mark.parametrize("fmt", ["WEBP", "GIF"])
def test_store_output_refuses_a_format_the_provider_does_not_send(owner, task_queue, fmt):
    with pytest.raises(outputs.OutputInvalid, match=f"a {fmt} image, expected PNG or JPEG"):
        _stored(owner, image_bytes(fmt))


def test_store_output_refuses_a_truncated_image(owner, task_queue):
    with pytest.raises(outputs.OutputInvalid, match="damaged or incomplete|not an image"):
        _stored(owner, image_bytes("PNG", size=(300, 300))[:400])


def test_a_file_that_is_not_an_image_is_refused_in_a_sentence_for_people(owner, task_queue):
    # Pillow's own message names a Python object ("<tempfile.SpooledTemporaryFile object
    # at 0x7f…>"): the card must never show it.
    with pytest.raises(outputs.OutputInvalid) as refused:
        _stored(owner, b"<html><body>Service unavailable</body></html>")
    assert str(refused.value) == "the file the provider sent is not an image"


def test_a_palette_image_gets_a_thumbnail_too(owner, task_queue):
    buf = io.BytesIO()
    Image.new("P", (40, 20), 3).save(buf, "PNG")
    out = _stored(owner, buf.getvalue())
    with out.thumbnail.open("rb") as fh, Image.open(fh) as thumb:
        assert thumb.mode in ("RGB", "RGBA") and thumb.size == (40, 20)


def test_delete_files_skips_empty_names_and_missing_files(owner, task_queue):
    out = _stored(owner, image_bytes("PNG"))
    names = [out.file.name, out.thumbnail.name]
    outputs.delete_files(["", *names, "outputs/never-was.png"])
    assert not any(default_storage.exists(n) for n in names)


def test_the_thumbnail_of_a_turned_jpeg_is_shown_the_right_way_up(owner, task_queue):
    # Shrunk first, then turned: the result must be what turning first would give.
    out = _stored(owner, jpeg_with_metadata())
    assert (out.width, out.height) == (40, 20)  # the original is kept as sent
    with out.thumbnail.open("rb") as fh, Image.open(fh) as thumb:
        thumb = thumb.convert("RGB")
        assert thumb.size == (20, 40)
        top, bottom = thumb.getpixel((10, 5)), thumb.getpixel((10, 35))
        assert top[0] > 200 and top[2] < 60  # red on top
        assert bottom[2] > 200 and bottom[0] < 60


def test_decodes_at_once_are_bounded(owner, task_queue, monkeypatch):
    """Many download threads, at most PIPELINE_DECODES images decoded at a time (memory)."""
    import threading
    import time

    monkeypatch.setattr(outputs, "_decodes", threading.BoundedSemaphore(2))
    busy = peak = 0
    lock = threading.Lock()
    real = outputs._thumbnail

    def slow_thumbnail(img):
        nonlocal busy, peak
        with lock:
            busy += 1
            peak = max(peak, busy)
        time.sleep(0.05)
        with lock:
            busy -= 1
        return real(img)

    monkeypatch.setattr(outputs, "_thumbnail", slow_thumbnail)
    data = image_bytes("PNG", size=(64, 64))
    threads = [
        threading.Thread(target=outputs._verify_and_thumbnail, args=(io.BytesIO(data),))
        for _ in range(6)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert peak == 2
