"""`manage.py media_check [--delete]`: files no row names and rows whose files are missing,
on the disk and on a real S3 server (moto's, tests/s3.py), including the files a failed
delete or a failed thumbnail write leaves behind."""

from __future__ import annotations

from io import BytesIO, StringIO

import pytest
from botocore.exceptions import ClientError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils.module_loading import import_string
from django_q.models import Schedule

from studio.generations import media_check, outputs, tasks
from studio.generations.models import Generation, Output
from studio.uploads.models import StagedUpload
from tests.images import image_bytes
from tests.s3 import s3_media, s3_server  # noqa: F401  (fixtures)

from .helpers import complete, make_generation

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(params=["disk", "s3"])
def media(request, settings):
    """The test's storage: the disk (MEDIA_ROOT in tmp_path) or a fresh S3 bucket."""
    if request.param == "s3":
        request.getfixturevalue("s3_media")
    return request.param


def run(*args: str) -> tuple[str, int]:
    out = StringIO()
    try:
        call_command("media_check", "--min-age", "0", *args, stdout=out)
    except CommandError as exc:
        return out.getvalue(), exc.returncode
    return out.getvalue(), 0


def stored() -> set[str]:
    return set(media_check.stored_files())


def test_a_clean_storage_reports_nothing(owner, media):
    complete(make_generation(owner))
    text, status = run()
    assert status == 0
    assert "0 file(s) without a row, 0 row(s) without their file" in text


def test_orphans_and_missing_files_are_listed_then_orphans_removed(owner, media):
    kept = complete(make_generation(owner)).outputs.get()
    damaged = complete(make_generation(owner, prompt="damaged")).outputs.get()
    default_storage.delete(damaged.thumbnail.name)
    stray = default_storage.save("outputs/2026/12/stray.png", ContentFile(image_bytes("PNG")))
    not_ours = default_storage.save("simulator/job/0.png", ContentFile(b"x"))
    staged = StagedUpload.objects.create(
        user=owner,
        file="staged/2026-12-07/gone.png",
        media_type="image/png",
        width=1,
        height=1,
        bytes=1,
    )

    text, status = run()
    assert status == 1
    assert f"orphan file: {stray}" in text
    assert f"missing file: {damaged.thumbnail.name} (named by output {damaged.pk}" in text
    assert f"missing file: staged/2026-12-07/gone.png (named by staged upload {staged.pk})" in text
    assert not_ours not in text
    assert stray in stored()  # listing only

    text, status = run("--delete")
    assert "removed 1 file(s) and 1 staged upload row(s)" in text
    # The output whose thumbnail is gone is kept (and still reported): its row is the record.
    assert status == 1
    assert stray not in stored()
    assert {kept.file.name, kept.thumbnail.name, damaged.file.name} <= stored()
    assert default_storage.exists(not_ours)
    assert not StagedUpload.objects.exists()
    assert Output.objects.count() == 2


def test_a_recent_file_without_a_row_is_left_alone(owner, media):
    # It may be a download whose row has not committed yet.
    stray = default_storage.save("thumbs/2026/12/new.webp", ContentFile(b"x"))
    out = StringIO()
    call_command("media_check", "--delete", stdout=out)
    assert "1 recent file(s) without a row left alone" in out.getvalue()
    assert stray in stored()


def test_a_delete_the_storage_refused_is_found_later(owner, media, monkeypatch):
    gen = complete(make_generation(owner))
    out = gen.outputs.get()
    names = {out.file.name, out.thumbnail.name}

    def refused(name):
        raise ClientError({"Error": {"Code": "InternalError", "Message": "try again"}}, "Delete")

    with monkeypatch.context() as patch:
        patch.setattr(default_storage, "delete", refused)
        gen.delete()  # the row goes; its files' delete only logs a warning
    assert names <= stored()

    text, status = run()
    assert status == 1
    for name in names:
        assert f"orphan file: {name}" in text
    run("--delete")
    assert not names & stored()


def test_an_original_left_by_a_failed_thumbnail_write_is_found(owner, media, monkeypatch):
    gen = make_generation(owner)
    real_save = default_storage.save

    def thumbnail_fails(name, content, max_length=None):
        if name.startswith("thumbs/"):
            raise ClientError({"Error": {"Code": "SlowDown", "Message": "5xx"}}, "PutObject")
        return real_save(name, content, max_length=max_length)

    def delete_fails(name):
        raise OSError("storage unreachable")

    # The thumbnail cannot be written, and the original's removal fails as well.
    with monkeypatch.context() as patch, pytest.raises(ClientError):
        patch.setattr(default_storage, "save", thumbnail_fails)
        patch.setattr(default_storage, "delete", delete_fails)
        outputs.store_output(gen, 0, BytesIO(image_bytes("PNG")))
    (left,) = stored()
    assert left.startswith("outputs/")
    assert not Generation.objects.filter(outputs__isnull=False).exists()

    text, _ = run("--delete")
    assert f"orphan file: {left}" in text
    assert stored() == set()


def test_a_negative_min_age_is_refused(db):
    with pytest.raises(CommandError, match="--min-age"):
        call_command("media_check", "--min-age", "-1", stdout=StringIO())


@pytest.mark.django_db  # not transactional: the migration's Schedule row is kept
def test_a_migration_schedules_the_orphan_sweep_daily():
    # So that nobody has to remember to run media_check --delete.
    schedule = Schedule.objects.get(name="studio-sweep-orphans")
    assert (schedule.schedule_type, schedule.repeats) == (Schedule.DAILY, -1)
    assert import_string(schedule.func) is tasks.sweep_orphans


def test_the_daily_sweep_removes_what_a_refused_delete_left(owner, media, monkeypatch):
    kept = complete(make_generation(owner)).outputs.get()
    gen = complete(make_generation(owner))
    out = gen.outputs.get()
    names = {out.file.name, out.thumbnail.name}
    with monkeypatch.context() as patch:
        patch.setattr(default_storage, "delete", lambda name: (_ for _ in ()).throw(OSError()))
        gen.delete()
    assert names <= stored()

    # Younger than an hour: it may be a download whose row has not committed yet.
    assert tasks.sweep_orphans() == "ok"
    assert names <= stored()

    monkeypatch.setattr(media_check, "MIN_AGE", media_check.timedelta(0))
    with monkeypatch.context() as patch:
        patch.setattr(default_storage, "delete", lambda name: (_ for _ in ()).throw(OSError()))
        assert tasks.sweep_orphans() == "0 orphan files removed, 2 could not be"
    assert tasks.sweep_orphans() == "2 orphan files removed"
    assert not names & stored()
    # The files of the row that still exists are never touched.
    assert {kept.file.name, kept.thumbnail.name} <= stored()
