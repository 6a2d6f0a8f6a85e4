"""In a real browser: a collection reordered by dragging a card onto another and
by the keyboard (a card's ← / → buttons, Alt+← / Alt+→), the order kept on reload; an
image added from a card's More menu."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from studio.collections import services
from studio.collections.models import CollectionItem
from tests.browser.pages import CARDS

from .test_viewer import _gallery

pytestmark = pytest.mark.browser


def _ids(page: Page) -> list[int]:
    return [
        int(x)
        for x in page.locator(CARDS).evaluate_all("cs => cs.map(c => c.dataset.generationId)")
    ]


def test_drag_and_keyboard_reorder_a_collection(logged_in_page: Page, live_server, user):
    a, b, c = _gallery(user, 3)
    collection = services.create_collection(user=user, name="Foxes")
    services.add(user=user, collection=collection, ids=[a.pk, b.pk, c.pk])
    page = logged_in_page
    page.goto(f"{live_server.url}/collections/{collection.pk}/")
    expect(page.locator(CARDS)).to_have_count(3)
    assert _ids(page) == [a.pk, b.pk, c.pk]

    # Dropped on the left half of the first card: it goes first.
    first = page.locator(f"#gen-{a.pk}")
    box = first.bounding_box()
    page.locator(f"#gen-{c.pk}").drag_to(first, target_position={"x": 10, "y": box["height"] / 2})
    expect(page.locator("#announcer")).to_have_text("Moved to place 1.")
    assert _ids(page) == [c.pk, a.pk, b.pk]
    page.reload()
    expect(page.locator(CARDS)).to_have_count(3)
    assert _ids(page) == [c.pk, a.pk, b.pk]

    # The keyboard: the "later" button, then Alt+← in the card.
    page.locator(f"#gen-{c.pk} [data-move-step='1']").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#announcer")).to_have_text("Moved to place 2.")
    assert _ids(page) == [a.pk, c.pk, b.pk]
    page.locator(f"#gen-{b.pk} [data-move-step='-1']").focus()
    page.keyboard.press("Alt+ArrowLeft")
    expect(page.locator("#announcer")).to_have_text("Moved to place 2.")
    assert _ids(page) == [a.pk, b.pk, c.pk]
    page.reload()
    expect(page.locator(CARDS)).to_have_count(3)
    assert _ids(page) == [a.pk, b.pk, c.pk]


def test_add_to_a_collection_from_a_card(logged_in_page: Page, live_server, user):
    [gen] = _gallery(user, 1)
    collection = services.create_collection(user=user, name="Foxes")
    page = logged_in_page
    page.reload()
    card = page.locator(f"#gen-{gen.pk}")
    card.locator("summary", has_text="More").click()
    card.get_by_label("Add to collection").select_option(str(collection.pk))
    card.get_by_role("button", name="Add", exact=True).click()
    expect(page.locator(".messages")).to_contain_text("1 added to Foxes")
    assert CollectionItem.objects.filter(collection=collection, generation=gen).exists()
