"""Over the submit rate limit, htmx swaps the form in with its message (a 429, which htmx
would otherwise not swap) and no card appears."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from studio.generations.models import Generation

pytestmark = pytest.mark.browser


def test_over_the_rate_limit_the_form_says_so_and_no_card_appears(
    logged_in_page: Page, settings, user
):
    settings.SUBMIT_RATE_PER_MINUTE = 0
    page = logged_in_page
    statuses: list[int] = []
    page.on("response", lambda r: statuses.append(r.status) if r.request.method == "POST" else None)
    form = page.locator("#composer-form")
    form.locator("[name=prompt]").fill("one too many")
    form.locator("button[type=submit]").click()
    expect(page.locator("#composer-form [data-error-summary]")).to_contain_text(
        "Too many submissions: at most 0 images a minute"
    )
    assert statuses == [429]
    expect(page.locator("#gallery [data-generation-id]")).to_have_count(0)
    expect(page.locator("#composer-form [name=prompt]")).to_have_value("one too many")
    expect(page.locator("#toast")).to_be_hidden()
    assert not Generation.objects.exists()
