"""The trash: Delete moves an item there for 30 days, hidden everywhere else; Restore brings
it back with its team and collections; emptying or 30 days purge its files; what it cost
still counts in its month's spend, before and after the purge."""

from __future__ import annotations

import os
from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from studio.accounts import tokens
from studio.collections.models import Collection, CollectionItem
from studio.generations import tasks, trash
from studio.generations.api_object import signed_output_path
from studio.generations.models import Generation
from studio.usage import prices
from tests.generations.helpers import complete, make_generation

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def shared(owner, team, task_queue):
    """A completed image of the owner's, shared with the team and in a collection."""
    gen = complete(make_generation(owner, prompt="a boat on a lake"))
    Generation.objects.filter(pk=gen.pk).update(team=team)
    board = Collection.objects.create(user=owner, name="Boats")
    CollectionItem.objects.create(collection=board, generation=gen)
    gen.refresh_from_db()
    gen.board = board
    return gen


def _trashed(client, gen, **extra):
    return client.post(f"/generations/{gen.pk}/delete/", extra.pop("data", {}), **extra)


def test_a_trashed_item_is_hidden_everywhere_but_the_trash(
    owner_client, owner, member, team, shared
):
    client = Client()  # the member's, beside the owner's
    _, token = tokens.issue(user=owner, name="ci")
    signed = signed_output_path(shared, 0)
    _trashed(owner_client, shared)
    gone = [
        f"/generations/{shared.pk}/",
        f"/generations/{shared.pk}/outputs/0/",
        f"/generations/{shared.pk}/outputs/0/thumb/",
        signed,
    ]
    for url in gone:
        assert owner_client.get(url).status_code == 404, url
    assert f'data-generation-id="{shared.pk}"' not in owner_client.get("/").content.decode()
    assert "a boat" not in owner_client.get("/?q=boat").content.decode().split("</form>")[-1]
    page = owner_client.get(f"/collections/{shared.board.pk}/").content.decode()
    assert f'data-generation-id="{shared.pk}"' not in page
    api = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    assert client.get(f"/api/v1/generations/{shared.pk}", **api).status_code == 404
    listed = client.get("/api/v1/generations", **api).json()
    assert all(item["id"] != str(shared.pk) for item in listed["data"])
    client.force_login(member)
    assert f'data-generation-id="{shared.pk}"' not in client.get("/teams/design/").content.decode()
    assert client.get(f"/generations/{shared.pk}/").status_code == 404
    # Only its author's trash lists it.
    assert "a boat on a lake" not in client.get("/trash/").content.decode()
    assert client.get(f"/trash/{shared.pk}/thumb/").status_code == 404
    trash_page = owner_client.get("/trash/").content.decode()
    assert "a boat on a lake" in trash_page and f"/trash/{shared.pk}/thumb/" in trash_page
    assert owner_client.get(f"/trash/{shared.pk}/thumb/").status_code == 200


def test_restore_brings_back_its_team_and_collections(owner_client, member, shared):
    client = Client()
    _trashed(owner_client, shared)
    response = owner_client.post("/trash/restore/", {"ids": str(shared.pk), "next": "/trash/"})
    assert response.status_code == 302
    restored = Generation.objects.get(pk=shared.pk)
    assert restored.trashed_at is None and restored.team_id == shared.team_id
    page = owner_client.get(f"/collections/{shared.board.pk}/").content.decode()
    assert f'data-generation-id="{shared.pk}"' in page
    client.force_login(member)
    assert f'data-generation-id="{shared.pk}"' in client.get("/teams/design/").content.decode()


def test_nobody_restores_or_empties_anothers_trash(owner_client, outsider, shared):
    client = Client()
    _trashed(owner_client, shared)
    client.force_login(outsider)
    client.post("/trash/restore/", {"ids": str(shared.pk)})
    client.post("/trash/empty/")
    row = Generation.objects.get(pk=shared.pk)
    assert row.trashed_at is not None and row.purged_at is None


def test_a_rows_own_restore_button_restores_it_alone(owner_client, owner, task_queue):
    first, second = make_generation(owner), make_generation(owner)
    for gen in (first, second):
        _trashed(owner_client, gen)
    data = {"ids": [first.pk, second.pk]}  # both ticked
    owner_client.post(f"/trash/restore/?only={second.pk}", data)
    assert list(Generation.objects.kept().values_list("pk", flat=True)) == [second.pk]


def test_an_htmx_delete_removes_the_card_and_offers_undo(owner_client, shared):
    response = _trashed(owner_client, shared, data={"next": "/?q=boat"}, **HTMX)
    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith('<div id="toast"')  # nothing in the card's place
    assert 'hx-swap-oob="true"' in body and "Moved to the trash." in body
    assert f'name="ids" value="{shared.pk}"' in body and 'value="/?q=boat"' in body
    undo = owner_client.post("/trash/restore/", {"ids": str(shared.pk)}, **HTMX)
    assert undo.status_code == 204 and undo["HX-Refresh"] == "true"
    assert Generation.objects.get(pk=shared.pk).trashed_at is None


def test_without_script_delete_returns_to_a_page_with_an_undo_button(owner_client, shared):
    response = _trashed(owner_client, shared, data={"next": "/?q=boat"}, follow=True)
    assert response.redirect_chain == [("/?q=boat", 302)]
    page = response.content.decode()
    assert "Moved to the trash." in page
    assert '<form method="post" action="/trash/restore/"' in page
    assert f'name="ids" value="{shared.pk}"' in page
    assert '<button type="submit" class="small" data-undo>Undo</button>' in page


def test_thirty_days_in_the_trash_purge_the_files_and_keep_the_spend(
    owner_client, owner, shared, django_capture_on_commit_callbacks
):
    files = [shared.outputs.get().file.path, shared.outputs.get().thumbnail.path]
    _trashed(owner_client, shared)
    Generation.objects.filter(pk=shared.pk).update(
        trashed_at=timezone.now() - trash.KEEP + timedelta(minutes=5)
    )
    assert tasks.purge_trash() == "ok"  # not 30 days yet
    Generation.objects.filter(pk=shared.pk).update(
        trashed_at=timezone.now() - trash.KEEP - timedelta(minutes=5)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.purge_trash() == "1 trashed items purged"
    assert not any(os.path.exists(f) for f in files)
    row = Generation.objects.get(pk=shared.pk)
    assert row.purged_at is not None
    # Gone from the trash too, but what it cost is still the month's.
    assert "a boat on a lake" not in owner_client.get("/trash/").content.decode()
    assert owner_client.post("/trash/restore/", {"ids": str(shared.pk)}).status_code == 302
    assert Generation.objects.get(pk=shared.pk).trashed_at is not None
    usage = owner_client.get("/usage/").content.decode()
    assert f"data-spent>{prices.usd(Decimal(shared.estimated_price))}<" in usage


def test_trash_is_not_a_job_state(owner_client, owner, task_queue):
    gen = make_generation(owner)
    _trashed(owner_client, gen)
    row = Generation.objects.get(pk=gen.pk)
    assert row.state == "pending" and row.trashed_at is not None
