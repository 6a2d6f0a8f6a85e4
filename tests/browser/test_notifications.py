"""Browser notifications (static/js/notify.js) in Chromium with the permission granted: a job
that ends while the tab is hidden shows one notification, a batch of four shows one, and a
hidden tab polls no more than once per 15 s.

The tab's visibility is played by the test (a headless page is never really hidden), and the
rows are ended in the database as the worker would; the page learns of it by its own poll.
"""

from __future__ import annotations

import time

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from studio.generations.models import Batch, Generation
from tests.generations.helpers import make_generation

pytestmark = pytest.mark.browser

# Records each notification the page makes (and still makes the real one), and lets the
# test hide the tab.
INIT = """
(() => {
  window.__notes = [];
  const Real = window.Notification;
  function Recording(title, options) {
    const n = new Real(title, options);
    window.__notes.push({ title: title, body: (options && options.body) || "", n: n });
    return n;
  }
  Object.defineProperty(Recording, "permission", { get: () => Real.permission });
  Recording.requestPermission = (...args) => Real.requestPermission(...args);
  window.Notification = Recording;
  let hidden = false;
  window.__setHidden = (h) => {
    hidden = h;
    document.dispatchEvent(new Event("visibilitychange"));
  };
  Object.defineProperty(document, "hidden", { get: () => hidden, configurable: true });
  Object.defineProperty(document, "visibilityState", {
    get: () => (hidden ? "hidden" : "visible"), configurable: true,
  });
})();
"""


def wait_for_notes(page: Page, count: int = 1, timeout: float = 15.0) -> None:
    """Until the page has made `count` notifications (polled from here: wait_for_function
    evaluates a string in the page, which the studio's CSP forbids)."""
    deadline = time.monotonic() + timeout
    while page.evaluate("window.__notes.length") < count:
        assert time.monotonic() < deadline, "no notification was shown"
        page.wait_for_timeout(100)


@pytest.fixture
def notifying_page(page: Page, context, live_server, user, log_in) -> Page:
    context.grant_permissions(["notifications"], origin=live_server.url)
    page.add_init_script(INIT)
    page.set_default_timeout(15_000)
    return page


def turn_on(page: Page, live_server, user, log_in) -> None:
    from tests.browser.pages import PASSWORD

    log_in(page, user.username, PASSWORD)
    expect(page).to_have_url(f"{live_server.url}/")
    button = page.locator("#notify-toggle")
    expect(button).to_have_text("Notify me when jobs end")
    button.click()
    expect(button).to_have_text("Notifications on")
    expect(button).to_have_attribute("aria-pressed", "true")


def test_a_job_ending_while_hidden_shows_one_notification_and_polls_stay_slow(
    notifying_page: Page, live_server, user, log_in
):
    page = notifying_page
    ending = make_generation(user, prompt="a heron in the reeds")
    make_generation(user, prompt="still running")  # keeps the gallery polling
    turn_on(page, live_server, user, log_in)
    expect(page.locator(f"#gen-{ending.pk}")).to_have_attribute("data-state", "pending")
    Generation.objects.filter(pk=ending.pk).update(
        state="failed",
        failure_code="content_moderated",
        failure_reason="the prompt was refused",
        completed_at=timezone.now(),
        updated_at=timezone.now(),
    )
    polls = []
    page.on(
        "request", lambda r: polls.append(time.monotonic()) if "/gallery/poll/" in r.url else None
    )
    page.evaluate("window.__setHidden(true)")
    expect(page.locator(f"#gen-{ending.pk}")).to_have_attribute("data-state", "failed")
    wait_for_notes(page)
    notes = page.evaluate("window.__notes.map(n => [n.title, n.body])")
    assert len(notes) == 1
    assert notes[0][0] == "Your image failed"
    assert "the prompt was refused" in notes[0][1]
    # Hidden: the one cheap check every 15 s, nothing more (visible, it is every 2 s).
    page.wait_for_timeout(6_000)
    assert len(polls) == 1, polls
    # Clicking the notification brings the card forward.
    page.evaluate("window.__setHidden(false); window.__notes[0].n.onclick()")
    expect(page.locator(f"#gen-{ending.pk} .prompt a")).to_be_focused()


def test_a_batch_of_four_shows_one_notification(notifying_page: Page, live_server, user, log_in):
    page = notifying_page
    batch = Batch.objects.create(user=user, size=4)
    for position in range(1, 5):
        gen = make_generation(user, prompt="a paper lantern")
        Generation.objects.filter(pk=gen.pk).update(batch=batch, batch_position=position)
    turn_on(page, live_server, user, log_in)
    expect(page.locator("#gallery [data-batch-id]")).to_have_count(4)
    Generation.objects.filter(batch=batch).update(
        state="completed", completed_at=timezone.now(), updated_at=timezone.now()
    )
    page.evaluate("window.__setHidden(true)")
    expect(page.locator('#gallery [data-state="completed"]')).to_have_count(4)
    wait_for_notes(page)
    page.wait_for_timeout(500)
    notes = page.evaluate("window.__notes.map(n => n.title)")
    assert notes == ["4 images ready"]


def test_nothing_while_the_tab_is_visible_or_notifications_are_off(
    notifying_page: Page, live_server, user, log_in
):
    page = notifying_page
    shown = make_generation(user, prompt="seen while visible")
    turn_on(page, live_server, user, log_in)
    Generation.objects.filter(pk=shown.pk).update(
        state="failed", failure_code="generation_failed", updated_at=timezone.now()
    )
    expect(page.locator(f"#gen-{shown.pk}")).to_have_attribute("data-state", "failed")
    page.locator("#notify-toggle").click()  # off
    expect(page.locator("#notify-toggle")).to_have_attribute("aria-pressed", "false")
    hidden = make_generation(user, prompt="ends hidden, notifications off")
    page.reload()
    Generation.objects.filter(pk=hidden.pk).update(
        state="failed", failure_code="generation_failed", updated_at=timezone.now()
    )
    page.evaluate("window.__setHidden(true)")
    expect(page.locator(f"#gen-{hidden.pk}")).to_have_attribute("data-state", "failed")
    page.wait_for_timeout(500)
    assert page.evaluate("window.__notes.length") == 0
