"""A double click on Generate (60-250 ms apart), Ctrl+Enter twice, or a double click on
Retry makes one job: the second post repeats the form's one-time key. A deliberate second
submit a moment later makes the next image."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from studio.generations.models import Generation
from tests.browser.pages import CARDS
from tests.generations.helpers import make_generation

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("gap_ms", [60, 250])
def test_a_double_click_on_generate_makes_one_job(logged_in_page: Page, gap_ms):
    page = logged_in_page
    page.locator("#composer-form [name=prompt]").fill("a heron in the reeds")
    button = page.locator("#composer-form button[type=submit]")
    button.click()
    page.wait_for_timeout(gap_ms)
    button.click()
    expect(page.locator(CARDS)).to_have_count(1)
    page.wait_for_timeout(1000)
    assert Generation.objects.count() == 1
    expect(page.locator(CARDS)).to_have_count(1)

    # Once the double click is over, Generate makes the next image.
    page.wait_for_timeout(1000)
    button.click()
    expect(page.locator(CARDS)).to_have_count(2)
    assert Generation.objects.count() == 2


def test_ctrl_enter_twice_makes_one_job_and_typing_renews_the_key(logged_in_page: Page):
    page = logged_in_page
    prompt = page.locator("#composer-form [name=prompt]")
    prompt.fill("a lantern on a pier")
    prompt.press("Control+Enter")
    page.wait_for_timeout(150)
    prompt.press("Control+Enter")
    expect(page.locator(CARDS)).to_have_count(1)
    page.wait_for_timeout(800)
    assert Generation.objects.count() == 1

    # Changing the prompt is a new submission at once.
    prompt.fill("a lantern on a pier, at night")
    prompt.press("Control+Enter")
    expect(page.locator(CARDS)).to_have_count(2)


def test_a_double_click_on_retry_makes_one_new_job(logged_in_page: Page, user):
    failed = make_generation(user, prompt="a dune at noon")
    failed.fail("generation_failed", "The provider could not make this image.")
    failed.save()
    page = logged_in_page
    page.reload()
    retry = page.locator(f"#gen-{failed.pk} form button", has_text="Retry")
    retry.click()
    page.wait_for_timeout(100)
    if retry.is_enabled():
        retry.click()
    expect(page.locator(CARDS)).to_have_count(2)
    page.wait_for_timeout(1000)
    assert Generation.objects.count() == 2
