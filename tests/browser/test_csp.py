"""The Content-Security-Policy in a real browser: the studio works under it (submit, the
live gallery's polling, a finished image, the detail page, the admin) and the browser
reports no violation, so nothing relies on inline code, inline styles or eval."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import Page, expect

from .conftest import PASSWORD

pytestmark = pytest.mark.browser

# Runs before any page script; Playwright's init scripts are not subject to the page's CSP.
COLLECT_VIOLATIONS = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
});
"""


def watch(page: Page) -> tuple[list[str], list[str]]:
    console: list[str] = []
    polls: list[str] = []
    page.on(
        "console",
        lambda m: console.append(m.text) if m.type in ("error", "warning") else None,
    )
    page.on(
        "request",
        lambda r: polls.append(r.url) if urlsplit(r.url).path == "/gallery/poll/" else None,
    )
    page.add_init_script(COLLECT_VIOLATIONS)
    return console, polls


def assert_no_violation(page: Page, console: list[str]) -> None:
    assert page.evaluate("window.__csp") == []
    blocked = [m for m in console if "Content Security Policy" in m or "unsafe-eval" in m]
    assert blocked == []


def test_studio_submit_and_polling_run_under_the_csp_with_no_violation(
    page: Page, live_server, user, log_in, worker
):
    page.set_default_timeout(15_000)
    console, polls = watch(page)
    log_in(page, user.username, PASSWORD)
    expect(page).to_have_url(f"{live_server.url}/")
    assert "script-src 'self'" in page.evaluate(
        "fetch('/').then(r => r.headers.get('content-security-policy'))"
    )
    form = page.locator("#composer-form")
    form.locator("[name=prompt]").fill("a lighthouse under a strict policy")
    form.locator("button[type=submit]").click()
    card = page.locator("#gallery [data-generation-id]")
    expect(card).to_have_count(1)
    # The live gallery polls (with the in-flight ids, added without eval) until it is done.
    expect(card).to_have_attribute("data-state", "completed", timeout=60_000)
    assert polls and all(f"ids={card.get_attribute('data-generation-id')}" in u for u in polls)
    expect(card.locator("img")).to_have_attribute("src", re.compile(r"^/generations/"))
    # The ratio shapes are sized by CSS, not inline styles the policy would drop.
    shape = page.locator('.ratio-shape[data-ratio="16:9"]')
    assert shape.evaluate("el => [el.offsetWidth, el.offsetHeight]") == [26, 15]
    # The viewer opens over the gallery under the policy too.
    card.locator(".card-media").click()
    expect(page.locator("#viewer")).to_be_visible()
    expect(page.locator("#viewer [data-viewer-image]")).to_have_attribute(
        "src", re.compile(r"^/generations/\d+/outputs/0/$")
    )
    page.keyboard.press("Escape")
    expect(page.locator("#viewer")).to_be_hidden()
    card.locator(".prompt a").click()
    expect(page.locator("#detail")).to_be_visible()
    assert_no_violation(page, console)


def test_the_admin_runs_under_the_csp_with_no_violation(page: Page, live_server, log_in):
    root = get_user_model().objects.create_superuser("root", password=PASSWORD)
    page.set_default_timeout(15_000)
    console, _ = watch(page)
    log_in(page, "root", PASSWORD)
    page.goto(f"{live_server.url}/admin/generations/generation/")
    expect(page.locator("#changelist")).to_be_visible()
    page.goto(f"{live_server.url}/admin/auth/user/{root.pk}/change/")
    expect(page.locator("#user_form")).to_be_visible()
    assert_no_violation(page, console)
