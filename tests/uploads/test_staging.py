from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone

from studio.uploads import staging
from studio.uploads.models import StagedUpload

from .helpers import staged_for

pytestmark = pytest.mark.django_db


def test_stage_keeps_file_under_staged_with_a_random_name(owner):
    staged = staged_for(owner, name="holiday photo.png")
    assert staged.file.name.startswith("staged/")
    assert "holiday" not in staged.file.name and staged.token in staged.file.name
    assert len(staged.token) >= 32
    assert (staged.media_type, staged.width, staged.height) == ("image/png", 32, 16)
    assert staged.original_name == "holiday photo.png"
    assert staged.bytes == staged.file.size
    assert default_storage.exists(staged.file.name)


def test_resolve_only_finds_the_users_own_tokens_in_order(owner, outsider):
    a, b = staged_for(owner, "a.png"), staged_for(owner, "b.png")
    theirs = staged_for(outsider, "theirs.png")
    found, missing = staging.resolve(owner, [b.token, theirs.token, a.token, b.token, "nope"])
    assert [s.original_name for s in found] == ["b.png", "a.png"]
    assert missing == [theirs.token, "nope"]


def test_purge_stale_removes_old_rows_and_their_files(owner, django_capture_on_commit_callbacks):
    old, fresh = staged_for(owner, "old.png"), staged_for(owner, "fresh.png")
    StagedUpload.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=2))
    with django_capture_on_commit_callbacks(execute=True):
        assert staging.purge_stale() == 1
    assert list(StagedUpload.objects.values_list("original_name", flat=True)) == ["fresh.png"]
    assert not default_storage.exists(old.file.name)
    assert default_storage.exists(fresh.file.name)
    with django_capture_on_commit_callbacks(execute=True):
        assert staging.purge_stale(older_than=timedelta(0)) == 1
    assert not default_storage.exists(fresh.file.name)


def test_a_user_keeps_a_bounded_number_of_staged_files(owner, monkeypatch):
    monkeypatch.setattr(staging, "MAX_STAGED_PER_USER", 3)
    for i in range(5):
        staged_for(owner, f"{i}.png")
    names = sorted(StagedUpload.objects.values_list("original_name", flat=True))
    assert names == ["2.png", "3.png", "4.png"]


def test_staged_file_is_served_to_its_owner_only(client, owner, outsider):
    staged = staged_for(owner)
    client.force_login(owner)
    response = client.get(f"/uploads/{staged.token}/")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content) == staged.file.open("rb").read()
    assert "private" in response["Cache-Control"]

    client.force_login(outsider)
    assert client.get(f"/uploads/{staged.token}/").status_code == 404
    assert client.get("/uploads/not-a-token/").status_code == 404
    client.logout()
    assert client.get(f"/uploads/{staged.token}/").status_code == 302


def test_a_purge_that_loses_the_race_deletes_no_file(owner, django_capture_on_commit_callbacks):
    """Two workers purging at once both read a row; the one whose DELETE finds it gone
    neither counts it nor queues its file's deletion (Django sends post_delete anyway)."""
    staged = staged_for(owner, "old.png")
    read_by_the_loser = StagedUpload.objects.get(pk=staged.pk)
    with django_capture_on_commit_callbacks() as winner:
        assert staging._delete_once(StagedUpload.objects.get(pk=staged.pk)) == 1
    with django_capture_on_commit_callbacks() as loser:
        assert staging._delete_once(read_by_the_loser) == 0
    assert (len(winner), len(loser)) == (1, 0)
