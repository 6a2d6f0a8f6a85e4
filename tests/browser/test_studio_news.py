"""The personal gallery learns of rows made elsewhere: an image made through the JSON API
appears in an open studio tab without a reload, like any other card, and a card this tab
made itself is not drawn twice by the check."""

from __future__ import annotations

import re

import pytest
import requests
from playwright.sync_api import Page, expect

from studio.api import tokens
from tests.browser.pages import CARDS, assert_no_navigation, watch_navigation
from tests.generations.helpers import make_generation

pytestmark = pytest.mark.browser


def _made_through_the_api(live_server, user, prompt: str) -> str:
    """A generation made with POST /api/v1/generations and a new token of `user`'s: its id."""
    _, secret = tokens.create(user=user, name=f"script {prompt[:20]}", expires_days=90)
    made = requests.post(
        f"{live_server.url}/api/v1/generations",
        json={"prompt": prompt},
        headers={"Authorization": f"Bearer {secret}"},
        timeout=30,
    )
    assert made.status_code == 201, made.text
    return made.json()["id"]


def test_a_row_made_through_the_api_appears_in_the_open_gallery(
    logged_in_page: Page, live_server, user, settings, task_queue
):
    # 15 s in production (tests/generations/test_studio_news.py checks the page says so).
    settings.GALLERY_NEWS_SECONDS = 1
    page = logged_in_page
    page.reload()
    expect(page.locator(CARDS)).to_have_count(0)
    checks: list[int] = []  # the statuses of the checks answered
    page.on("response", lambda r: checks.append(r.status) if "made_after=" in r.url else None)
    navigations = watch_navigation(page)

    made_id = _made_through_the_api(live_server, user, "a kite made by a script")
    card = page.locator(f'[data-generation-id="{made_id}"]')
    expect(card).to_be_visible(timeout=20_000)
    expect(card).to_have_attribute("data-via", "api")
    expect(card).to_contain_text("a kite made by a script")
    expect(page.locator("#gallery-empty")).to_be_hidden()
    assert_no_navigation(page, navigations)

    # A card made in this tab is drawn once: the check leaves out the cards the page has.
    page.locator("#composer-form [name=prompt]").fill("a kite made here")
    page.get_by_role("button", name="Generate").click()
    expect(page.locator(CARDS)).to_have_count(2)
    answered = len(checks)
    for _ in range(200):  # two more checks answered, however slow the machine (≤ 40 s)
        if len(checks) >= answered + 2:
            break
        page.wait_for_timeout(200)
    assert len(checks) >= answered + 2, "the open tab stopped asking for news"
    expect(page.locator(CARDS)).to_have_count(2)
    assert checks[-1] == 204, checks
    assert_no_navigation(page, navigations)


def test_the_check_follows_the_filters_chosen_since_the_page_was_drawn(
    logged_in_page: Page, live_server, user, settings, task_queue
):
    settings.GALLERY_NEWS_SECONDS = 1
    page = logged_in_page
    page.reload()
    page.locator(".more-filters summary").click()
    page.locator("#filter-via").select_option("web")  # the gallery is filtered by htmx
    expect(page).to_have_url(re.compile(r"via=web"))
    made_id = _made_through_the_api(live_server, user, "a kite made by a script")
    web = make_generation(user, prompt="a kite made in another tab")
    # Both rows were there for the check that brought this one: it left the API's out.
    expect(page.locator(f'[data-generation-id="{web.pk}"]')).to_be_visible(timeout=20_000)
    expect(page.locator(f'[data-generation-id="{made_id}"]')).to_have_count(0)
