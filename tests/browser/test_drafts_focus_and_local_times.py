"""What only a browser shows of the composer and the gallery: the draft kept across an ended
session, the sticky bar, focus after Load more, Back from a detail page, the source drop,
the ticking clock, local times and the review queue's width."""

from __future__ import annotations

import io
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from playwright.sync_api import Page, expect

from studio.generations.models import Generation, State
from tests.browser.pages import CARDS, PASSWORD
from tests.generations.helpers import make_generation
from tests.images import image_bytes

pytestmark = pytest.mark.browser


def test_an_ended_session_sends_htmx_to_log_in_and_the_draft_survives(
    logged_in_page: Page, live_server, user, log_in
):
    page = logged_in_page
    form = page.locator("#composer-form")
    form.locator("[name=prompt]").fill("a kite over the dunes, kept across a login")
    form.locator(".ratio", has_text="3:2").click()
    page.context.clear_cookies(name="sessionid")  # logged out elsewhere, or expired

    form.locator("[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/$"))
    assert not Generation.objects.exists()
    log_in(page, user.username, PASSWORD)
    expect(page).to_have_url(f"{live_server.url}/")
    form = page.locator("#composer-form")
    expect(form.locator("[name=prompt]")).to_have_value(
        "a kite over the dunes, kept across a login"
    )
    expect(form.locator("input[name=aspect_ratio][value='3:2']")).to_be_checked()

    # A successful submit ends the draft: the next blank form starts empty.
    form.locator("[type=submit]").click()
    expect(page.locator(CARDS)).to_have_count(1)
    page.goto(f"{live_server.url}/")
    expect(page.locator("#composer-form [name=prompt]")).to_have_value("")


def test_arrow_keys_through_the_ratios_never_hide_one_behind_the_sticky_bar(
    logged_in_page: Page,
):
    page = logged_in_page
    page.set_viewport_size({"width": 1440, "height": 640})
    page.locator("input[name=aspect_ratio][value='3:1']").focus()
    for _ in range(8):
        page.keyboard.press("ArrowRight")
        box = page.evaluate(
            """() => {
              const ratio = document.activeElement.closest('.ratio').getBoundingClientRect();
              const bar = document.querySelector('.composer-footer').getBoundingClientRect();
              return {bottom: ratio.bottom, bar: bar.top, value: document.activeElement.value};
            }"""
        )
        assert box["bottom"] <= box["bar"], box
    assert box["value"] == "1:3"


def test_load_more_from_the_keyboard_focuses_the_first_new_card_and_back_returns_to_it(
    logged_in_page: Page, user, live_server
):
    call_command("seed_gallery", user.username, count=30, stdout=io.StringIO())
    page = logged_in_page
    page.reload()
    expect(page.locator(CARDS)).to_have_count(24)
    page.get_by_role("link", name="Load more").focus()
    page.keyboard.press("Enter")
    expect(page.locator(CARDS)).to_have_count(30)
    first_new = page.locator(CARDS).nth(24)
    expect(first_new.locator(".prompt a")).to_be_focused()

    opened = page.locator(CARDS).nth(28)
    opened_id = opened.get_attribute("data-generation-id")
    opened.locator(".prompt a").click()
    expect(page).to_have_url(re.compile(rf"/generations/{opened_id}/"))
    page.go_back()
    expect(page.locator(CARDS)).to_have_count(30)
    card = page.locator(f'{CARDS}[data-generation-id="{opened_id}"]')
    expect(card).to_be_in_viewport()
    expect(card.locator(".prompt a")).to_be_focused()


def test_dropping_two_files_on_the_source_says_which_one_is_used(logged_in_page: Page):
    page = logged_in_page
    form = page.locator("#composer-form")
    form.locator("input[name=type][value=image_edit]").check()
    expect(form.locator(".submit-label")).to_have_text("Edit")
    png = list(image_bytes("PNG", (32, 32)))
    page.evaluate(
        """(bytes) => {
          const dt = new DataTransfer();
          for (const name of ['first.png', 'second.png']) {
            dt.items.add(new File([new Uint8Array(bytes)], name, {type: 'image/png'}));
          }
          const zone = document.querySelector('[data-drop="source"] .dropzone');
          for (const type of ['dragenter', 'dragover', 'drop']) {
            const init = {dataTransfer: dt, bubbles: true, cancelable: true};
            zone.dispatchEvent(new DragEvent(type, init));
          }
        }""",
        png,
    )
    note = form.locator('[data-drop-note="source"]')
    expect(note).to_be_visible()
    expect(note).to_contain_text("only one source image can be used: first.png")
    expect(form.locator('[data-drop="source"] .dropzone-text strong')).to_have_text(
        "Replace the source image"
    )


@pytest.mark.console_errors_allowed  # it takes the network away on purpose
def test_elapsed_time_ticks_between_polls_and_times_are_local(browser, live_server, user, log_in):
    gen = make_generation(user)
    context = browser.new_context(timezone_id="Asia/Tokyo", locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15_000)
    log_in(page, user.username, PASSWORD)
    page.route("**/gallery/poll/**", lambda route: route.abort())  # no help from the poll
    elapsed = page.locator(f"#gen-{gen.pk} .elapsed")
    first = int(elapsed.inner_text().split()[0])
    expect(elapsed).not_to_have_text(f"{first} s", timeout=2_500)

    Generation.objects.filter(pk=gen.pk).update(
        state=State.FAILED, failure_code="generation_failed"
    )
    page.goto(f"{live_server.url}/generations/{gen.pk}/")
    shown = page.locator("ol.history time").first
    expect(shown).not_to_contain_text("UTC")
    stamp = Generation.objects.get(pk=gen.pk).created_at
    tokyo = (stamp.hour + 9) % 24
    expect(shown).to_contain_text(f"{tokyo:02d}:{stamp:%M}")
    context.close()


def test_the_review_queue_fits_1440_pixels_and_links_to_the_detail(
    page: Page, live_server, log_in, transactional_db
):
    admin = get_user_model().objects.create_superuser("root", password=PASSWORD)
    gen = make_generation(admin, prompt="w" * 400)
    Generation.objects.filter(pk=gen.pk).update(
        state=State.FAILED, failure_code="content_moderated", failure_reason="z" * 500
    )
    page.set_viewport_size({"width": 1440, "height": 900})
    log_in(page, "root", PASSWORD)
    page.goto(f"{live_server.url}/admin/moderation/moderatedfailure/")
    link = page.get_by_role("link", name=f"Open #{gen.pk}")
    box = link.bounding_box()
    assert box and box["x"] + box["width"] <= 1440
    review = page.locator("td.field-review_state").first.bounding_box()
    assert review and review["x"] + review["width"] <= 1440
    # It opens in a new tab, so the queue stays where the reviewer was.
    assert link.get_attribute("href") == f"/generations/{gen.pk}/"
    with page.context.expect_page() as opened:
        link.click()
    expect(opened.value).to_have_url(re.compile(rf"/generations/{gen.pk}/$"))
