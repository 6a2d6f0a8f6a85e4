"""The galleries (the studio's own and a team's): listing, filters, paging and the poll."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from studio.generations import gallery, transitions
from studio.generations.models import Favourite, Generation, State
from tests.htmx import HTMX

from .helpers import FORM, complete, fill, form_values, make_generation

pytestmark = pytest.mark.django_db


def page_queries(client, url="/"):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries), ctx


def test_gallery_query_count_is_the_same_for_5_and_50_items(owner_client, owner, task_queue):
    gens = fill(owner, 5)
    for g in gens[:3]:
        complete(g)
    few, _ = page_queries(owner_client)
    more = fill(owner, 45)
    for g in more[:30]:
        complete(g)
    many, _ = page_queries(owner_client)
    assert few == many
    # (The collections menu and the saved searches are one query each.)
    assert 0 < few < 17


def test_gallery_shows_own_cards_newest_first_with_hooks(owner_client, owner, outsider, task_queue):
    older = make_generation(owner, prompt="older one")
    newer = make_generation(owner, prompt="newer one")
    make_generation(outsider, prompt="not yours")
    Generation.objects.filter(pk=older.pk).update(
        state=State.FAILED, failure_code="content_moderated", failure_reason="Blocked by policy"
    )
    page = owner_client.get("/").content.decode()
    assert page.index("newer one") < page.index("older one")
    assert "not yours" not in page
    assert f'data-generation-id="{newer.pk}" data-state="pending"' in page
    assert 'data-failure-code="content_moderated"' in page
    assert "Blocked by policy" in page


def test_load_more_uses_a_keyset_cursor_not_offset(owner_client, owner, task_queue):
    fill(owner, gallery.PAGE_SIZE + 5)
    first = owner_client.get("/").content.decode()
    assert first.count("data-generation-id=") == gallery.PAGE_SIZE
    assert "Load more" in first
    cursor = first.split("?cursor=")[1].split('"')[0].split("&")[0]
    with CaptureQueriesContext(connection) as ctx:
        nxt = owner_client.get(f"/?cursor={cursor}", **HTMX).content.decode()
    assert nxt.count("data-generation-id=") == 5
    assert "Load more" not in nxt
    assert not any("OFFSET" in q["sql"].upper() for q in ctx.captured_queries)
    # Newest first across the page boundary: item 28 ... item 0, no repeats.
    prompts = [p.split("<")[0] for p in (first + nxt).split("item ")[1:]]
    assert prompts == [str(i) for i in range(gallery.PAGE_SIZE + 4, -1, -1)]


def test_load_more_without_javascript_renders_the_page(owner_client, owner, task_queue):
    fill(owner, gallery.PAGE_SIZE + 1)
    first = owner_client.get("/").content.decode()
    cursor = first.split("?cursor=")[1].split('"')[0].split("&")[0]
    response = owner_client.get(f"/?cursor={cursor}")
    assert response.content.decode().count("data-generation-id=") == 1


@pytest.mark.parametrize(
    "query,expected",
    [
        ("q=LIGHT", {"lighthouse"}),
        ("state=failed", {"broken"}),
        ("state=active", {"lighthouse", "manga cat"}),
        ("state=completed", {"done"}),
        ("model=uni-1-max", {"manga cat"}),
        ("type=image_edit", {"broken"}),
        ("favourite=1", {"done"}),
    ],
)
def test_search_and_filters(owner_client, owner, task_queue, query, expected):
    make_generation(owner, prompt="lighthouse")
    make_generation(owner, prompt="manga cat", model="uni-1-max")
    broken = make_generation(owner, prompt="broken", type="image_edit")
    Generation.objects.filter(pk=broken.pk).update(state=State.FAILED, failure_code="corrupt_input")
    done = complete(make_generation(owner, prompt="done"))
    Favourite.objects.create(user=owner, generation=done)
    body = owner_client.get(f"/?{query}", **HTMX).content.decode()
    shown = {p for p in ["lighthouse", "manga cat", "broken", "done"] if f">{p}</a>" in body}
    assert shown == expected


def test_filtering_puts_the_filters_in_the_address_bar(owner_client, task_queue):
    response = owner_client.get("/?q=fox&state=failed&model=uni-1", **HTMX)
    assert response["HX-Push-Url"] == "/?q=fox&state=failed&model=uni-1"
    cleared = owner_client.get("/?q=", **HTMX)
    assert cleared["HX-Push-Url"] == "/"
    page = owner_client.get("/?q=fox&state=failed").content.decode()
    assert form_values(page)["q"] == ["fox"]
    assert form_values(page)["state"] == ["failed"]


def _failed_card_page(client, user, code: str, reason: str) -> tuple[Generation, str]:
    gen = make_generation(user)
    Generation.objects.filter(pk=gen.pk).update(
        state=State.FAILED, failure_code=code, failure_reason=reason
    )
    return gen, client.get("/").content.decode()


def test_failed_card_explains_the_code_and_offers_retry(owner_client, owner, task_queue):
    gen, page = _failed_card_page(owner_client, owner, "generation_failed", "Model crashed (E42)")
    assert "The model hit an internal error." in page
    assert "Model crashed (E42)" in page
    assert f"/generations/{gen.pk}/retry/" in page


def test_moderated_card_offers_no_retry(owner_client, owner, task_queue):
    gen, page = _failed_card_page(owner_client, owner, "content_moderated", "Policy")
    assert "Change the prompt" in page
    assert f"/generations/{gen.pk}/retry/" not in page


def test_team_gallery_for_members_only(client, owner, member, outsider, team, task_queue):
    shared = make_generation(owner, prompt="shared one")
    make_generation(owner, prompt="private one")
    Generation.objects.filter(pk=shared.pk).update(team=team)
    client.force_login(member)
    page = client.get("/teams/design/").content.decode()
    assert "shared one" in page and "private one" not in page
    client.force_login(outsider)
    assert client.get("/teams/design/").status_code == 404


def test_team_cards_say_who_made_them(client, owner, member, team, task_queue):
    gen = make_generation(owner, prompt="shared one")
    Generation.objects.filter(pk=gen.pk).update(team=team)
    client.force_login(member)
    page = client.get("/teams/design/").content.decode()
    assert '<span class="author" data-author="owner">owner</span>' in page
    # The favourites filter is the member's own stars, on the team page too.
    assert 'name="favourite"' in page


def test_navigation_links_the_users_teams(client, member, team):
    client.force_login(member)
    assert 'href="/teams/design/"' in client.get("/").content.decode()


def test_gallery_polls_only_while_something_is_in_flight(owner_client, owner, task_queue):
    page = owner_client.get("/").content.decode()
    # The poller ticks every 2 s; gallery.js cancels a tick when no card on the page is in
    # flight (no eval-based trigger filter: the CSP forbids eval). The browser tests count
    # the requests.
    assert 'hx-trigger="every 2s"' in page
    assert page.count('id="gallery-poller"') == 1


def test_poll_returns_out_of_band_cards_and_announces_finished(
    owner_client, owner, outsider, task_queue
):
    running = make_generation(owner, prompt="still going")
    done = complete(make_generation(owner, prompt="all done"))
    foreign = make_generation(outsider, prompt="someone else")
    ids = f"{running.pk},{done.pk},{foreign.pk}"
    body = owner_client.get(f"/gallery/poll/?ids={ids}", **HTMX).content.decode()
    assert body.count('hx-swap-oob="true"') == 2
    assert f'data-generation-id="{running.pk}" data-state="pending"' in body
    assert f'data-generation-id="{done.pk}" data-state="completed"' in body
    assert "someone else" not in body
    assert "Finished: all done" in body


def test_one_poll_query_set_for_many_cards(owner_client, owner, task_queue):
    few = [g.pk for g in fill(owner, 2)]
    with CaptureQueriesContext(connection) as small:
        owner_client.get(f"/gallery/poll/?ids={','.join(map(str, few))}", **HTMX)
    many = [g.pk for g in fill(owner, 20)]
    with CaptureQueriesContext(connection) as large:
        owner_client.get(f"/gallery/poll/?ids={','.join(map(str, many))}", **HTMX)
    assert len(small.captured_queries) == len(large.captured_queries) > 0


def poll_as_drawn(client, page: str, gens) -> object:
    """Poll as gallery.js does: each in-flight card's id and the version the page drew."""
    versions = dict(re.findall(r'data-generation-id="(\d+)"[^>]*data-version="([^"]+)"', page))
    ids = ",".join(str(g.pk) for g in gens)
    drawn = ",".join(versions[str(g.pk)] for g in gens)
    return client.get(f"/gallery/poll/?ids={ids}&versions={drawn}", **HTMX)


def test_a_poll_where_no_card_changed_answers_204_with_one_query_of_its_own(
    owner_client, owner, task_queue
):
    gens = fill(owner, 4)
    page = owner_client.get("/").content.decode()
    with CaptureQueriesContext(connection) as queries:
        answer = poll_as_drawn(owner_client, page, gens)
    assert answer.status_code == 204 and answer.content == b""
    # The session, the person, and the cards' versions: no cards drawn, no roles, no stars.
    assert len(queries.captured_queries) == 3


def test_a_poll_draws_only_the_cards_that_moved(owner_client, owner, task_queue):
    still, moved, gone = fill(owner, 3)
    page = owner_client.get("/").content.decode()
    moved.set_state(State.PROCESSING)
    moved.save(update_fields=["state", "history", "updated_at"])  # as the pipeline saves
    polled = [still, moved, gone]
    gone_id = gone.pk
    gone.delete()
    gone.pk = gone_id
    body = poll_as_drawn(owner_client, page, polled).content.decode()
    assert f'id="gen-{moved.pk}" data-generation-id="{moved.pk}" data-state="processing"' in body
    assert f'data-generation-id="{still.pk}"' not in body
    assert f'<article id="gen-{gone_id}" hx-swap-oob="delete"></article>' in body


def test_a_pipeline_step_that_changes_nothing_drawn_leaves_the_card_alone(
    owner_client, owner, task_queue
):
    """The worker saves an in-flight row at every GET of its job (its poll count, its next
    GET): the page's poll answers 204 for that, and draws the card when its state moves."""
    (gen,) = fill(owner, 1)
    Generation.objects.filter(pk=gen.pk).update(state=State.QUEUED, upstream_id="up-1")
    page = owner_client.get("/").content.decode()
    transitions.touch(gen.pk, Q(state=State.QUEUED), poll_count=7, last_polled_at=timezone.now())
    assert poll_as_drawn(owner_client, page, [gen]).status_code == 204
    Generation.objects.filter(pk=gen.pk).update(state=State.PROCESSING)
    body = poll_as_drawn(owner_client, page, [gen]).content.decode()
    assert f'data-generation-id="{gen.pk}" data-state="processing"' in body


def test_a_held_back_row_sent_at_last_moves_its_version(owner, task_queue):
    gen = make_generation(owner)
    Generation.objects.filter(pk=gen.pk).update(
        state=State.PENDING,
        submit_claimed_at=None,
        submit_attempts=0,
        next_attempt_at=timezone.now(),
    )
    gen.refresh_from_db()
    assert gen.waiting_for_slot
    before = gen.card_version
    Generation.objects.filter(pk=gen.pk).update(submit_claimed_at=timezone.now())
    gen.refresh_from_db()
    assert not gen.waiting_for_slot and gen.card_version != before


def test_sharing_a_card_moves_its_version(owner, team, task_queue):
    gen = make_generation(owner)
    before = gen.card_version
    Generation.objects.filter(pk=gen.pk).update(team=team)
    gen.refresh_from_db()
    assert gen.card_version != before


def test_poll_drops_cards_that_no_longer_exist(owner_client, owner, task_queue):
    gen = make_generation(owner)
    gone_id = gen.pk
    gen.delete()
    body = owner_client.get(f"/gallery/poll/?ids={gone_id}", **HTMX).content.decode()
    assert f'<article id="gen-{gone_id}" hx-swap-oob="delete"></article>' in body


# --- one URL per page: htmx asks the page itself for its cards -------------------------


def test_the_studio_answers_htmx_with_only_its_gallery_page(owner_client, owner, task_queue):
    gen = make_generation(owner, prompt="a card")
    response = owner_client.get("/?q=card", **HTMX)
    body = response.content.decode()
    assert response.status_code == 200
    assert f'data-generation-id="{gen.pk}"' in body
    assert 'id="gallery-empty"' in body
    for whole_page_only in ["<html", 'id="composer-form"', 'class="filters"', "gallery-poller"]:
        assert whole_page_only not in body, whole_page_only
    assert "HX-Request" in response["Vary"]


def test_a_gallery_request_does_not_use_up_the_kept_settings(owner_client, task_queue):
    owner_client.post("/generations/", {**FORM, "prompt": "kept for the next form"})
    owner_client.get("/?q=x", **HTMX)
    values = form_values(owner_client.get("/").content.decode())
    assert values["prompt"] == ["kept for the next form"]


def test_the_team_page_answers_htmx_with_only_its_gallery_page(
    client, owner, member, team, task_queue
):
    gen = make_generation(owner, prompt="shared one")
    Generation.objects.filter(pk=gen.pk).update(team=team)
    client.force_login(member)
    response = client.get("/teams/design/?q=shared", **HTMX)
    body = response.content.decode()
    assert f'data-generation-id="{gen.pk}"' in body and 'data-author="owner"' in body
    assert "<html" not in body and 'class="filters"' not in body
    assert response["HX-Push-Url"] == "/teams/design/?q=shared"
    assert "HX-Request" in response["Vary"]


def test_team_filters_and_load_more_ask_the_team_page(client, owner, member, team, task_queue):
    for gen in fill(owner, gallery.PAGE_SIZE + 1):
        Generation.objects.filter(pk=gen.pk).update(team=team)
    client.force_login(member)
    page = client.get("/teams/design/?model=uni-1").content.decode()
    assert 'hx-get="/teams/design/"' in page and 'action="/teams/design/"' in page
    more = (
        re.search(r'hx-get="(/teams/design/\?cursor=[^"]+)"', page).group(1).replace("&amp;", "&")
    )
    assert more.endswith("&model=uni-1")
    nxt = client.get(more, **HTMX)
    assert nxt.content.decode().count("data-generation-id=") == 1
    assert "HX-Push-Url" not in nxt  # "Load more" leaves the address as it is


def test_the_team_page_for_htmx_sends_outsiders_to_their_teams(client, outsider, team):
    client.force_login(outsider)
    response = client.get("/teams/design/", **HTMX)
    assert (response.status_code, response["HX-Redirect"]) == (200, "/teams/")
    assert client.get("/teams/design/").status_code == 404


def test_a_history_restore_gets_the_whole_page(owner_client, task_queue):
    page = owner_client.get("/", HTTP_HX_REQUEST="true", HTTP_HX_HISTORY_RESTORE_REQUEST="true")
    assert 'id="composer-form"' in page.content.decode()


def test_the_old_gallery_url_is_gone(owner_client):
    assert owner_client.get("/gallery/").status_code == 404
    assert owner_client.get("/gallery/?cursor=abc", **HTMX).status_code == 404


def test_a_nul_character_in_the_search_is_dropped(owner_client, owner, task_queue):
    # PostgreSQL refuses NUL in a text comparison; found by the fuzz pass on PostgreSQL.
    make_generation(owner, prompt="a fox at dawn")
    assert gallery.Filters.from_request({"q": "fo\x00x"}).q == "fox"
    response = owner_client.get("/", {"q": "fo\x00x"})
    assert response.status_code == 200
    assert "a fox at dawn" in response.content.decode()


def test_each_card_is_drawn_in_its_images_shape(owner_client, owner, task_queue):
    # The stored output decides (an edit keeps its source's shape), nearest of the API's
    # ratios; a card still in flight has the shape it asked for.
    edit = complete(make_generation(owner, prompt="edit", aspect_ratio="1:1"), size=(1920, 1080))
    tall = complete(make_generation(owner, prompt="tall", aspect_ratio="1:1"), size=(700, 1400))
    waiting = make_generation(owner, prompt="waiting", aspect_ratio="3:2")
    assert (edit.shape, tall.shape, waiting.shape) == ("16:9", "1:2", "3:2")
    page = owner_client.get("/").content.decode()
    assert f'data-generation-id="{edit.pk}" data-state="completed" data-shape="16:9"' in page
    assert f'data-generation-id="{waiting.pk}" data-state="pending" data-shape="3:2"' in page
    assert 'width="700" height="1400"' in page
