"""Uploads as an attacker sends them: straight to the create endpoint (no browser, no
composer.js checks), with lying names and types, path-traversal names, thousands of tiny
parts; and reference URLs, which the studio passes on and never fetches itself."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import responses
from django.core.files.uploadedfile import SimpleUploadedFile

from studio.generations import pipeline
from studio.generations.models import Generation, Reference
from studio.uploads.models import StagedUpload
from tests.generations.helpers import DEFAULTS, upstream_generation
from tests.uploads.helpers import corrupt_png, image_bytes, png_header_only, truncated_jpeg

pytestmark = pytest.mark.django_db

SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>'
HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"
NOT_AN_IMAGE = "this file is not a JPEG, PNG or WebP image."

BAD = [
    ("notes.png", b"just some notes\n" * 20, "image/png", NOT_AN_IMAGE),
    ("vector.png", SVG, "image/png", NOT_AN_IMAGE),
    ("vector.svg", SVG, "image/svg+xml", NOT_AN_IMAGE),
    ("page.jpg", HTML, "image/jpeg", NOT_AN_IMAGE),
    ("page.html", HTML, "text/html", NOT_AN_IMAGE),
    ("anim.gif", image_bytes("GIF"), "image/gif", NOT_AN_IMAGE),
    ("old.bmp", image_bytes("BMP"), "image/png", NOT_AN_IMAGE),
    ("empty.png", b"", "image/png", "the file is empty."),
    ("cut.jpg", truncated_jpeg(), "image/jpeg", "the image data is truncated or corrupt."),
    ("broken.png", corrupt_png(), "image/png", "the image data is truncated or corrupt."),
    ("bomb.png", png_header_only(40000, 40000), "image/png", "over the 40,000,000-pixel limit"),
]


def _nothing_kept() -> None:
    assert Generation.objects.count() == 0
    assert Reference.objects.count() == 0
    assert StagedUpload.objects.count() == 0


@pytest.mark.parametrize(("name", "content", "ctype", "message"), BAD, ids=[b[0] for b in BAD])
@pytest.mark.parametrize("field", ["image_ref", "source"])
def test_bad_files_posted_directly_are_refused_and_nothing_is_kept(
    owner_client, task_queue, field, name, content, ctype, message
):
    data = {**DEFAULTS, "type": "image_edit" if field == "source" else "image"}
    data[field] = SimpleUploadedFile(name, content, content_type=ctype)
    response = owner_client.post("/generations/", data)
    assert response.status_code == 400
    assert message in response.content.decode()
    _nothing_kept()
    assert task_queue.calls == []


TRAVERSAL = [
    "../../../../etc/passwd.png",
    "..\\..\\..\\windows\\win.ini.png",
    "/etc/cron.d/evil.png",
    "a/../../../b.png",
    "....//....//x.png",
    "%2e%2e%2f%2e%2e%2fenc.png",
    "evil.png.html",
    "CON.png",
]


def _inside_media(settings, name: str) -> None:
    root = Path(settings.MEDIA_ROOT).resolve()
    assert (root / name).resolve().is_relative_to(root), name
    assert (root / name).is_file()


@pytest.mark.parametrize("name", TRAVERSAL)
def test_stored_files_get_server_chosen_names_whatever_the_upload_is_called(
    owner_client, owner, task_queue, settings, name
):
    upload = SimpleUploadedFile(name, image_bytes("PNG"), content_type="image/png")
    response = owner_client.post("/generations/", {**DEFAULTS, "image_ref": upload})
    assert response.status_code == 302
    ref = Reference.objects.get()
    assert re.fullmatch(r"inputs/\d{4}/\d{2}/\d+-reference-0\.png", ref.file.name), ref.file.name
    _inside_media(settings, ref.file.name)
    # The name people see keeps no directory part.
    assert "/" not in ref.original_name and "\\" not in ref.original_name
    assert not ref.original_name.startswith(".")


@pytest.mark.parametrize("name", TRAVERSAL[:4])
def test_kept_uploads_get_server_chosen_names_too(owner_client, task_queue, settings, name):
    upload = SimpleUploadedFile(name, image_bytes("PNG"), content_type="image/png")
    response = owner_client.post("/generations/", {**DEFAULTS, "prompt": "", "image_ref": upload})
    assert response.status_code == 400
    staged = StagedUpload.objects.get()
    assert re.fullmatch(r"staged/\d{4}-\d{2}-\d{2}/[\w-]+\.png", staged.file.name), staged.file.name
    _inside_media(settings, staged.file.name)


def test_a_disguised_file_is_stored_as_what_it_really_is(owner_client, task_queue):
    # A real JPEG named and typed as PNG: stored and served as the JPEG it is.
    upload = SimpleUploadedFile("photo.png", image_bytes("JPEG"), content_type="image/png")
    assert owner_client.post("/generations/", {**DEFAULTS, "image_ref": upload}).status_code == 302
    ref = Reference.objects.get()
    assert ref.media_type == "image/jpeg" and ref.file.name.endswith(".jpg")
    served = owner_client.get(f"/generations/{ref.generation_id}/inputs/{ref.pk}/")
    assert served["Content-Type"] == "image/jpeg"
    assert served["X-Content-Type-Options"] == "nosniff"


def _multipart(parts: int) -> tuple[bytes, str]:
    boundary = "x-boundary"
    chunks = []
    for name, value in DEFAULTS.items():
        chunks.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        )
    for i in range(parts):
        chunks.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="image_ref"; '
            f'filename="{i}.png"\r\nContent-Type: image/png\r\n\r\nx\r\n'
        )
    chunks.append(f"--{boundary}--\r\n")
    return "".join(chunks).encode(), f"multipart/form-data; boundary={boundary}"


def test_thousands_of_tiny_parts_are_refused_by_the_parser(owner_client, task_queue, settings):
    body, ctype = _multipart(3000)
    response = owner_client.generic("POST", "/generations/", body, content_type=ctype)
    assert response.status_code == 400
    # Django's own 400 (TooManyFilesSent): no view ran, so no form came back.
    assert 'id="composer-form"' not in response.content.decode()
    _nothing_kept()
    assert settings.DATA_UPLOAD_MAX_NUMBER_FILES == 20
    # A form's worth of parts is fine: the limit sits above what the form allows.
    body, ctype = _multipart(settings.DATA_UPLOAD_MAX_NUMBER_FILES)
    response = owner_client.generic("POST", "/generations/", body, content_type=ctype)
    assert response.status_code == 400  # refused by the form (too many references), politely
    assert 'id="composer-form"' in response.content.decode()


def test_thousands_of_fields_are_refused_by_the_parser(owner_client, task_queue):
    data = {**DEFAULTS, **{f"f{i}": "x" for i in range(5000)}}
    response = owner_client.post("/generations/", data)
    assert response.status_code == 400
    assert 'id="composer-form"' not in response.content.decode()  # TooManyFieldsSent
    _nothing_kept()


def test_a_declared_body_over_the_limit_is_refused_before_csrf_reads_it(owner, settings):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    settings.UPLOAD_MAX_BYTES = 1000
    response = client.generic(
        "POST",
        "/generations/",
        b"x" * 20_000_000,
        content_type="multipart/form-data; boundary=x",
    )
    # 413, not CSRF's 403: the middleware answered before anything parsed the body.
    assert response.status_code == 413
    assert "too large" in response.content.decode()


def test_reference_urls_go_to_the_provider_and_are_never_fetched_here(
    owner_client, owner, task_queue, real_api
):
    urls = ["https://img.example/a.png", "http://169.254.169.254/latest/meta-data/x.png"]
    data = {**DEFAULTS, "image_ref_url": "\n".join(urls)}
    with responses.RequestsMock() as rsps:
        # Only the provider answers; any other address would raise ConnectionError here.
        rsps.post(f"{real_api}/generations", json=upstream_generation(), status=201)
        assert owner_client.post("/generations/", data).status_code == 302
        gen = Generation.objects.get()
        pipeline.submit(gen.pk)
        assert [c.request.url for c in rsps.calls] == [f"{real_api}/generations"]
        sent = json.loads(rsps.calls[0].request.body)
    assert [i["url"] for i in sent["image_ref"]] == urls
    # Pages show the address as a link at most; nothing was downloaded or stored for it.
    assert all(not r.file for r in Reference.objects.all())
    page = owner_client.get(f"/generations/{gen.pk}/").content.decode()
    assert 'src="https://img.example/a.png"' not in page
