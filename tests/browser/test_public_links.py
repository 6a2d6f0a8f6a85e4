"""A public link made from an image's page, opened by someone not signed in (a fresh
browser context), copied and revoked from /settings/links/; axe-clean in both palettes."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.pages import finished_generation

from .test_theme import assert_accessible

pytestmark = pytest.mark.browser


def test_make_open_and_revoke_a_public_link(
    logged_in_page: Page, live_server, user, browser: Browser
):
    gen = finished_generation(user, prompt="a heron in the reeds")
    page = logged_in_page
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page.goto(f"{live_server.url}/generations/{gen.pk}/")
    panel = page.locator("#public-links")
    panel.get_by_text("Public link").first.click()
    expect(panel.get_by_label("Show the prompt")).not_to_be_checked()
    panel.get_by_label("Expires").select_option("7")
    panel.get_by_role("button", name="Make a public link").click()
    expect(page.locator(".messages")).to_contain_text("Public link made")
    panel = page.locator("#public-links")
    new = panel.locator("[data-new-link]")
    expect(new).to_be_visible()  # the panel opens on the new link
    address = new.locator("[data-link-url]").input_value()
    assert address.startswith(f"{live_server.url}/s/")
    new.get_by_role("button", name="Copy").click()
    expect(new.get_by_role("button", name="Copied")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == address
    assert_accessible(page, live_server, "the detail page's public link panel")

    # Someone with the address, never signed in.
    visitor_context = browser.new_context(color_scheme="dark")
    visitor = visitor_context.new_page()
    response = visitor.goto(address)
    assert response is not None and response.status == 200
    assert "noindex" in response.headers["x-robots-tag"]
    image = visitor.locator("main img")
    expect(image).to_have_count(1)
    expect(image).to_have_js_property("complete", True)
    assert image.evaluate("img => img.naturalWidth") > 0
    expect(visitor.locator("body")).not_to_contain_text("heron")
    expect(visitor.locator("body")).not_to_contain_text(user.username)
    assert visitor.locator("a[href]").evaluate_all(
        "links => links.every((a) => a.pathname.startsWith('/s/'))"
    )
    assert_accessible(visitor, live_server, "the public page (dark)")

    # Revoked from the owner's list, reached from the account menu.
    page.locator("#account-menu > summary").click()
    page.locator("#account-menu").get_by_role("link", name="Public links").click()
    expect(page).to_have_url(f"{live_server.url}/settings/links/")
    row = page.locator("[data-public-link]")
    expect(row).to_contain_text("a heron in the reeds")
    expect(row).to_contain_text("image only, no prompt")
    expect(row.locator("[data-link-url]")).to_have_value(address)
    expect(row.locator("img")).to_have_js_property("complete", True)
    assert_accessible(page, live_server, "the public links page")
    asked: list[str] = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    row.get_by_role("button", name="Revoke").click()
    expect(page.locator(".messages")).to_contain_text("Public link revoked")
    expect(page.locator("[data-public-link]")).to_have_count(0)
    assert asked == ["Revoke this public link? Its address stops working at once."]
    gone = visitor.goto(address)
    assert gone is not None and gone.status == 404
    expect(visitor.locator("h1")).to_have_text("This link opens nothing")
    visitor_context.close()
