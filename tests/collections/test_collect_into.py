"""The composer's "Collect into": new images land in the chosen collection."""

from __future__ import annotations

import pytest

from studio.collections import services
from studio.collections.models import CollectionItem
from studio.generations.models import Generation
from studio.teams.models import Membership
from tests.generations.helpers import FORM
from tests.htmx import HTMX

pytestmark = pytest.mark.django_db


def test_the_composer_offers_the_collections_preselected_from_the_address(owner_client, owner):
    collection = services.create_collection(user=owner, name="Foxes")
    html = owner_client.get(f"/?collection={collection.pk}").content.decode()
    assert '<label for="id_collection">Collect into</label>' in html
    assert f'<option value="{collection.pk}" selected>Foxes</option>' in html
    assert (
        f'<option value="{collection.pk}">Foxes</option>' in owner_client.get("/").content.decode()
    )


def test_a_batch_lands_in_the_chosen_collection(owner_client, owner, task_queue):
    collection = services.create_collection(user=owner, name="Foxes")
    response = owner_client.post(
        "/generations/", {**FORM, "count": "2", "collection": collection.pk}, **HTMX
    )
    assert response.status_code == 200
    made = set(Generation.objects.values_list("pk", flat=True))
    assert len(made) == 2
    assert set(collection.items.values_list("generation_id", flat=True)) == made


def test_without_script_the_next_form_keeps_the_collection(owner_client, owner, task_queue):
    collection = services.create_collection(user=owner, name="Foxes")
    response = owner_client.post("/generations/", {**FORM, "collection": collection.pk})
    assert response.status_code == 302
    html = owner_client.get("/").content.decode()
    assert f'<option value="{collection.pk}" selected>Foxes</option>' in html
    assert collection.items.count() == 1


def test_someone_elses_collection_collects_nothing_but_the_image_is_made(
    client, owner, outsider, task_queue
):
    collection = services.create_collection(user=owner, name="Foxes")
    client.force_login(outsider)
    response = client.post("/generations/", {**FORM, "collection": collection.pk}, **HTMX)
    assert response.status_code == 200
    assert Generation.objects.filter(user=outsider).count() == 1
    assert not CollectionItem.objects.exists()


def test_no_collection_chosen_collects_nothing(owner_client, owner, task_queue):
    services.create_collection(user=owner, name="Foxes")
    owner_client.post("/generations/", {**FORM, "collection": ""}, **HTMX)
    assert Generation.objects.count() == 1 and not CollectionItem.objects.exists()


def test_a_viewer_filters_by_a_team_collection_but_is_not_offered_to_collect_into_it(
    client, owner, member, team
):
    # One query on the page lists both: every collection the person sees, each marked
    # whether they may add to it.
    collection = services.create_collection(user=owner, name="Team foxes", team=team)
    mine = services.create_collection(user=member, name="My foxes")
    for role, offered in ((Membership.Role.EDITOR, True), (Membership.Role.VIEWER, False)):
        Membership.objects.filter(user=member, team=team).update(role=role)
        client.force_login(member)
        html = client.get("/").content.decode()
        filtered = html[html.index('id="filter-collection"') :].split("</select>", 1)[0]
        composer = html[html.index('id="id_collection"') :].split("</select>", 1)[0]
        assert f'value="{collection.pk}"' in filtered and f'value="{mine.pk}"' in filtered
        assert (f'value="{collection.pk}"' in composer) is offered, role
        assert f'value="{mine.pk}"' in composer
