"""What the author does to a generation: favourite, retry, delete."""

from __future__ import annotations

import os

import pytest

from studio.generations.models import Favourite, Generation, State
from tests.htmx import HTMX

from .helpers import complete, image_bytes, make_generation

pytestmark = pytest.mark.django_db


def test_favourite_toggles_for_the_owner_only(client, owner, outsider, task_queue):
    gen = make_generation(owner)
    client.force_login(owner)
    body = client.post(f"/generations/{gen.pk}/favourite/", **HTMX).content.decode()
    assert 'aria-pressed="true"' in body
    assert Favourite.objects.filter(user=owner, generation=gen).exists()
    client.force_login(outsider)
    assert client.post(f"/generations/{gen.pk}/favourite/").status_code == 404
    assert list(Favourite.objects.values_list("user__username", flat=True)) == ["owner"]
    client.force_login(owner)
    body = client.post(f"/generations/{gen.pk}/favourite/", **HTMX).content.decode()
    assert 'aria-pressed="false"' in body and not Favourite.objects.exists()


def test_star_without_javascript_returns_to_the_gallery(owner_client, owner, task_queue):
    gen = make_generation(owner)
    page = owner_client.get("/?q=lighthouse").content.decode()
    assert 'name="next" value="/?q=lighthouse"' in page
    response = owner_client.post(f"/generations/{gen.pk}/favourite/", {"next": "/?q=lighthouse"})
    assert response["Location"] == "/?q=lighthouse"


def test_retry_makes_a_new_generation_with_the_same_inputs(
    owner_client, owner, task_queue, django_capture_on_commit_callbacks
):
    png = image_bytes("PNG")
    gen = make_generation(
        owner,
        prompt="try me",
        model="uni-1-max",
        inputs=[
            {"role": "reference", "content": png, "media_type": "image/png", "name": "r.png"},
            {"role": "reference", "url": "https://example.com/x.jpg"},
        ],
    )
    Generation.objects.filter(pk=gen.pk).update(
        state=State.FAILED, failure_code="generation_failed"
    )
    task_queue.calls.clear()
    with django_capture_on_commit_callbacks(execute=True):
        body = owner_client.post(f"/generations/{gen.pk}/retry/", **HTMX).content.decode()
    new = Generation.objects.exclude(pk=gen.pk).get()
    assert f'data-generation-id="{new.pk}"' in body
    assert (new.prompt, new.model, new.retry_of_id) == ("try me", "uni-1-max", gen.pk)
    refs = list(new.inputs.order_by("position"))
    with refs[0].file.open("rb") as fh:
        assert fh.read() == png
    assert refs[1].url == "https://example.com/x.jpg"
    assert task_queue.calls == [("submit", (new.pk,))]


def test_retry_refused_for_a_non_retryable_failure(owner_client, owner, task_queue):
    gen = make_generation(owner)
    Generation.objects.filter(pk=gen.pk).update(
        state=State.FAILED, failure_code="content_moderated"
    )
    owner_client.post(f"/generations/{gen.pk}/retry/")
    assert Generation.objects.count() == 1


def test_delete_moves_to_the_trash_at_once_and_emptying_it_removes_the_files(
    owner_client, owner, task_queue, django_capture_on_commit_callbacks, settings
):
    gen = complete(
        make_generation(
            owner,
            inputs=[{"role": "reference", "content": image_bytes(), "media_type": "image/png"}],
        )
    )
    files = [
        gen.outputs.get().file.path,
        gen.outputs.get().thumbnail.path,
        gen.inputs.get().file.path,
    ]
    # No confirmation page any more: a GET changes nothing.
    assert owner_client.get(f"/generations/{gen.pk}/delete/").status_code == 405
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(f"/generations/{gen.pk}/delete/")
    assert response.status_code == 302
    assert Generation.objects.get(pk=gen.pk).trashed_at is not None
    assert all(os.path.exists(f) for f in files)  # restorable for 30 days
    assert owner_client.get(f"/generations/{gen.pk}/").status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        owner_client.post("/trash/empty/")
    assert not any(os.path.exists(f) for f in files)
    assert Generation.objects.get(pk=gen.pk).purged_at is not None  # its spend still counts


def test_only_the_owner_may_delete(client, owner, member, team, task_queue):
    gen = make_generation(owner)
    Generation.objects.filter(pk=gen.pk).update(team=team)
    client.force_login(member)
    assert client.get(f"/generations/{gen.pk}/").status_code == 200
    assert client.post(f"/generations/{gen.pk}/delete/").status_code == 404
    assert Generation.objects.filter(pk=gen.pk).exists()


def test_files_go_however_the_row_is_deleted(owner, task_queue, django_capture_on_commit_callbacks):
    gen = complete(
        make_generation(
            owner,
            inputs=[{"role": "reference", "content": image_bytes(), "media_type": "image/png"}],
        )
    )
    out, ref = gen.outputs.get(), gen.inputs.get()
    files = [out.file.path, out.thumbnail.path, ref.file.path]
    assert all(os.path.exists(f) for f in files)
    with django_capture_on_commit_callbacks(execute=True):
        owner.delete()  # as the admin does, cascading to the generation
    assert not any(os.path.exists(f) for f in files)
