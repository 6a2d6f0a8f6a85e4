"""Looking closely: the viewer zooms and pans (wheel, pinch, double click, + − 0 and its
buttons), and an edit's detail page lays the source over its result with a slider."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from studio.generations.models import Generation
from tests.generations.helpers import complete, make_generation
from tests.images import image_bytes

from .conftest import PASSWORD
from .test_theme import assert_accessible

pytestmark = pytest.mark.browser

SCALE = "(el) => new DOMMatrix(getComputedStyle(el).transform).a"
OFFSET = "(el) => { const m = new DOMMatrix(getComputedStyle(el).transform); return [m.e, m.f]; }"
# A pinch as a touch screen sends it: two pointers down on the frame, moved apart, lifted.
PINCH = """([x, y, from, to]) => {
  const frame = document.querySelector("#viewer [data-viewer-frame]");
  const at = (id, type, dx) => frame.dispatchEvent(new PointerEvent(type, {
    pointerId: id, pointerType: "touch", isPrimary: id === 1, bubbles: true,
    clientX: x + dx, clientY: y,
  }));
  at(1, "pointerdown", -from); at(2, "pointerdown", from);
  for (let step = 1; step <= 5; step++) {
    const d = from + ((to - from) * step) / 5;
    at(1, "pointermove", -d); at(2, "pointermove", d);
  }
  at(1, "pointerup", -to); at(2, "pointerup", to);
}"""


def _edit(user, prompt: str, size: tuple[int, int]) -> Generation:
    """A completed image_edit whose source and result are both `size`."""
    source = {
        "role": "source",
        "name": "before.png",
        "content": image_bytes("PNG", size),
        "media_type": "image/png",
        "width": size[0],
        "height": size[1],
    }
    edit = make_generation(user, prompt=prompt, type="image_edit", inputs=[source])
    return complete(edit, size=size)


def _open_viewer(page: Page, gen: Generation):
    page.reload()
    page.locator(f"#gen-{gen.pk} .card-media").click()
    image = page.locator("#viewer [data-viewer-image]")
    expect(image).to_be_visible()
    expect(image).to_have_js_property("complete", True)
    return image


def _settles_at(image, scale: float) -> None:
    """Wait for the zoom's short transition to end at `scale`."""
    image.page.wait_for_function(
        "([el, want]) => Math.abs(new DOMMatrix(getComputedStyle(el).transform).a - want) < 0.01",
        arg=[image.element_handle(), scale],
    )


def test_the_viewer_zooms_by_keyboard_buttons_double_click_and_wheel_and_pans(
    logged_in_page: Page, live_server, user
):
    gen = complete(make_generation(user, prompt="a lighthouse in the snow"), size=(1024, 768))
    page = logged_in_page
    page.set_viewport_size({"width": 1440, "height": 1000})
    image = _open_viewer(page, gen)
    level = page.locator("#viewer [data-zoom-level]")
    zoom_out = page.get_by_role("button", name="Zoom out")
    expect(zoom_out).to_be_disabled()

    page.keyboard.press("+")
    _settles_at(image, 1.5)
    expect(level).to_have_text("150%")
    expect(zoom_out).to_be_enabled()
    page.keyboard.press("-")
    _settles_at(image, 1.0)
    page.get_by_role("button", name="Zoom in").click()
    _settles_at(image, 1.5)
    page.keyboard.press("0")
    _settles_at(image, 1.0)
    expect(level).to_have_text("100%")

    image.dblclick()
    _settles_at(image, 2.5)
    # A drag pans the zoomed picture.
    box = image.bounding_box()
    assert box
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    before = image.evaluate(OFFSET)
    page.mouse.move(cx, cy)
    page.mouse.down()
    page.mouse.move(cx + 120, cy + 60, steps=6)
    page.mouse.up()
    page.wait_for_function(
        "([el, was]) => new DOMMatrix(getComputedStyle(el).transform).e !== was",
        arg=[image.element_handle(), before[0]],
    )
    image.dblclick()
    _settles_at(image, 1.0)

    page.mouse.move(cx, cy)
    page.mouse.wheel(0, -300)
    page.wait_for_function(
        "(el) => new DOMMatrix(getComputedStyle(el).transform).a > 1.5", arg=image.element_handle()
    )
    assert_accessible(page, live_server, "the zoomed viewer")
    # Another image (or closing) starts at fit again.
    page.keyboard.press("Escape")
    expect(page.locator("#viewer")).to_be_hidden()
    page.locator(f"#gen-{gen.pk} .card-media").click()
    _settles_at(image, 1.0)


def test_a_pinch_zooms_the_viewer_on_a_touch_screen(browser, live_server, user, log_in):
    gen = complete(make_generation(user, prompt="a harbour at night"), size=(1024, 1024))
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    page.set_default_timeout(15_000)

    log_in(page, user.username, PASSWORD)
    expect(page.locator("#composer-form")).to_be_attached()
    page.get_by_role("tab", name="Gallery").click()
    page.locator(f"#gen-{gen.pk} .card-media").click()
    image = page.locator("#viewer [data-viewer-image]")
    expect(image).to_be_visible()
    box = image.bounding_box()
    assert box
    page.evaluate(PINCH, [box["x"] + box["width"] / 2, box["y"] + box["height"] / 2, 30, 90])
    page.wait_for_function(
        "(el) => new DOMMatrix(getComputedStyle(el).transform).a > 2", arg=image.element_handle()
    )
    expect(page.locator("#viewer [data-viewer-position]")).to_have_text("1 of 1")
    context.close()


def test_an_edits_detail_page_slides_between_the_source_and_its_result(
    logged_in_page: Page, live_server, user
):
    gen = _edit(user, "make it winter", (640, 480))
    page = logged_in_page
    page.set_viewport_size({"width": 1440, "height": 1000})
    page.goto(f"{live_server.url}/generations/{gen.pk}/")
    figure = page.locator("[data-before-after]")
    expect(figure).to_have_class(re.compile(r"\bis-slider\b"))
    result = figure.locator("[data-before-after-result]")
    source_img = figure.get_by_role("img", name="Before: the source image")
    expect(source_img).to_be_visible()
    # One over the other: the same box.
    assert source_img.bounding_box() == result.bounding_box()
    expect(result).to_have_css("clip-path", "inset(0px 0px 0px 50%)")
    slider = figure.get_by_role("slider", name="How much of the source to show")
    slider.focus()
    page.keyboard.press("End")
    expect(result).to_have_css("clip-path", "inset(0px 0px 0px 100%)")
    for _ in range(25):
        page.keyboard.press("ArrowLeft")
    expect(result).to_have_css("clip-path", "inset(0px 0px 0px 75%)")
    expect(slider).to_have_attribute("aria-valuetext", "75% source, 25% result")
    assert_accessible(page, live_server, "an edit's before/after slider")


def test_without_script_the_source_stands_beside_its_result(browser, live_server, user, log_in):
    gen = _edit(user, "make it red", (64, 64))
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()

    log_in(page, user.username, PASSWORD)
    page.goto(f"{live_server.url}/generations/{gen.pk}/")
    images = page.locator("[data-before-after] img")
    expect(images).to_have_count(2)
    first, second = (img.bounding_box() for img in images.all())
    assert first and second and second["x"] > first["x"] + first["width"] - 1
    expect(page.locator("[data-before-after-control]")).to_be_hidden()
    context.close()
