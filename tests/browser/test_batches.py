"""A batch in a real browser: four images from one submit complete live, the compare page
shows them, and two cards picked with the keyboard download as one zip."""

from __future__ import annotations

import io
import re
import zipfile
from unittest import mock

import pytest
from playwright.sync_api import Page, expect

from studio.generations import queue, services
from studio.generations.models import Generation
from tests.browser.pages import CARDS
from tests.generations.helpers import DEFAULTS

pytestmark = pytest.mark.browser

FINISH_TIMEOUT = 40_000


def test_a_batch_of_four_completes_live_compares_and_zips_two_by_keyboard(
    logged_in_page: Page, live_server, worker
):
    page = logged_in_page
    form = page.locator("#composer-form")
    form.locator("[name=prompt]").fill("a paper lantern floating over a lake")
    form.locator("[name=count]").fill("4")
    # The price is shown for all four.
    expect(form.locator("[data-price-times]")).to_be_visible()
    expect(form.locator("[data-price-count]")).to_have_text("4")
    form.locator("button[type=submit]").click()

    cards = page.locator(CARDS)
    expect(cards).to_have_count(4)
    positions = page.eval_on_selector_all(CARDS, "cs => cs.map(c => c.dataset.batchPosition)")
    assert positions == ["1", "2", "3", "4"]
    # Four cards turn into images without a reload.
    for n in range(1, 5):
        card = page.locator(f'{CARDS}[data-batch-position="{n}"]')
        try:
            expect(card).to_have_attribute("data-state", "completed", timeout=FINISH_TIMEOUT)
        except AssertionError:
            worker.assert_alive()
            raise
        expect(card.locator("img")).to_be_visible()
    assert Generation.objects.filter(state="completed").count() == 4

    # Compare: from the "1 of 4" badge, the four side by side, ← → go through them.
    page.locator(f'{CARDS}[data-batch-position="1"] .batch-badge').click()
    expect(page).to_have_url(re.compile(r"/batches/\d+/$"))
    items = page.locator(".compare-item")
    expect(items).to_have_count(4)
    assert page.eval_on_selector_all(
        ".compare-item", "xs => xs.map(x => x.dataset.batchPosition)"
    ) == ["1", "2", "3", "4"]
    expect(page.locator(".compare-item img")).to_have_count(4)
    page.keyboard.press("ArrowRight")
    expect(page.locator("#member-1")).to_be_focused()
    page.keyboard.press("ArrowRight")
    expect(page.locator("#member-2")).to_be_focused()
    page.keyboard.press("ArrowLeft")
    expect(page.locator("#member-1")).to_be_focused()

    # Back in the gallery: select two cards with the keyboard and download them as a zip.
    page.goto(f"{live_server.url}/")
    first = page.locator(f'{CARDS}[data-batch-position="1"]')
    first.locator(".prompt a").focus()
    page.keyboard.press("x")
    expect(page.locator("#bulk")).to_have_attribute("open", "")
    page.keyboard.press("ArrowRight")
    second = page.locator(f'{CARDS}[data-batch-position="2"]')
    expect(second.locator(".prompt a")).to_be_focused()
    page.keyboard.press("x")
    expect(page.locator("[data-selected-count]")).to_have_text("2 selected")
    expect(first.locator("[data-select]")).to_be_checked()
    expect(second.locator("[data-select]")).to_be_checked()
    expect(page.locator(f'{CARDS}[data-batch-position="3"] [data-select]')).not_to_be_checked()

    # The help popover lists the shortcuts.
    page.keyboard.press("?")
    expect(page.locator("#shortcuts-help")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator("#shortcuts-help")).to_be_hidden()

    with page.expect_download() as info:
        page.locator('#bulk-form button[value="download"]').click()
    download = info.value
    assert download.suggested_filename == "studio-2-images.zip"
    with open(download.path(), "rb") as fh:
        archive = zipfile.ZipFile(io.BytesIO(fh.read()))
    # Each image travels with its parameters: a sidecar of the same name and the manifest.
    assert sorted(archive.namelist()) == [
        "a-paper-lantern-floating-over-a-lake-1.json",
        "a-paper-lantern-floating-over-a-lake-1.png",
        "a-paper-lantern-floating-over-a-lake-2.json",
        "a-paper-lantern-floating-over-a-lake-2.png",
        "manifest.json",
    ]


def test_shift_click_select_all_and_a_bulk_delete_with_undo(
    logged_in_page: Page, live_server, user
):
    from tests.browser.pages import finished_generation

    gens = [finished_generation(user, prompt=f"picture {i}") for i in range(5)]
    page = logged_in_page
    page.reload()
    expect(page.locator(CARDS)).to_have_count(5)
    # `f` stars the focused card.
    page.locator(CARDS).nth(0).locator(".prompt a").focus()
    page.keyboard.press("f")
    expect(page.locator(CARDS).nth(0).locator("button.star")).to_have_attribute(
        "aria-pressed", "true"
    )
    page.locator("[data-select-mode]").click()
    boxes = page.locator(f"{CARDS} [data-select]")
    boxes.nth(0).click()
    boxes.nth(3).click(modifiers=["Shift"])
    expect(page.locator("[data-selected-count]")).to_have_text("4 selected")
    expect(boxes.nth(4)).not_to_be_checked()
    page.locator("[data-select-all]").click()
    expect(page.locator("[data-selected-count]")).to_have_text("5 selected")
    boxes.nth(4).click()
    expect(page.locator("[data-selected-count]")).to_have_text("4 selected")

    # An in-flight card is swapped for a fresh one by every poll: its tick must survive.
    with mock.patch.object(queue, "enqueue"):
        flying = services.create_generation(
            user=user, data={**DEFAULTS, "prompt": "still on its way"}
        )
    page.reload()
    page.locator("[data-select-mode]").click()
    flying_box = page.locator(f'{CARDS}[data-generation-id="{flying.pk}"] [data-select]')
    flying_box.check()
    for _ in range(2):
        with page.expect_response(lambda r: "/gallery/poll/" in r.url):
            pass
    expect(flying_box).to_be_checked()
    expect(page.locator("[data-selected-count]")).to_have_text("1 selected")
    flying_box.uncheck()
    boxes.nth(1).click()
    boxes.nth(4).click(modifiers=["Shift"])
    expect(page.locator("[data-selected-count]")).to_have_text("4 selected")

    # No question asked: the trash keeps them, and the message has Undo.
    asked: list[str] = []
    page.on("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    page.locator('#bulk-form button[value="delete"]').click()
    expect(page.locator(".messages")).to_contain_text("4 moved to the trash")
    assert asked == []
    kept = Generation.objects.kept().values_list("prompt", flat=True)
    assert sorted(kept) == sorted([gens[0].prompt, flying.prompt])
    page.locator(".messages").get_by_role("button", name="Undo").click()
    expect(page.locator(".messages")).to_contain_text("Restored 4 items.")
    expect(page.locator(CARDS)).to_have_count(6)
