"""Prompt history in the prompt box: ↑ in an empty box recalls the last prompt,
↑ again the one before, ↓ comes back; the "Recent prompts" menu works from the keyboard."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from studio.generations.models import Generation
from tests.generations.helpers import make_generation

pytestmark = pytest.mark.browser


@pytest.fixture
def history(user, task_queue):
    """Three prompts `user` used, the newest last; and a stranger's, never offered."""
    from django.contrib.auth import get_user_model

    stranger = get_user_model().objects.create_user("stranger", password="pw-stranger-123")
    make_generation(stranger, prompt="a stranger's prompt")
    prompts = ["a red fox in snow", "a lighthouse at dusk", "a kite over the dunes"]
    for age, prompt in enumerate(reversed(prompts)):
        gen = make_generation(user, prompt=prompt)
        Generation.objects.filter(pk=gen.pk).update(
            created_at=timezone.now() - timedelta(minutes=age + 1)
        )
    return prompts


def test_up_in_an_empty_box_recalls_the_last_prompts_in_turn(logged_in_page: Page, history):
    page = logged_in_page
    page.reload()
    box = page.locator("#composer-form [name=prompt]")
    box.focus()
    page.keyboard.press("ArrowUp")
    expect(box).to_have_value("a kite over the dunes")
    page.keyboard.press("ArrowUp")
    expect(box).to_have_value("a lighthouse at dusk")
    page.keyboard.press("ArrowUp")
    expect(box).to_have_value("a red fox in snow")
    page.keyboard.press("ArrowUp")  # the oldest stays
    expect(box).to_have_value("a red fox in snow")
    page.keyboard.press("ArrowDown")
    expect(box).to_have_value("a lighthouse at dusk")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    expect(box).to_have_value("")
    # Typed text is the person's own: the arrows move the caret, nothing is replaced.
    box.fill("my own words")
    page.keyboard.press("ArrowUp")
    expect(box).to_have_value("my own words")
    # The counter follows a recalled prompt as it follows typing.
    box.fill("")
    page.keyboard.press("ArrowUp")
    expect(page.locator("#composer-form [data-counter]")).to_contain_text(
        str(len("a kite over the dunes"))
    )


def test_the_recent_prompts_menu_is_keyboard_usable(logged_in_page: Page, history):
    page = logged_in_page
    page.reload()
    toggle = page.get_by_role("button", name="Recent prompts")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    toggle.focus()
    page.keyboard.press("Enter")
    menu = page.get_by_role("menu", name="Recent prompts")
    expect(menu).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    items = menu.get_by_role("menuitem")
    expect(items).to_have_text(
        ["a kite over the dunes", "a lighthouse at dusk", "a red fox in snow"]
    )
    expect(items.first).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(items.nth(1)).to_be_focused()
    page.keyboard.press("End")
    expect(items.nth(2)).to_be_focused()
    page.keyboard.press("ArrowDown")  # wraps round
    expect(items.first).to_be_focused()
    page.keyboard.press("ArrowUp")
    expect(items.nth(2)).to_be_focused()
    page.keyboard.press("Escape")
    expect(menu).to_be_hidden()
    expect(toggle).to_be_focused()
    # ↓ on the button opens it too; Enter picks, the box gets the prompt and the focus.
    page.keyboard.press("ArrowDown")
    expect(items.first).to_be_focused()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(menu).to_be_hidden()
    box = page.locator("#composer-form [name=prompt]")
    expect(box).to_have_value("a lighthouse at dusk")
    expect(box).to_be_focused()
