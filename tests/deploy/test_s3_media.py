"""Media on S3 (`STUDIO_S3_BUCKET`), against a real S3 server (moto's server mode).

Every path that touches a file works on the bucket as it does on the disk: a job's outputs
and thumbnail are stored there, its inputs too; downloads and thumbnails answer with a
short-lived presigned redirect after the access check; kept uploads, deletes and the
watchdog's purge reach the bucket. Nothing mocks a storage call.
"""

from __future__ import annotations

import io
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase
from django.utils import timezone
from PIL import Image

from studio.generations.models import FINAL, Generation, State
from studio.uploads import staging
from studio.uploads import tasks as upload_tasks
from studio.uploads.models import StagedUpload
from studio.uploads.validation import NormalisedImage
from tests.generations.helpers import make_generation
from tests.generations.pipeline_helpers import run_when_due
from tests.images import image_bytes

pytestmark = pytest.mark.django_db


def finished(owner, task_queue, **kw) -> Generation:
    """A job run through the real pipeline and the in-process simulator, onto the bucket."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        gen = make_generation(owner, **kw)
    task_queue.run_all()
    for _ in range(5):  # the simulator takes no time here: one or two polls finish it
        gen.refresh_from_db()
        if gen.state in FINAL:
            break
        run_when_due(gen)
    assert gen.state == State.COMPLETED, (gen.failure_code, gen.failure_reason)
    return gen


def fetch(url: str) -> requests.Response:
    """What the browser does with the redirect: fetch the presigned URL, no cookies."""
    answer = requests.get(url, timeout=10)
    assert answer.status_code == 200, answer.text[:300]
    return answer


def presigned(response, s3_media) -> str:
    assert response.status_code == 302
    url = response["Location"]
    assert url.startswith(f"{s3_media.endpoint_url}/{s3_media.name}/")
    assert "X-Amz-Signature" in url
    return url


def test_a_job_s_output_and_thumbnail_are_stored_on_the_bucket(owner, task_queue, s3_media):
    gen = finished(owner, task_queue, output_format="jpeg")
    out = gen.outputs.get()
    names = s3_media.names()
    assert out.file.name in names and out.thumbnail.name in names
    stored = s3_media.read(out.file.name)
    assert stored[:3] == b"\xff\xd8\xff" and len(stored) == out.bytes


def test_download_is_a_presigned_redirect_to_the_stored_bytes(
    owner_client, owner, task_queue, s3_media, settings
):
    gen = finished(owner, task_queue, output_format="png")
    out = gen.outputs.get()
    response = owner_client.get(f"/generations/{gen.pk}/outputs/0/?download")
    url = presigned(response, s3_media)
    query = parse_qs(urlsplit(url).query)
    assert int(query["X-Amz-Expires"][0]) == settings.S3_PRESIGN_SECONDS
    answer = fetch(url)
    assert answer.content == s3_media.read(out.file.name)
    assert answer.headers["Content-Type"] == "image/png"
    assert answer.headers["Content-Disposition"].startswith("attachment;")
    assert ".png" in answer.headers["Content-Disposition"]


def test_the_thumbnail_is_a_presigned_webp(owner_client, owner, task_queue, s3_media):
    gen = finished(owner, task_queue)
    answer = fetch(presigned(owner_client.get(f"/generations/{gen.pk}/outputs/0/thumb/"), s3_media))
    assert answer.headers["Content-Type"] == "image/webp"
    with Image.open(io.BytesIO(answer.content)) as thumb:
        assert thumb.format == "WEBP"


def test_the_redirect_is_cached_for_less_than_the_url_lives(
    owner_client, owner, task_queue, s3_media, settings
):
    gen = finished(owner, task_queue)
    for path in ("outputs/0/", "outputs/0/thumb/"):
        response = owner_client.get(f"/generations/{gen.pk}/{path}")
        control = response["Cache-Control"]
        assert control.startswith("private, max-age=")
        assert 0 < int(control.rsplit("=", 1)[1]) < settings.S3_PRESIGN_SECONDS


def test_an_outsider_gets_404_and_no_url(client, owner, outsider, task_queue, s3_media):
    gen = finished(owner, task_queue)
    client.force_login(outsider)
    for path in ("outputs/0/", "outputs/0/thumb/", "outputs/0/?download"):
        response = client.get(f"/generations/{gen.pk}/{path}")
        assert response.status_code == 404
        assert "Location" not in response
        assert s3_media.endpoint_url.encode() not in response.content
    client.logout()
    response = client.get(f"/generations/{gen.pk}/outputs/0/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_an_input_image_is_stored_and_served_from_the_bucket(
    owner_client, owner, task_queue, s3_media
):
    content = image_bytes("PNG", size=(40, 30))
    gen = finished(
        owner,
        task_queue,
        inputs=[{"role": "reference", "content": content, "media_type": "image/png"}],
    )
    ref = gen.inputs.get()
    assert ref.file.name in s3_media.names()
    answer = fetch(presigned(owner_client.get(f"/generations/{gen.pk}/inputs/{ref.pk}/"), s3_media))
    with Image.open(io.BytesIO(answer.content)) as img:
        assert img.size == (40, 30)


def staged_for(user) -> StagedUpload:
    content = image_bytes("PNG", size=(32, 16))
    return staging.stage(user, NormalisedImage(content, "image/png", 32, 16, "kept.png"))


def test_a_kept_upload_is_on_the_bucket_and_served_to_its_owner_only(
    client, owner, outsider, s3_media
):
    staged = staged_for(owner)
    assert staged.file.name in s3_media.names()
    client.force_login(owner)
    answer = fetch(presigned(client.get(f"/uploads/{staged.token}/"), s3_media))
    assert answer.content == s3_media.read(staged.file.name)
    client.force_login(outsider)
    response = client.get(f"/uploads/{staged.token}/")
    assert response.status_code == 404 and "Location" not in response


def test_a_kept_upload_from_the_form_lands_on_the_bucket(owner_client, s3_media):
    # A source with a missing prompt: the form is refused, the valid upload is kept.
    upload = SimpleUploadedFile("mine.png", image_bytes("PNG", size=(48, 32)), "image/png")
    response = owner_client.post(
        "/generations/",
        {"prompt": "", "type": "image_edit", "aspect_ratio": "1:1", "source": upload},
    )
    assert response.status_code == 400
    (staged,) = StagedUpload.objects.all()
    assert staged.file.name in s3_media.names()


def test_emptying_the_trash_removes_a_generations_files_from_the_bucket(
    owner_client, owner, task_queue, s3_media, django_capture_on_commit_callbacks
):
    gen = finished(
        owner,
        task_queue,
        inputs=[{"role": "reference", "content": image_bytes(), "media_type": "image/png"}],
    )
    names = [gen.outputs.get().file.name, gen.outputs.get().thumbnail.name]
    names.append(gen.inputs.get().file.name)
    assert set(names) <= set(s3_media.names())
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(f"/generations/{gen.pk}/delete/")
    assert response.status_code == 302
    assert set(names) <= set(s3_media.names())  # in the trash: restorable, files kept
    with django_capture_on_commit_callbacks(execute=True):
        owner_client.post("/trash/empty/")
    assert Generation.objects.get(pk=gen.pk).purged_at is not None  # the row stays (spend)
    assert not set(names) & set(s3_media.names())


def test_the_scheduled_purge_removes_stale_kept_uploads_from_the_bucket(
    owner, s3_media, django_capture_on_commit_callbacks
):
    old, fresh = staged_for(owner), staged_for(owner)
    StagedUpload.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=2))
    with django_capture_on_commit_callbacks(execute=True):
        report = upload_tasks.purge_stale()
    assert "1" in report
    names = s3_media.names()
    assert old.file.name not in names
    assert fresh.file.name in names


def test_a_full_pile_of_kept_uploads_drops_its_oldest_from_the_bucket(
    owner, s3_media, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(staging, "MAX_STAGED_PER_USER", 2)
    with django_capture_on_commit_callbacks(execute=True):
        first, second, third = staged_for(owner), staged_for(owner), staged_for(owner)
    names = s3_media.names()
    assert first.file.name not in names
    assert {second.file.name, third.file.name} <= set(names)


def test_deleting_a_person_removes_their_kept_uploads_from_the_bucket(
    owner, outsider, s3_media, django_capture_on_commit_callbacks
):
    mine, theirs = staged_for(owner), staged_for(outsider)
    with django_capture_on_commit_callbacks(execute=True):
        owner.delete()
    names = s3_media.names()
    assert mine.file.name not in names
    assert theirs.file.name in names


def test_the_bucket_origin_is_exposed_for_the_content_security_policy(s3_media, settings):
    # img-src must admit where the presigned redirects lead: the policy reads this setting.
    origin = settings.S3_MEDIA_ORIGIN
    assert origin == s3_media.endpoint_url


def test_a_bulk_zip_reads_the_images_from_the_bucket(owner_client, owner, task_queue, s3_media):
    import zipfile

    gens = [finished(owner, task_queue, prompt=f"harbour {i}") for i in range(2)]
    response = owner_client.post(
        "/generations/bulk/", {"action": "download", "ids": [g.pk for g in gens]}
    )
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert archive.testzip() is None
    stored = sorted(s3_media.read(g.outputs.get().file.name) for g in gens)
    images = [n for n in archive.namelist() if not n.endswith(".json")]  # not the sidecars
    assert sorted(archive.read(n) for n in images) == stored
