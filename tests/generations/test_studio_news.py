"""The studio gallery's slow check: an open page learns of the person's rows made elsewhere
(through the API, in another tab) with one small request, answered 204 when there are none."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import quote

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from studio.api import tokens
from studio.generations.models import Generation
from tests.generations.helpers import make_generation

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def _check_url(since, query: str = "") -> str:
    return f"/?made_after={quote(since.isoformat())}" + (f"&{query}" if query else "")


def _next_check(body: str) -> str:
    return (
        body.split('id="studio-news"')[1].split('hx-get="')[1].split('"')[0].replace("&amp;", "&")
    )


def test_the_studio_page_carries_the_check(owner_client, settings):
    page = owner_client.get("/").content.decode()
    assert 'id="studio-news" data-every="15"' in page and "js/news.js" in page
    assert 'hx-get="/?made_after=' in page and 'hx-trigger="news"' in page


def test_nothing_new_is_a_204_from_one_query(owner_client, owner):
    shown = make_generation(owner)  # on the page already
    url = _check_url(timezone.now(), f"have={shown.pk}")
    owner_client.get(url, **HTMX)  # the session is loaded once, as on any request
    with CaptureQueriesContext(connection) as ctx:
        response = owner_client.get(url, **HTMX)
    assert response.status_code == 204 and response.content == b""
    generation_queries = [q for q in ctx.captured_queries if "generations_generation" in q["sql"]]
    # The session and the user, then the check itself: nothing per card, nothing else.
    assert len(generation_queries) == 1, ctx.captured_queries
    assert len(ctx.captured_queries) <= 3, [q["sql"] for q in ctx.captured_queries]


def test_a_row_made_through_the_api_comes_as_a_card_on_top(owner_client, owner):
    since = timezone.now()
    token, _ = tokens.create(user=owner, name="script", expires_days=90)
    gen = make_generation(owner, prompt="made by a script")
    Generation.objects.filter(pk=gen.pk).update(api_token=token)
    response = owner_client.get(_check_url(since), **HTMX)
    body = response.content.decode()
    assert response.status_code == 200
    assert 'hx-swap-oob="afterbegin:#gallery"' in body
    assert f'data-generation-id="{gen.pk}"' in body and 'data-via="api"' in body
    assert "1 new from elsewhere." in body
    # The checker comes back asking from that row on, the card now among those the page has
    # (news.js sends them): nothing new again.
    assert owner_client.get(_next_check(body) + f"&have={gen.pk}", **HTMX).status_code == 204


def test_cards_the_page_has_are_not_sent_again(owner_client, owner):
    since = timezone.now()
    here, elsewhere = make_generation(owner), make_generation(owner)
    body = owner_client.get(_check_url(since, f"have={here.pk}"), **HTMX).content.decode()
    assert f'data-generation-id="{elsewhere.pk}"' in body
    assert f'data-generation-id="{here.pk}"' not in body
    assert (
        owner_client.get(_check_url(since, f"have={here.pk},{elsewhere.pk}"), **HTMX).status_code
        == 204
    )


def test_a_row_stamped_just_before_the_last_look_is_still_found(owner_client, owner):
    """A row is stamped when its transaction starts, and may commit after a look."""
    since = timezone.now()
    late = make_generation(owner)
    Generation.objects.filter(pk=late.pk).update(created_at=since - timedelta(seconds=5))
    body = owner_client.get(_check_url(since), **HTMX).content.decode()
    assert f'data-generation-id="{late.pk}"' in body


def test_only_the_persons_own_rows_and_the_pages_filters(owner_client, owner, member, team):
    since = timezone.now()
    make_generation(member)  # shared with a team the owner is in: not the owner's own
    Generation.objects.update(team=team, shared_at=timezone.now())
    assert owner_client.get(_check_url(since), **HTMX).status_code == 204
    manga = make_generation(owner, style="manga")
    assert owner_client.get(_check_url(since, "style=auto"), **HTMX).status_code == 204
    body = owner_client.get(_check_url(since, "style=manga"), **HTMX).content.decode()
    assert f'data-generation-id="{manga.pk}"' in body
    # The next check's address names no filter: news.js adds the filter form's current ones.
    assert "style" not in _next_check(body)


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "yesterday",
        "2026-13-45T00:00:00",
        "0001-01-01T00:00:00",
        "9999-12-31T23:59:59+00:00",
        "2026-12-01T10:00:00",
    ],
)
def test_a_bad_last_look_never_fails(owner_client, owner, raw):
    make_generation(owner)
    response = owner_client.get(f"/?made_after={quote(raw)}&have=x,1,{'9' * 30}", **HTMX)
    assert response.status_code in (200, 204)


def test_the_team_check_survives_an_impossible_date(client, member, team):
    client.force_login(member)
    response = client.get("/teams/design/?shared_after=2026-13-45T00:00:00", **HTMX)
    assert response.status_code == 204
