"""Delete without a question, Undo in the toast, and the trash page (by keyboard, axe-clean)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from studio.generations.models import Generation
from tests.generations.helpers import complete, make_generation

from .test_theme import assert_accessible

pytestmark = pytest.mark.browser

CARDS = "#gallery [data-generation-id]"


def test_delete_undo_and_restore_from_the_trash(logged_in_page: Page, live_server, user):
    kept = complete(make_generation(user, prompt="a heron in the reeds"))
    gone = complete(make_generation(user, prompt="a lighthouse at dusk"))
    page = logged_in_page
    page.reload()
    expect(page.locator(CARDS)).to_have_count(2)
    asked: list[str] = []
    page.on("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))

    card = page.locator(f"#gen-{gone.pk}")
    card.get_by_text("More").click()
    card.get_by_role("button", name="Delete").click()
    expect(card).to_have_count(0)
    toast = page.locator("#toast")
    expect(toast).to_contain_text("Moved to the trash.")
    assert asked == [] and Generation.objects.get(pk=gone.pk).trashed_at is not None
    toast.get_by_role("button", name="Undo").click()
    expect(page.locator(f"#gen-{gone.pk}")).to_be_visible()
    assert Generation.objects.get(pk=gone.pk).trashed_at is None

    page.locator(f"#gen-{gone.pk}").get_by_text("More").click()
    page.locator(f"#gen-{gone.pk}").get_by_role("button", name="Delete").click()
    expect(page.locator(f"#gen-{gone.pk}")).to_have_count(0)
    page.locator("#account-menu > summary").click()
    page.locator("#account-menu").get_by_role("link", name="Trash").click()
    expect(page).to_have_url(f"{live_server.url}/trash/")
    item = page.locator(f'.trash-item[data-generation-id="{gone.pk}"]')
    expect(item).to_contain_text("a lighthouse at dusk")
    expect(item.locator("img")).to_have_js_property("complete", True)
    assert_accessible(page, live_server, "the trash")
    # By keyboard: the row's own Restore button.
    restore = item.get_by_role("button", name="Restore: a lighthouse at dusk")
    restore.focus()
    page.keyboard.press("Enter")
    expect(page.locator(".messages")).to_contain_text("Restored 1 item.")
    expect(page.get_by_text("The trash is empty.")).to_be_visible()
    page.goto(f"{live_server.url}/")
    expect(page.locator(CARDS)).to_have_count(2)
    assert Generation.objects.kept().count() == 2 and kept.pk
