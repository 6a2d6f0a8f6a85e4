"""Search that scales: prompt words (full-text on PostgreSQL, substring on SQLite), filters
by ratio, style, date range and team, and saved searches per person."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from django.db import connection

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
