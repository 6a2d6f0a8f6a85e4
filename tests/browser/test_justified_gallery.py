"""The gallery's rows are justified: the pictures of a row share one height and every row
but the last fills the width; a card is as tall as its own content (not the row's tallest)."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

ROWS = """() => {
  const gallery = document.getElementById('gallery').getBoundingClientRect();
  const rows = new Map();
  document.querySelectorAll('#gallery > .card').forEach((card) => {
    const box = card.getBoundingClientRect();
    const media = card.querySelector('.card-media').getBoundingClientRect();
    const key = Math.round(box.top);
    if (!rows.has(key)) rows.set(key, []);
    rows.get(key).push({right: box.right, height: media.height, card: box.height});
  });
  return {right: gallery.right, rows: Array.from(rows.values())};
}"""


@pytest.mark.parametrize("width", [1440, 390])
def test_rows_share_one_picture_height_and_fill_the_width(logged_in_page: Page, user, width):
    call_command("seed_gallery", user.username, count=20, stdout=io.StringIO())
    page = logged_in_page
    page.set_viewport_size({"width": width, "height": 1000})
    page.reload()
    if width < 800:
        page.locator("#tab-gallery").click()
    expect(page.locator("#gallery > .card").first).to_be_visible()
    layout = page.evaluate(ROWS)
    rows = layout["rows"]
    assert len(rows) >= 3
    for row in rows[:-1]:
        heights = [c["height"] for c in row]
        assert max(heights) - min(heights) <= 2, heights
        assert abs(max(c["right"] for c in row) - layout["right"]) <= 2, row
    # The last row does not stretch its cards past the others' height.
    last = rows[-1]
    full = [c["height"] for c in rows[0]]
    assert max(c["height"] for c in last) <= max(full) * 1.6
