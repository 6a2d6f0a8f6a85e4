"""Pages log no console error: a refused form swapped in (htmx used to copy `style=""` onto
its hidden inputs, a CSP violation each), an original opened directly, starring with `f`
(focus stays where it was, so Enter still opens the card)."""

from __future__ import annotations

from unittest import mock

import pytest
from playwright.sync_api import Page, expect

from studio.generations import queue
from tests.browser.pages import CARDS
from tests.generations.helpers import complete, make_generation

pytestmark = pytest.mark.browser


def finished_generation(user, prompt: str):
    with mock.patch.object(queue, "enqueue"):  # no task left for a later worker
        return complete(make_generation(user, prompt=prompt), size=(96, 64))


def test_a_refused_form_swaps_in_without_a_console_error(logged_in_page: Page):
    page = logged_in_page
    page.locator("#composer-form [name=prompt]").fill("   ")
    page.locator("#composer-form button[type=submit]").click()
    expect(page.locator("[data-error-summary]")).to_be_visible()
    page.locator("#composer-form [name=prompt]").fill("now with a prompt")
    page.locator("#composer-form button[type=submit]").click()
    expect(page.locator(CARDS)).to_have_count(1)
    # The conftest's console watch fails the test on any error logged meanwhile.


def test_an_original_opened_directly_is_fitted_without_a_console_error(
    logged_in_page: Page, user, live_server
):
    gen = finished_generation(user, prompt="a wide valley")
    page = logged_in_page
    page.goto(f"{live_server.url}/generations/{gen.pk}/outputs/0/")
    image = page.locator("img")
    expect(image).to_be_visible()
    box = image.bounding_box()
    size = page.viewport_size
    assert box["width"] <= size["width"] and box["height"] <= size["height"]


def test_f_stars_the_focused_card_and_leaves_focus_on_it(logged_in_page: Page, user, live_server):
    gen = finished_generation(user, prompt="a quiet bay")
    page = logged_in_page
    page.reload()
    link = page.locator(f"#gen-{gen.pk} .prompt a")
    link.focus()
    page.keyboard.press("f")
    expect(page.locator(f"#gen-{gen.pk} button.star")).to_have_attribute("aria-pressed", "true")
    expect(page.locator(f"#gen-{gen.pk} .prompt a")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{live_server.url}/generations/{gen.pk}/")
    expect(page.locator(f"#gen-{gen.pk} button.star")).to_have_count(0)


def test_use_as_reference_on_a_phone_says_where_the_image_went(logged_in_page: Page, user):
    gen = finished_generation(user, prompt="a red kite")
    page = logged_in_page
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    page.locator("#tab-gallery").click()
    page.locator(f"#gen-{gen.pk} [data-use-reference]").click()
    expect(page.locator("#toast")).to_be_visible()
    expect(page.locator("#toast")).to_contain_text("Create tab")
    expect(page.locator("#composer-form [data-thumbs='image_ref'] li")).to_have_count(1)
