"""Logging in and generating one image, in a real browser with a real worker.

Written against the markup hooks only (`#composer-form`, `#gallery`, `data-generation-id`,
`data-state`), so it holds whether the form posts and redirects or htmx swaps the card in.
"""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import Page, expect

from studio.generations.models import Generation

from .conftest import PASSWORD
from .test_studio_live import wait_image_loaded

pytestmark = pytest.mark.browser

COMPLETION_DEADLINE = 60


def wait_for_state(page: Page, card, state: str, worker, deadline: float) -> None:
    """Wait for the card to reach `state`: on its own if the page updates itself, else by
    reloading. Stops at once on a failed card or a dead worker."""
    end = time.monotonic() + deadline
    while True:
        try:
            expect(card).to_have_attribute("data-state", state, timeout=3_000)
            return
        except AssertionError:
            current = card.get_attribute("data-state")
            if current == "failed" and state != "failed":
                raise AssertionError(
                    f"the card failed: {card.get_attribute('data-failure-code')}: "
                    f"{card.inner_text()}"
                ) from None
            worker.assert_alive()
            if time.monotonic() > end:
                raise
            page.reload()


def test_submitted_prompt_becomes_a_finished_image(logged_in_page: Page, live_server, user, worker):
    page = logged_in_page
    form = page.locator("form#composer-form").first
    form.locator("[name=prompt]").fill("a lighthouse at dusk, seen from the sea")
    form.locator("[type=submit]").first.click()

    card = page.locator("#gallery [data-generation-id]")
    expect(card).to_have_count(1)
    gen_id = card.get_attribute("data-generation-id")
    gen = Generation.objects.get(pk=gen_id)
    assert gen.user == user
    assert gen.prompt == "a lighthouse at dusk, seen from the sea"

    card = page.locator(f'#gallery [data-generation-id="{gen_id}"]')
    wait_for_state(page, card, "completed", worker, COMPLETION_DEADLINE)

    img_selector = f'#gallery [data-generation-id="{gen_id}"] img'
    img = page.locator(img_selector).first
    expect(img).to_have_attribute("src", re.compile(r"^/generations/"))
    wait_image_loaded(page, img_selector)
    assert img.evaluate("img => new URL(img.currentSrc).origin") == live_server.url
    # The image is the studio's own stored file, served behind the login.
    response = page.request.get(live_server.url + img.get_attribute("src"))
    assert response.ok
    assert response.headers["content-type"].startswith("image/")


def test_login_rejects_a_bad_password(page: Page, live_server, user, log_in):
    log_in(page, user.username, PASSWORD + "-wrong")

    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    expect(page.get_by_role("alert")).to_contain_text(re.compile("password", re.IGNORECASE))
    # Still logged out: the studio sends us back to the login page.
    page.goto(f"{live_server.url}/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/$"))
