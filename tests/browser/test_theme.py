"""In a real browser: dark mode checked with axe-core (contrast and names) on
the studio, detail and team pages in both themes, by the system's setting and by the toggle;
the true-shape gallery (no layout shift, 16:9 and 9:16 in their own shapes); the phone's
Create / Gallery tabs.

axe-core is the vendored static/vendor/axe.min.js, added with `page.add_script_tag(url=…)`
from the studio's own static URL: a same-origin script, which the page's
Content-Security-Policy (script-src 'self') allows, so no test needs `bypass_csp`.
"""

from __future__ import annotations

import json
from unittest import mock

import pytest
from django.contrib.auth import get_user_model
from django.templatetags.static import static
from playwright.sync_api import Browser, Page, expect

from studio.accounts.models import Profile
from studio.generations import batches, queue
from studio.generations.models import Generation
from studio.teams.models import Membership, Team
from tests.generations.helpers import DEFAULTS, complete, make_generation

from .conftest import PASSWORD

pytestmark = pytest.mark.browser

# Contrast, and every control, link, image and field named (axe's rule ids).
AXE_RULES = [
    "color-contrast",
    "label",
    "button-name",
    "link-name",
    "image-alt",
    "select-name",
    "input-button-name",
    "input-image-alt",
    "aria-command-name",
    "aria-input-field-name",
    "aria-toggle-field-name",
    "summary-name",
    "svg-img-alt",
    "role-img-alt",
    "frame-title",
]
AXE_RUN = """async (rules) => {
  const result = await axe.run(document, {runOnly: {type: "rule", values: rules}});
  return result.violations.map((v) => ({
    rule: v.id,
    help: v.help,
    nodes: v.nodes.map((n) => ({target: n.target.join(" "), why: n.failureSummary})),
  }));
}"""
PHONE = {"width": 390, "height": 844}
# The axe runs use reduced motion: colours are checked at rest, not halfway through the
# in-flight cards' shimmer or a control's transition.


def axe_violations(page: Page, live_server) -> list[dict]:
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(url=live_server.url + static("vendor/axe.min.js"))
    return page.evaluate(AXE_RUN, AXE_RULES)


def assert_accessible(page: Page, live_server, what: str) -> None:
    violations = axe_violations(page, live_server)
    assert violations == [], f"axe on {what}:\n{json.dumps(violations, indent=1)}"


def drawn_dark(page: Page) -> bool:
    """Whether the page's background is the dark palette's (#121211) or the light one's."""
    background = page.evaluate("getComputedStyle(document.documentElement).backgroundColor")
    assert background in ("rgb(18, 18, 17)", "rgb(246, 245, 242)"), background
    return background == "rgb(18, 18, 17)"


@pytest.fixture
def sign_in(live_server, user, log_in):
    """Sign ada in on `page` through the real login form; the studio is then showing."""

    def _sign_in(page: Page) -> Page:
        page.set_default_timeout(15_000)
        log_in(page, user.username, PASSWORD)
        expect(page).to_have_url(f"{live_server.url}/")
        return page

    return _sign_in


def generation(user, *, size=None, **params) -> Generation:
    """One of `user`'s generations without a task in the broker; `size`: completed, its
    output that size."""
    with mock.patch.object(queue, "enqueue"):
        gen = make_generation(user, **params)
    return complete(gen, size) if size else gen


@pytest.fixture
def gallery(user):
    """ada's gallery: a wide and a tall finished image (shared with her team), one failed and
    one in flight; the team has a second member."""
    team = Team.objects.create(name="Design", slug="design")
    Membership.objects.create(team=team, user=user, role="owner")
    mia = get_user_model().objects.create_user("mia", password=PASSWORD)
    Membership.objects.create(team=team, user=mia, role="editor")
    wide = generation(user, size=(320, 180), prompt="a harbour at noon", aspect_ratio="16:9")
    tall = generation(user, size=(180, 320), prompt="a tall lighthouse", aspect_ratio="9:16")
    failed = generation(user, prompt="a storm [simulate:content_moderated]", aspect_ratio="1:1")
    failed.fail("content_moderated", "The prompt was flagged by content moderation.")
    generation(user, prompt="a fox in the snow", aspect_ratio="3:2")
    for gen in (wide, tall):
        gen.share_with(team)
        gen.save()
    return {"team": team, "wide": wide, "tall": tall, "failed": failed}


def studio_pages(live_server, gallery) -> dict[str, str]:
    return {
        "studio": f"{live_server.url}/",
        "detail": f"{live_server.url}/generations/{gallery['wide'].pk}/",
        "failed detail": f"{live_server.url}/generations/{gallery['failed'].pk}/",
        "team": f"{live_server.url}/teams/design/",
    }


# --- dark mode and axe-core ------------------------------------------------------------


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_pages_pass_axe_in_the_system_theme(
    browser: Browser, live_server, sign_in, gallery, scheme
):
    context = browser.new_context(
        color_scheme=scheme, reduced_motion="reduce", viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    sign_in(page)
    # Following the system: the page is drawn in its scheme.
    expect(page.locator("html")).to_have_attribute("data-theme", "system")
    assert drawn_dark(page) is (scheme == "dark")
    for what, url in studio_pages(live_server, gallery).items():
        page.goto(url)
        assert_accessible(page, live_server, f"{what}, system {scheme}")
    context.close()


@pytest.mark.parametrize("system,chosen", [("light", "dark"), ("dark", "light")])
def test_the_toggle_wins_over_the_system_and_is_remembered(
    browser: Browser, live_server, user, sign_in, gallery, system, chosen
):
    context = browser.new_context(
        color_scheme=system, reduced_motion="reduce", viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    sign_in(page)
    page.evaluate("window.__marker = 'no reload'")
    toggle = page.get_by_role("group", name="Theme")
    toggle.get_by_role("button", name=f"{chosen.capitalize()} theme").click()
    # htmx: the page changes at once, without a reload, and the toggle says so.
    expect(page.locator("html")).to_have_attribute("data-theme", chosen)
    expect(toggle.get_by_role("button", name=f"{chosen.capitalize()} theme")).to_have_attribute(
        "aria-pressed", "true"
    )
    assert page.evaluate("window.__marker") == "no reload"
    assert Profile.objects.get(user=user).theme == chosen
    assert drawn_dark(page) is (chosen == "dark")
    # Every page comes drawn in it by the server (no flash), and passes axe in it.
    for what, url in studio_pages(live_server, gallery).items():
        page.goto(url)
        expect(page.locator("html")).to_have_attribute("data-theme", chosen)
        assert_accessible(page, live_server, f"{what}, chosen {chosen} over system {system}")
    context.close()


def test_the_toggle_works_without_javascript(browser: Browser, live_server, sign_in, gallery):
    context = browser.new_context(java_script_enabled=False, color_scheme="light")
    page = context.new_page()
    sign_in(page)
    detail = f"{live_server.url}/generations/{gallery['wide'].pk}/"
    page.goto(detail)
    page.get_by_role("button", name="Dark theme").click()
    expect(page).to_have_url(detail)
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    assert drawn_dark(page)
    context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_other_pages_pass_axe_too(
    browser: Browser, live_server, user, sign_in, gallery, scheme
):
    """The pages around the gallery: teams, members, usage, a batch's compare page (one
    done, one failed), the delete confirmation, the password form, a 404; and the login
    page, signed out."""
    with mock.patch.object(queue, "enqueue"):
        first, second = batches.create(user=user, data=dict(DEFAULTS), inputs=[], count=2)
    complete(first, (320, 180))
    second.fail("generation_failed", "The provider could not make this image.")
    context = browser.new_context(
        color_scheme=scheme, reduced_motion="reduce", viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    assert_accessible(page, live_server, f"login, {scheme}")
    sign_in(page)
    for url in [
        "/teams/",
        "/teams/design/members/",
        "/usage/",
        "/teams/design/usage/",
        f"/batches/{first.batch_id}/",
        "/trash/",
        "/accounts/password_change/",
        "/no-such-page/",
    ]:
        page.goto(live_server.url + url)
        assert_accessible(page, live_server, f"{url}, {scheme}")
    context.close()


# --- the true-shape gallery ------------------------------------------------------------


def card_boxes(page: Page) -> dict[str, dict]:
    return page.evaluate(
        """() => Object.fromEntries(Array.from(document.querySelectorAll(
            "#gallery [data-generation-id]")).map((card) => {
              const r = card.getBoundingClientRect();
              return [card.dataset.generationId, [r.x, r.y, r.width, r.height]];
            }))"""
    )


def test_thumbnails_keep_their_shape_and_nothing_moves_as_they_load(
    browser: Browser, live_server, sign_in, gallery
):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    sign_in(page)
    # Hold every thumbnail back until the layout has been measured.
    held = []
    page.route("**/thumb/", lambda route: held.append(route))
    page.add_init_script(
        """window.__shift = 0;
        new PerformanceObserver((list) => {
          for (const e of list.getEntries()) if (!e.hadRecentInput) window.__shift += e.value;
        }).observe({type: "layout-shift", buffered: true});"""
    )
    page.goto(f"{live_server.url}/")
    wide = page.locator(f'#gallery [data-generation-id="{gallery["wide"].pk}"]')
    tall = page.locator(f'#gallery [data-generation-id="{gallery["tall"].pk}"]')
    expect(wide.locator("img")).to_have_attribute("width", "320")
    expect(wide.locator("img")).to_have_attribute("height", "180")
    expect(tall.locator("img")).to_have_attribute("width", "180")
    page.wait_for_function("document.fonts.ready.then(() => true)")
    assert page.evaluate("Array.from(document.images).every((i) => !i.complete || !i.naturalWidth)")
    before = card_boxes(page)
    page.wait_for_timeout(300)
    # Only what the thumbnails' arrival moves counts here: the page settles its justified rows
    # once, right after the first paint, before any image exists.
    page.evaluate("window.__shift = 0")
    for route in list(held):
        route.continue_()
    page.unroute("**/thumb/")
    page.wait_for_function(
        """() => Array.from(document.querySelectorAll("#gallery img"))
                  .every((img) => img.complete && img.naturalWidth > 0)"""
    )
    assert card_boxes(page) == before, "a card moved or changed size as its image loaded"
    assert page.evaluate("window.__shift") == 0

    # Each picture in its own shape: 16:9 wide, 9:16 tall, not squares.
    def shape(card) -> float:
        box = card.locator(".card-media").bounding_box()
        return box["width"] / box["height"]

    assert shape(wide) == pytest.approx(16 / 9, rel=0.02)
    # A shape narrower than a card can be sits in a card-wide box, drawn whole (never cropped),
    # so its picture keeps the row's height: the box is no square and the picture is 9:16.
    assert shape(tall) < 1
    tall_img = tall.locator("img")
    assert tall_img.evaluate("(i) => i.naturalWidth / i.naturalHeight") == pytest.approx(
        9 / 16, rel=0.02
    )
    assert tall_img.evaluate("(i) => getComputedStyle(i).objectFit") == "contain"
    img = wide.locator("img").bounding_box()
    assert img["width"] / img["height"] == pytest.approx(16 / 9, rel=0.02)
    context.close()


def test_every_studio_image_says_its_size(page: Page, live_server, sign_in, gallery):
    sign_in(page)
    for url in studio_pages(live_server, gallery).values():
        page.goto(url)
        sizeless = page.evaluate(
            """() => Array.from(document.images)
                 .filter((img) => !img.getAttribute("width") || !img.getAttribute("height"))
                 .map((img) => img.outerHTML)"""
        )
        assert sizeless == [], f"{url}: {sizeless}"


# --- the phone's tabs ------------------------------------------------------------------


def test_phone_shows_create_and_gallery_as_tabs(browser: Browser, live_server, sign_in, gallery):
    context = browser.new_context(
        viewport=PHONE, is_mobile=True, has_touch=True, reduced_motion="reduce"
    )
    page = context.new_page()
    sign_in(page)
    tabs = page.get_by_role("tablist", name="Studio")
    create, shown = tabs.get_by_role("tab", name="Create"), tabs.get_by_role("tab", name="Gallery")
    expect(create).to_have_attribute("aria-selected", "true")
    expect(page.get_by_role("tabpanel", name="Create")).to_contain_text("Prompt")
    expect(page.locator("#gallery-panel")).to_be_hidden()

    # By keyboard: the arrow moves to Gallery and shows it at the top, not below the form.
    create.focus()
    page.keyboard.press("ArrowRight")
    expect(shown).to_be_focused()
    expect(shown).to_have_attribute("aria-selected", "true")
    expect(create).to_have_attribute("tabindex", "-1")
    panel = page.get_by_role("tabpanel", name="Gallery")
    expect(panel).to_be_visible()
    expect(page.locator("#composer-panel")).to_be_hidden()
    first_card = panel.locator("[data-generation-id]").first
    assert first_card.bounding_box()["y"] < PHONE["height"], "the gallery is below the screen"
    assert_accessible(page, live_server, "the phone's gallery tab")

    # Remembered for the session: a reload comes back to Gallery.
    page.reload()
    expect(page.get_by_role("tab", name="Gallery")).to_have_attribute("aria-selected", "true")
    expect(page.locator("#composer-panel")).to_be_hidden()

    # Home goes back to Create; a submit then shows the new card in Gallery.
    page.get_by_role("tab", name="Gallery").focus()
    page.keyboard.press("Home")
    expect(page.get_by_role("tab", name="Create")).to_have_attribute("aria-selected", "true")
    form = page.locator("#composer-form")
    expect(form).to_be_visible()
    form.locator("[name=prompt]").fill("a paper boat on a pond")
    form.get_by_role("button", name="Generate").click()
    expect(page.get_by_role("tab", name="Gallery")).to_have_attribute("aria-selected", "true")
    new = Generation.objects.filter(prompt="a paper boat on a pond")
    expect(page.locator("#gallery [data-generation-id]").first).to_contain_text("a paper boat")
    assert new.count() == 1
    card = page.locator(f'#gallery [data-generation-id="{new.get().pk}"]')
    expect(card).to_be_in_viewport()

    # Remix from the Gallery tab: the prefilled form is what comes up, not the gallery.
    page.goto(f"{live_server.url}/?remix={gallery['wide'].pk}")
    expect(page.get_by_role("tab", name="Create")).to_have_attribute("aria-selected", "true")
    expect(page.locator("#composer-form [name=prompt]")).to_have_value("a harbour at noon")
    context.close()


def test_desktop_has_no_tabs(page: Page, live_server, sign_in, gallery):
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page)
    expect(page.get_by_role("tablist")).to_have_count(0)
    expect(page.get_by_role("tabpanel")).to_have_count(0)
    expect(page.locator("#composer-panel")).to_be_visible()
    expect(page.locator("#gallery-panel")).to_be_visible()
    # The form and the gallery side by side, as before.
    form, shown = page.locator("#composer-panel").bounding_box(), page.locator("#gallery-panel")
    assert shown.bounding_box()["x"] > form["x"] + form["width"]
    expect(page.get_by_role("region", name="New image")).to_be_visible()
