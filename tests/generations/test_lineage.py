"""Lineage: a generation made from a Remix or "Edit this image" form remembers
what it came from; the detail page links both ways, each link only for who may see the
other end. Also the detail page's previous / next in the gallery's order."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from studio.generations.models import Generation
from studio.teams.models import Membership, Team

from .helpers import FORM, complete, fill, form_values, image_bytes, make_generation

pytestmark = pytest.mark.django_db


def _submit_from(client, url: str, **changes) -> Generation:
    """Open the studio at `url` (a prefill), submit its form as drawn, return the new row."""
    values = form_values(client.get(url).content.decode())
    data = {k: v if len(v) > 1 else v[0] for k, v in values.items()}
    data.pop("csrfmiddlewaretoken", None)
    data.update(changes)
    before = set(Generation.objects.values_list("pk", flat=True))
    response = client.post("/generations/", data)
    assert response.status_code == 302, response.content[:500]
    (new,) = Generation.objects.exclude(pk__in=before)
    return new


def test_a_remix_form_remembers_what_it_remixed(owner_client, owner):
    parent = make_generation(owner, prompt="a red kite")
    page = owner_client.get(f"/?remix={parent.pk}").content.decode()
    assert f'name="derived_from" value="{parent.pk}"' in page
    child = _submit_from(owner_client, f"/?remix={parent.pk}")
    assert (child.derived_from_id, child.derived_kind) == (parent.pk, "remix")


def test_an_edit_form_remembers_the_image_it_edits(owner_client, owner):
    parent = complete(make_generation(owner))
    child = _submit_from(owner_client, f"/?edit={parent.pk}&output=0", prompt="make it blue")
    assert (child.derived_from_id, child.derived_kind) == (parent.pk, "edit")
    assert child.type == "image_edit"


def test_an_edit_whose_source_was_replaced_is_no_edit_of_it(owner_client, owner):
    parent = complete(make_generation(owner))
    values = form_values(owner_client.get(f"/?edit={parent.pk}&output=0").content.decode())
    data = {k: v if len(v) > 1 else v[0] for k, v in values.items() if k != "kept_source"}
    data.pop("csrfmiddlewaretoken")
    data.update(prompt="my own source", source=_upload())
    assert owner_client.post("/generations/", data).status_code == 302
    child = Generation.objects.exclude(pk=parent.pk).get()
    assert child.type == "image_edit" and child.derived_from is None


def _upload():
    return SimpleUploadedFile("mine.png", image_bytes("PNG", (32, 32)), content_type="image/png")


def test_a_plain_submit_has_no_lineage(owner_client):
    assert owner_client.post("/generations/", FORM).status_code == 302
    gen = Generation.objects.get()
    assert gen.derived_from is None and gen.derived_kind == ""


def test_lineage_to_a_generation_one_cannot_see_is_dropped(client, owner, outsider):
    secret = make_generation(owner, prompt="not yours")
    client.force_login(outsider)
    data = {**FORM, "derived_from": str(secret.pk), "derived_kind": "remix"}
    assert client.post("/generations/", data).status_code == 302
    gen = Generation.objects.get(user=outsider)
    assert gen.derived_from is None and gen.derived_kind == ""


def test_lineage_needs_a_known_kind(owner_client, owner):
    parent = make_generation(owner)
    data = {**FORM, "derived_from": str(parent.pk), "derived_kind": "fork"}
    owner_client.post("/generations/", data)
    assert not Generation.objects.filter(derived_from=parent).exists()


def test_a_teammate_may_remix_a_shared_item_and_claim_it(client, owner, member, team):
    parent = make_generation(owner, prompt="shared")
    Generation.objects.filter(pk=parent.pk).update(team=team)
    client.force_login(member)
    child = _submit_from(client, f"/?remix={parent.pk}")
    assert child.user == member and child.derived_from_id == parent.pk


def _detail(client, gen, query=""):
    response = client.get(f"/generations/{gen.pk}/{query}")
    assert response.status_code == 200
    return response.content.decode()


def test_detail_links_parent_and_children_both_ways(owner_client, owner):
    parent = complete(make_generation(owner, prompt="parent"))
    edit = make_generation(owner, prompt="edited")
    remix = make_generation(owner, prompt="remixed")
    Generation.objects.filter(pk=edit.pk).update(derived_from=parent, derived_kind="edit")
    Generation.objects.filter(pk=remix.pk).update(derived_from=parent, derived_kind="remix")

    html = _detail(owner_client, parent)
    assert f'<a href="/generations/{edit.pk}/">Edited in #{edit.pk}</a>' in html
    assert f'<a href="/generations/{remix.pk}/">Remixed in #{remix.pk}</a>' in html
    assert f'<a href="/generations/{parent.pk}/">Edit of #{parent.pk}</a>' in _detail(
        owner_client, edit
    )
    assert f'<a href="/generations/{parent.pk}/">Remix of #{parent.pk}</a>' in _detail(
        owner_client, remix
    )


def test_lineage_links_show_only_what_the_viewer_may_see(client, owner, member, team):
    private_parent = make_generation(owner, prompt="private parent")
    shared_child = make_generation(owner, prompt="shared child")
    private_child = make_generation(owner, prompt="private child")
    Generation.objects.filter(pk=shared_child.pk).update(
        team=team, derived_from=private_parent, derived_kind="remix"
    )
    shared_parent = make_generation(owner, prompt="shared parent")
    Generation.objects.filter(pk=shared_parent.pk).update(team=team)
    Generation.objects.filter(pk=private_child.pk).update(
        derived_from=shared_parent, derived_kind="edit"
    )
    client.force_login(member)
    html = _detail(client, shared_child)
    assert "data-lineage-parent" not in html and f"#{private_parent.pk}" not in html
    html = _detail(client, shared_parent)
    assert "data-lineage-children" not in html and f"#{private_child.pk}" not in html


def test_a_deleted_parent_leaves_the_child_without_lineage(owner, owner_client):
    parent = make_generation(owner)
    child = make_generation(owner)
    Generation.objects.filter(pk=child.pk).update(derived_from=parent, derived_kind="remix")
    parent.delete()
    child.refresh_from_db()
    assert child.derived_from is None
    assert "data-lineage-parent" not in _detail(owner_client, child)


# --- previous / next ---------------------------------------------------------------------


def test_detail_previous_and_next_follow_the_own_gallery(owner_client, owner, member, team):
    oldest, middle, newest = fill(owner, 3)
    # Someone else's item shared into my team is not in my own gallery.
    theirs = make_generation(member, prompt="theirs")
    Generation.objects.filter(pk=theirs.pk).update(team=team, created_at=timezone.now())
    html = _detail(owner_client, middle)
    assert f'rel="prev" href="/generations/{newest.pk}/"' in html
    assert f'rel="next" href="/generations/{oldest.pk}/"' in html
    html = _detail(owner_client, newest)
    assert 'rel="prev"' not in html and f'rel="next" href="/generations/{middle.pk}/"' in html
    html = _detail(owner_client, oldest)
    assert 'rel="next"' not in html


def test_detail_previous_and_next_break_ties_on_id(owner_client, owner):
    a, b, c = fill(owner, 3)
    Generation.objects.filter(pk__in=[a.pk, b.pk, c.pk]).update(created_at=timezone.now())
    html = _detail(owner_client, b)
    assert f'rel="prev" href="/generations/{c.pk}/"' in html
    assert f'rel="next" href="/generations/{a.pk}/"' in html


def test_detail_previous_and_next_keep_the_gallery_filter(owner_client, owner):
    cat1 = make_generation(owner, prompt="a cat")
    make_generation(owner, prompt="a dog")
    cat2 = make_generation(owner, prompt="another cat")
    now = timezone.now()
    for i, gen in enumerate(Generation.objects.order_by("pk")):
        Generation.objects.filter(pk=gen.pk).update(created_at=now - timedelta(minutes=10 - i))
    html = _detail(owner_client, cat2, "?back=/%3Fq%3Dcat")
    assert f'rel="next" href="/generations/{cat1.pk}/?back=%2F%3Fq%3Dcat"' in html


def test_detail_from_a_team_gallery_moves_through_the_team(client, owner, member, team):
    mine = make_generation(owner, prompt="mine, shared")
    theirs = make_generation(member, prompt="theirs, shared")
    private = make_generation(member, prompt="theirs, private")
    now = timezone.now()
    Generation.objects.filter(pk=mine.pk).update(team=team, created_at=now - timedelta(minutes=3))
    Generation.objects.filter(pk=private.pk).update(created_at=now - timedelta(minutes=2))
    Generation.objects.filter(pk=theirs.pk).update(team=team, created_at=now - timedelta(minutes=1))
    client.force_login(member)
    html = _detail(client, theirs, f"?team={team.slug}")
    assert f'rel="next" href="/generations/{mine.pk}/?team={team.slug}"' in html
    # Someone else's item opened outside a team gallery has no gallery to move through.
    assert 'rel="next"' not in _detail(client, mine)


def test_detail_neighbours_take_constant_queries(owner_client, owner):
    gens = fill(owner, 3)
    with CaptureQueriesContext(connection) as few:
        _detail(owner_client, gens[1])
    fill(owner, 30)
    with CaptureQueriesContext(connection) as many:
        _detail(owner_client, gens[1])
    assert len(many) == len(few)


def test_a_team_that_is_not_mine_gives_no_team_order(client, owner, outsider):
    other = Team.objects.create(name="Other", slug="other")
    Membership.objects.create(team=other, user=outsider, role="owner")
    gens = fill(owner, 2)
    Generation.objects.filter(pk__in=[g.pk for g in gens]).update(team=other)
    client.force_login(owner)
    html = _detail(client, gens[1], "?team=other")
    # Not a member of "other": the own gallery's order, not the team's.
    assert f'rel="next" href="/generations/{gens[0].pk}/"' in html
