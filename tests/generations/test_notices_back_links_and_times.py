"""The submit notice, the edit button's words, drafts, Back links that keep the gallery's
filters and pages, the ticking clock's start, local times and the review queue's links, at
the level of the HTML the server sends; what needs a browser is in
tests/browser/test_drafts_focus_and_local_times.py."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings as django_settings

from studio.generations import gallery
from studio.generations.models import Generation
from tests import htmx
from tests.generations.helpers import FORM, complete, fill, make_generation
from tests.moderation.helpers import QUEUE, moderated

pytestmark = pytest.mark.django_db

HTMX = {**htmx.HTMX, "HTTP_HX_CURRENT_URL": "http://testserver/"}


def test_a_submit_shows_a_notice_with_a_link_to_the_new_card(owner_client, task_queue):
    response = owner_client.post("/generations/", FORM, **HTMX)
    gen = Generation.objects.get()
    html = response.content.decode()
    notice = re.search(r'<p class="submit-notice" id="submit-notice"[^>]*>(.*?)</p>', html, re.S)
    assert notice and 'hx-swap-oob="true"' in notice.group(0)
    assert f'href="#gen-{gen.pk}"' in notice.group(1)
    # The form has the spot it lands in, beside the Generate button.
    page = owner_client.get("/").content.decode()
    assert 'id="submit-notice"' in page.split('class="composer-footer"')[1]


def test_the_button_says_edit_in_edit_mode(owner_client, task_queue):
    gen = complete(make_generation(owner_client.get("/").wsgi_request.user))
    page = owner_client.get(f"/?edit={gen.pk}&output=0").content.decode()
    assert '<span class="submit-label">Edit</span>' in page
    assert '<span class="submit-label">Generate</span>' in owner_client.get("/").content.decode()


def test_only_a_blank_form_takes_the_browsers_draft(owner_client, owner, task_queue):
    assert "data-restore-draft" in owner_client.get("/").content.decode()
    gen = make_generation(owner)
    assert "data-restore-draft" not in owner_client.get(f"/?remix={gen.pk}").content.decode()


def test_the_empty_gallery_text_spans_the_grid():
    css = (Path(django_settings.BASE_DIR) / "static/css/studio.css").read_text()
    assert re.search(r"\.empty \{[^}]*grid-column: 1 / -1", css)


def test_detail_opened_in_a_team_gallery_goes_back_to_the_team(client, owner, member, team):
    gen = make_generation(owner)
    Generation.objects.filter(pk=gen.pk).update(team=team)
    client.force_login(member)
    link = f"/generations/{gen.pk}/?team=design"
    assert f'href="{link}"' in client.get("/teams/design/").content.decode()
    detail = client.get(link).content.decode()
    assert '<a href="/teams/design/">← Back to Design</a>' in detail
    # `back` takes local paths only; anything else falls back to the studio.
    other = client.get(f"/generations/{gen.pk}/?back=https://evil.example/").content.decode()
    assert '<a href="/">← Back to the studio</a>' in other


def test_detail_opened_in_a_filtered_studio_goes_back_to_the_filter(owner_client, owner):
    gen = make_generation(owner, prompt="boat")
    studio = owner_client.get("/?q=boat").content.decode()
    link = f"/generations/{gen.pk}/?back={quote('/?q=boat', safe='')}"
    assert f'href="{link}"' in studio
    detail = owner_client.get(link).content.decode()
    assert '<a href="/?q=boat">← Back to the gallery</a>' in detail


def test_delete_from_a_filtered_gallery_returns_to_the_filter(owner_client, owner):
    gen = complete(make_generation(owner, prompt="boat on a lake"))
    back = "/?q=boat"
    detail = owner_client.get(f"/generations/{gen.pk}/?back={quote(back, safe='')}").content
    page = detail.decode()
    assert f'<form method="post" action="/generations/{gen.pk}/delete/">' in page
    assert '<input type="hidden" name="next" value="/?q=boat">' in page
    response = owner_client.post(f"/generations/{gen.pk}/delete/", {"next": back})
    assert response.status_code == 302 and response["Location"] == back
    assert Generation.objects.get(pk=gen.pk).trashed_at is not None


def test_load_more_puts_the_cards_shown_in_the_address(owner_client, owner):
    gens = fill(owner, gallery.PAGE_SIZE + 5)
    first = owner_client.get("/", HTTP_HX_REQUEST="true")
    more = re.search(r'hx-get="([^"]+)"', first.content.decode().split('id="load-more"')[1])
    response = owner_client.get(more.group(1).replace("&amp;", "&"), **HTMX)
    replaced = response["HX-Replace-Url"]
    assert replaced == f"/?through={gallery.encode_cursor(Generation.objects.get(pk=gens[0].pk))}"
    # Back (or a reload) at that address draws every card that was loaded, not one page.
    again = owner_client.get(replaced).content.decode()
    assert again.count("data-generation-id=") == len(gens)
    assert 'id="load-more"' not in again


def test_a_waiting_card_carries_its_start_for_the_ticking_clock(owner_client, owner):
    gen = make_generation(owner)
    page = owner_client.get("/").content.decode()
    assert f'class="elapsed" data-started="{int(gen.created_at.timestamp())}"' in page


def test_history_times_are_marked_for_the_local_time_zone(owner_client, owner):
    gen = make_generation(owner)
    detail = owner_client.get(f"/generations/{gen.pk}/").content.decode()
    assert re.search(r'<time datetime="[^"]+\+00:00"[^>]* data-local-time>[^<]+ UTC</time>', detail)


def test_the_review_queue_links_to_the_detail_page_and_keeps_reasons_short(
    admin_client,
    owner,
    task_queue,
):
    gen = moderated(owner, "x" * 300, reason="Blocked: " + "y" * 400)
    page = admin_client.get(QUEUE).content.decode()
    link = re.search(rf'<a href="/generations/{gen.pk}/"[^>]*>Open #{gen.pk}</a>', page)
    assert link is not None
    assert "y" * 100 not in page
    # The reviewer (a superuser here) may open it.
    assert admin_client.get(f"/generations/{gen.pk}/").status_code == 200
