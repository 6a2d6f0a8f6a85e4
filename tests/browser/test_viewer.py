"""In a real browser: the full-screen viewer (a click or Enter on a card's image,
← / → through the loaded cards, a swipe, Esc back to the card), "Use as reference" adding
a kept reference that the next submit sends, and "Copy prompt" to the clipboard."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from playwright.sync_api import Page, expect

from studio.generations.models import Favourite, Generation
from studio.teams.models import Membership, Team
from tests.browser.pages import CARDS
from tests.generations.helpers import complete, make_generation

from .conftest import PASSWORD
from .test_theme import assert_accessible

pytestmark = pytest.mark.browser


def _gallery(user, n: int) -> list[Generation]:
    """`n` completed generations of `user`, newest first (as the gallery shows them)."""
    now = timezone.now()
    gens = []
    for i in range(n):
        gen = complete(make_generation(user, prompt=f"picture number {i}"))
        Generation.objects.filter(pk=gen.pk).update(created_at=now - timedelta(minutes=n - i))
        gens.append(gen)
    return gens[::-1]


def _shows(page: Page, gen: Generation) -> None:
    viewer = page.locator("#viewer")
    expect(viewer).to_be_visible()
    expect(viewer.locator("[data-viewer-image]")).to_have_attribute(
        "src", f"/generations/{gen.pk}/outputs/0/"
    )
    expect(viewer.locator("[data-viewer-prompt]")).to_have_text(gen.prompt)


def _focus_is_back_on(page: Page, gen: Generation) -> None:
    expect(page.locator(f"#gen-{gen.pk} .card-media")).to_be_focused()


def test_viewer_by_click_and_keyboard_arrows_and_esc_back_to_the_card(logged_in_page: Page, user):
    newest, middle, oldest = _gallery(user, 3)
    page = logged_in_page
    page.reload()
    expect(page.locator(CARDS)).to_have_count(3)

    page.locator(f"#gen-{newest.pk} .card-media").click()
    _shows(page, newest)
    expect(page).to_have_url(re.compile(r"/$"))  # over the gallery, not the raw file
    expect(page.locator("#viewer [data-viewer-position]")).to_have_text("1 of 3")
    # Large: the 64×36 test image fills the viewer's stage, far past its card's thumbnail.
    shown = page.locator("#viewer [data-viewer-image]").bounding_box()
    thumb = page.locator(f"#gen-{newest.pk} .card-media img").bounding_box()
    viewport = page.viewport_size
    assert shown["width"] > 2 * thumb["width"] and shown["width"] > viewport["width"] / 2, shown
    expect(page.locator('#viewer [data-viewer-step="-1"]')).to_be_disabled()
    page.keyboard.press("ArrowRight")
    _shows(page, middle)
    page.keyboard.press("ArrowRight")
    _shows(page, oldest)
    expect(page.locator("#viewer [data-viewer-position]")).to_have_text("3 of 3")
    page.keyboard.press("ArrowRight")  # the end: stays
    _shows(page, oldest)
    page.keyboard.press("ArrowLeft")
    _shows(page, middle)
    page.keyboard.press("Escape")
    expect(page.locator("#viewer")).to_be_hidden()
    # Focus is back on the card last shown (not the one first clicked).
    _focus_is_back_on(page, middle)

    # By keyboard alone: Tab onto a card's image and press Enter.
    page.locator(f"#gen-{oldest.pk} .card-media").focus()
    page.keyboard.press("Enter")
    _shows(page, oldest)
    page.keyboard.press("ArrowLeft")
    _shows(page, middle)
    page.keyboard.press("Escape")
    expect(page.locator("#viewer")).to_be_hidden()
    _focus_is_back_on(page, middle)


def test_viewer_has_the_cards_actions_and_stars_from_it(logged_in_page: Page, user, live_server):
    (gen,) = _gallery(user, 1)
    page = logged_in_page
    page.reload()
    page.locator(f"#gen-{gen.pk} .card-media").click()
    _shows(page, gen)
    assert_accessible(page, live_server, "the open viewer")  # contrast and names, by axe
    actions = page.locator("#viewer [data-viewer-actions]")
    for name in ["Use as reference", "Download", "Remix", "Edit this image"]:
        expect(actions.get_by_role("link", name=name)).to_be_visible()
    expect(actions.get_by_role("button", name="Copy prompt")).to_be_visible()
    expect(actions.get_by_role("button", name="Delete")).to_be_visible()  # to the trash
    expect(actions.get_by_role("link", name="Download")).to_have_attribute(
        "href", f"/generations/{gen.pk}/outputs/0/?download=1"
    )
    star = actions.locator("button.star")
    expect(star).to_have_attribute("aria-pressed", "false")
    star.click()
    expect(actions.locator("button.star")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#viewer")).to_be_visible()  # starring keeps the viewer open
    assert Favourite.objects.filter(user=user, generation=gen).exists()
    expect(page.locator(f"#gen-{gen.pk} button.star")).to_have_attribute("aria-pressed", "true")
    page.locator("#viewer [data-viewer-close]").click()
    expect(page.locator("#viewer")).to_be_hidden()


def test_viewer_follows_a_swipe(browser, live_server, user, log_in):
    newest, older = _gallery(user, 2)
    context = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    log_in(page, user.username, PASSWORD)
    expect(page.locator(CARDS)).to_have_count(2)
    page.get_by_role("tab", name="Gallery").tap()  # a phone shows the gallery as a tab
    page.locator(f"#gen-{newest.pk} .card-media").tap()
    _shows(page, newest)

    def swipe(dx: int) -> None:
        page.evaluate(
            """(dx) => {
              const el = document.querySelector('#viewer [data-viewer-image]');
              const at = (x) => [new Touch({identifier: 1, target: el, clientX: x, clientY: 400})];
              const start = {touches: at(200), changedTouches: at(200), bubbles: true};
              const end = {touches: [], changedTouches: at(200 + dx), bubbles: true};
              el.dispatchEvent(new TouchEvent('touchstart', start));
              el.dispatchEvent(new TouchEvent('touchend', end));
            }""",
            dx,
        )

    swipe(-150)  # to the left: the next (older) image
    _shows(page, older)
    swipe(150)
    _shows(page, newest)
    swipe(20)  # too short to count
    _shows(page, newest)
    context.close()


def test_use_as_reference_adds_a_kept_reference_that_the_submit_sends(logged_in_page: Page, user):
    (gen,) = _gallery(user, 1)
    page = logged_in_page
    page.reload()
    form = page.locator("#composer-form")
    expect(form.locator("[data-ref-count]")).to_have_text("0")
    page.locator(f"#gen-{gen.pk}").get_by_role("link", name="Use as reference").click()
    kept = form.locator('[data-thumbs="image_ref"] [data-kept]')
    expect(kept).to_have_count(1)
    expect(kept.locator("img")).to_have_attribute("src", re.compile(r"^/uploads/"))
    expect(kept.locator(".thumb-name")).to_have_text(f"studio-{gen.pk}-1.png")
    expect(form.locator("[data-ref-count]")).to_have_text("1")
    expect(kept.locator("[data-remove]")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/$"))  # no page load, no download
    # The same image again is refused with a message, not added twice.
    page.locator(f"#gen-{gen.pk}").get_by_role("link", name="Use as reference").click()
    expect(page.locator("#toast")).to_contain_text("already among the references")
    expect(kept).to_have_count(1)

    form.locator("[name=prompt]").fill("a new picture guided by the old one")
    form.locator("button[type=submit]").click()
    expect(page.locator(CARDS)).to_have_count(2)
    new = Generation.objects.exclude(pk=gen.pk).get()
    (ref,) = new.inputs.all()
    assert ref.role == "reference" and ref.file and ref.media_type == "image/png"
    assert (ref.width, ref.height) == (64, 36)


def test_copy_prompt_puts_the_prompt_on_the_clipboard(logged_in_page: Page, user, live_server):
    gen = complete(make_generation(user, prompt='a "quoted" heron & <friends>'))
    page = logged_in_page
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page.reload()
    card = page.locator(f"#gen-{gen.pk}")
    card.locator(".card-more > summary").click()
    button = card.locator("[data-copy-prompt]")  # by role, its name changes as it answers
    expect(button).to_have_text("Copy prompt")
    button.click()
    expect(button).to_have_text("Copied ✓")
    expect(page.locator("#copy-status")).to_have_text("Prompt copied to the clipboard.")
    assert page.evaluate("navigator.clipboard.readText()") == gen.prompt

    # From the viewer as well, announced inside it (the page behind is inert).
    page.evaluate("navigator.clipboard.writeText('')")
    card.locator(".card-more > summary").click()  # the menu closes
    card.locator(".card-media").click()
    page.locator("#viewer").get_by_role("button", name="Copy prompt").click()
    expect(page.locator("#viewer [data-copy-status]")).to_have_text(
        "Prompt copied to the clipboard."
    )
    assert page.evaluate("navigator.clipboard.readText()") == gen.prompt


def test_viewer_in_a_team_gallery_moves_through_the_teams_cards(
    page: Page, live_server, user, log_in
):
    team = Team.objects.create(name="Design", slug="design")
    bob = get_user_model().objects.create_user("bob", password=PASSWORD)
    Membership.objects.create(team=team, user=user, role="viewer")
    Membership.objects.create(team=team, user=bob, role="editor")
    theirs, mine = _gallery(bob, 1)[0], _gallery(user, 1)[0]
    complete(make_generation(bob, prompt="bob keeps this"))  # not shared: not in the viewer
    Generation.objects.filter(pk__in=[theirs.pk, mine.pk]).update(team=team)
    page.set_default_timeout(15_000)
    log_in(page, user.username, PASSWORD)
    page.goto(f"{live_server.url}/teams/design/")
    expect(page.locator(CARDS)).to_have_count(2)
    page.locator(f"#gen-{mine.pk} .card-media").click()
    _shows(page, Generation.objects.get(pk=mine.pk))
    expect(page.locator("#viewer [data-viewer-position]")).to_have_text("1 of 2")
    page.keyboard.press("ArrowRight")
    _shows(page, theirs)
    # Not theirs to delete; the prefill link opens the studio with it as a reference.
    actions = page.locator("#viewer [data-viewer-actions]")
    expect(actions.get_by_role("button", name="Delete")).to_have_count(0)
    actions.get_by_role("link", name="Use as reference").click()
    expect(page).to_have_url(f"{live_server.url}/?reference={theirs.pk}&output=0")
    kept = page.locator('#composer-form [data-thumbs="image_ref"] [data-kept]')
    expect(kept.locator(".thumb-name")).to_have_text(f"studio-{theirs.pk}-1.png")
