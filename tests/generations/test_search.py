"""Search that scales: prompt words (full-text on PostgreSQL, substring on SQLite), filters
by ratio, style, date range and team, and saved searches per person."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from django.db import connection

from studio.api import tokens
from studio.collections import services as collections
from studio.collections.models import CollectionItem
from studio.generations.models import Generation, SavedSearch
from studio.generations.search import prefix_query
from tests.generations.helpers import make_generation

pytestmark = pytest.mark.django_db


def _shown(client, query: str) -> list[int]:
    html = client.get(f"/?{query}").content.decode()
    return [int(pk) for pk in re.findall(r'data-generation-id="(\d+)"', html)]


def test_prompt_words_match_in_any_order(owner_client, owner):
    fox = make_generation(owner, prompt="A red fox in the snow")
    owl = make_generation(owner, prompt="an owl at night")
    assert _shown(owner_client, "q=fox") == [fox.pk]
    assert _shown(owner_client, "q=owl") == [owl.pk]
    if connection.vendor == "postgresql":
        # Full-text: every word, any order, word starts.
        assert _shown(owner_client, "q=snow+red") == [fox.pk]
        assert _shown(owner_client, "q=nig") == [owl.pk]


def test_the_tsquery_is_made_of_word_prefixes_only():
    assert prefix_query("Red fox!") == "red:* & fox:*"
    assert prefix_query("a|b & c:*") == "a:* & b:* & c:*"
    assert prefix_query("!!!") == ""


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the GIN index is PostgreSQL's")
def test_postgresql_has_the_gin_index_of_the_search_expression():
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'generations_prompt_fts'")
        [definition] = cursor.fetchone()
    assert "gin" in definition and "to_tsvector('simple'::regconfig, prompt)" in definition


def test_filters_by_ratio_style_dates_and_team(owner_client, owner, team):
    wide = make_generation(owner, aspect_ratio="16:9")
    manga = make_generation(owner, style="manga", aspect_ratio="1:1")
    old = make_generation(owner, aspect_ratio="1:1")
    Generation.objects.filter(pk=old.pk).update(created_at=datetime(2026, 1, 15, 12, tzinfo=UTC))
    Generation.objects.filter(pk=wide.pk).update(team=team)
    assert _shown(owner_client, "ratio=16:9") == [wide.pk]
    assert _shown(owner_client, "style=manga") == [manga.pk]
    assert _shown(owner_client, "until=2026-01-15") == [old.pk]
    assert _shown(owner_client, "since=2026-01-16") == [manga.pk, wide.pk]
    assert _shown(owner_client, "since=2026-01-15&until=2026-01-15") == [old.pk]
    assert _shown(owner_client, "team=design") == [wide.pk]
    # Nonsense is ignored, not an error.
    assert len(_shown(owner_client, "ratio=7:5&since=yesterday&style=x")) == 3


def test_saved_searches_are_each_persons_own(owner_client, owner, outsider):
    client = owner_client  # the same test client, logged in as each in turn
    fox = make_generation(owner, prompt="a red fox", style="manga")
    response = owner_client.post(
        "/searches/", {"name": "Manga foxes", "query": "q=fox&style=manga", "next": "/"}
    )
    assert response.status_code == 302 and response["Location"] == "/?q=fox&style=manga"
    saved = SavedSearch.objects.get()
    assert (saved.user, saved.name, saved.query) == (owner, "Manga foxes", "q=fox&style=manga")
    html = owner_client.get("/").content.decode()
    assert '<a href="/?q=fox&amp;style=manga">Manga foxes</a>' in html
    assert _shown(owner_client, saved.query) == [fox.pk]
    client.force_login(outsider)
    assert "Manga foxes" not in client.get("/").content.decode()
    assert client.post(f"/searches/{saved.pk}/delete/").status_code == 404
    client.force_login(owner)
    assert client.post(f"/searches/{saved.pk}/delete/", {"next": "/"}).status_code == 302
    assert not SavedSearch.objects.exists()


def test_saving_no_filters_saves_nothing(owner_client):
    owner_client.post("/searches/", {"name": "all", "query": "", "next": "/"})
    assert not SavedSearch.objects.exists()


def _via_api(gen, user):
    token, _ = tokens.create(user=user, name="script", expires_days=90)
    Generation.objects.filter(pk=gen.pk).update(api_token=token)


def _page_urls(team, collection) -> dict[str, str]:
    return {
        "studio": "/",
        "team": f"/teams/{team.slug}/",
        "collection": f"/collections/{collection.pk}/",
    }


def _ids_at(client, url: str) -> list[int]:
    response = client.get(url)
    assert response.status_code == 200
    return [int(pk) for pk in re.findall(r'data-generation-id="(\d+)"', response.content.decode())]


@pytest.mark.parametrize("gallery", ["studio", "team", "collection"])
def test_every_filter_works_in_every_gallery(owner_client, owner, team, gallery):
    """Each gallery page (the studio, a team's, a collection's) applies each filter."""
    wide = make_generation(owner, aspect_ratio="16:9", style="manga", model="uni-1-max")
    square = make_generation(owner, aspect_ratio="1:1")
    old = make_generation(owner, aspect_ratio="1:1")
    Generation.objects.filter(pk=old.pk).update(created_at=datetime(2026, 1, 15, 12, tzinfo=UTC))
    _via_api(square, owner)
    everything = [wide.pk, square.pk, old.pk]
    Generation.objects.filter(pk__in=everything).update(team=team, shared_at=datetime.now(UTC))
    box = collections.create_collection(user=owner, name="Box")
    collections.add(user=owner, collection=box, ids=everything)
    url = _page_urls(team, box)[gallery]
    expected = {
        "ratio=16:9": [wide.pk],
        "style=manga": [wide.pk],
        "model=uni-1-max": [wide.pk],
        "via=api": [square.pk],
        "via=web": [wide.pk, old.pk],
        "until=2026-01-15": [old.pk],
        "since=2026-01-16&until=9999-12-31": [wide.pk, square.pk],
        "team=design": [wide.pk, square.pk, old.pk],
    }
    for query, shown in expected.items():
        assert sorted(_ids_at(owner_client, f"{url}?{query}")) == sorted(shown), query


def test_filter_by_collection_shows_only_what_is_in_it(owner_client, owner, member, team):
    fox, owl, cat = (make_generation(owner, prompt=p) for p in ("fox", "owl", "cat"))
    box = collections.create_collection(user=owner, name="Box")
    collections.add(user=owner, collection=box, ids=[fox.pk, owl.pk])
    assert sorted(_ids_at(owner_client, f"/?collection={box.pk}")) == sorted([fox.pk, owl.pk])
    assert _ids_at(owner_client, f"/?collection={box.pk}&q=owl") == [owl.pk]
    html = owner_client.get("/").content.decode()
    assert f'<option value="{box.pk}">Box</option>' in html
    # Someone else's collection (or none at all) filters everything out, and says nothing of it.
    theirs = collections.create_collection(user=member, name="Theirs")
    Generation.objects.filter(pk=cat.pk).update(team=team, shared_at=datetime.now(UTC))
    collections.add(user=member, collection=theirs, ids=[cat.pk])
    assert _ids_at(owner_client, f"/?collection={theirs.pk}") == []
    assert _ids_at(owner_client, "/?collection=999999") == []
    assert "Theirs" not in owner_client.get(f"/?collection={theirs.pk}").content.decode()
    # Not a number: no filter.
    assert len(_ids_at(owner_client, "/?collection=box")) == 3


def test_a_team_collection_filter_shows_only_what_the_team_sees(client, owner, member, team):
    shared = make_generation(owner, prompt="shared")
    private = make_generation(owner, prompt="private")
    Generation.objects.filter(pk=shared.pk).update(team=team, shared_at=datetime.now(UTC))
    board = collections.create_collection(user=owner, name="Board", team=team)
    collections.add(user=owner, collection=board, ids=[shared.pk])
    # Stored before it was unshared: the collection no longer shows it, nor does the filter.
    CollectionItem.objects.create(collection=board, generation=private)
    client.force_login(owner)
    assert _ids_at(client, f"/?collection={board.pk}") == [shared.pk]
    client.force_login(member)
    assert _ids_at(client, f"/teams/{team.slug}/?collection={board.pk}") == [shared.pk]


@pytest.mark.parametrize(
    ("query", "count"),
    [
        ("since=0001-01-01", 2),
        ("until=9999-12-31", 2),
        ("since=0001-01-01&until=9999-12-31", 2),
        ("since=9999-12-31", 0),
        ("until=0001-01-01", 0),
        ("since=2026-03-01&until=2026-02-01", 0),
        ("until=2026-02-30", 2),  # no such day: ignored
        ("since=99999-01-01", 2),
    ],
)
def test_far_off_and_impossible_dates_never_fail(owner_client, owner, query, count):
    make_generation(owner)
    make_generation(owner)
    assert len(_ids_at(owner_client, f"/?{query}")) == count


def test_a_collection_page_offers_every_filter_and_the_saved_searches(owner_client, owner):
    box = collections.create_collection(user=owner, name="Box")
    SavedSearch.objects.create(user=owner, name="Wide ones", query="ratio=16%3A9")
    html = owner_client.get(f"/collections/{box.pk}/").content.decode()
    assert '<option value="16:9">16:9</option>' in html
    assert '<option value="manga">manga</option>' in html
    assert 'id="filter-via"' in html and 'id="filter-collection"' not in html
    assert f'<a href="/collections/{box.pk}/?ratio=16%3A9">Wide ones</a>' in html


def test_a_saved_search_keeps_via_and_collection(owner_client, owner):
    box = collections.create_collection(user=owner, name="Box")
    query = f"collection={box.pk}&via=api"
    owner_client.post("/searches/", {"name": "Scripted", "query": query, "next": "/"})
    assert SavedSearch.objects.get().query == query


@pytest.mark.parametrize("gallery", ["team", "collection"])
def test_a_search_saved_on_another_gallery_returns_there(owner_client, owner, team, gallery):
    box = collections.create_collection(user=owner, name="Box")
    wide = make_generation(owner, aspect_ratio="16:9")
    make_generation(owner, aspect_ratio="1:1")
    Generation.objects.update(team=team, shared_at=datetime.now(UTC))
    collections.add(
        user=owner, collection=box, ids=list(Generation.objects.values_list("pk", flat=True))
    )
    url = _page_urls(team, box)[gallery]
    response = owner_client.post("/searches/", {"name": "Wide", "query": "ratio=16:9", "next": url})
    assert response.status_code == 302 and response["Location"] == f"{url}?ratio=16%3A9"
    html = owner_client.get(url).content.decode()
    assert f'<a href="{url}?ratio=16%3A9">Wide</a>' in html
    assert _ids_at(owner_client, f"{url}?ratio=16%3A9") == [wide.pk]
