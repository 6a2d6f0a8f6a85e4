"""A card's More and Share menus open inside the viewport (not clipped by the card or the
screen edge) on a desktop and a phone; only one is open at a time; a click outside or Esc
closes it."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

CARDS = "#gallery [data-generation-id][data-state=completed]"

# Every item of the open menu is drawn where it is: inside the viewport, and the topmost
# element at its left and right edges (a menu clipped by its card shows the card there).
VISIBLE = """(menu) => {
  const items = Array.from(menu.querySelectorAll('.card-more-items > *'));
  const vw = document.documentElement.clientWidth, vh = window.innerHeight;
  return items.map((item) => {
    const r = item.getBoundingClientRect();
    const y = r.top + r.height / 2;
    const hit = (x) => {
      const e = document.elementFromPoint(x, y);
      return !!e && item.contains(e);
    };
    const inside = r.left >= 0 && r.right <= vw && r.top >= 0 && r.bottom <= vh;
    return {text: item.textContent.trim(), inside, left: hit(r.left + 2), right: hit(r.right - 2)};
  });
}"""


@pytest.mark.parametrize("size", [(1440, 1000), (390, 844)], ids=["desktop", "phone"])
def test_every_cards_more_menu_opens_inside_the_viewport(logged_in_page: Page, user, size):
    call_command("seed_gallery", user.username, count=8, stdout=io.StringIO())
    page = logged_in_page
    page.set_viewport_size({"width": size[0], "height": size[1]})
    page.reload()
    if size[0] < 800:
        page.locator("#tab-gallery").click()
    cards = page.locator(CARDS)
    assert cards.count() >= 4
    for i in range(cards.count()):
        card = cards.nth(i)
        card.scroll_into_view_if_needed()
        card.locator(".card-more > summary").click()
        menu = card.locator(".card-more")
        expect(menu).to_have_attribute("open", "")
        for item in menu.evaluate(VISIBLE):
            assert item["inside"] and item["left"] and item["right"], (i, item)
        page.keyboard.press("Escape")
        expect(menu).not_to_have_attribute("open", "")


def test_one_menu_open_at_a_time_closed_by_outside_click_and_esc(logged_in_page: Page, user):
    call_command("seed_gallery", user.username, count=4, stdout=io.StringIO())
    page = logged_in_page
    page.reload()
    cards = page.locator(CARDS)
    first, second = cards.nth(0).locator(".card-more"), cards.nth(1).locator(".card-more")
    first.locator("summary").click()
    expect(first).to_have_attribute("open", "")
    second.locator("summary").click()
    expect(second).to_have_attribute("open", "")
    expect(first).not_to_have_attribute("open", "")

    page.locator("h1").first.click()  # outside any menu
    expect(second).not_to_have_attribute("open", "")

    first.locator("summary").focus()
    page.keyboard.press("Enter")
    expect(first).to_have_attribute("open", "")
    page.keyboard.press("Escape")
    expect(first).not_to_have_attribute("open", "")
    expect(first.locator("summary")).to_be_focused()
