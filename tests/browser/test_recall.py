"""Settings recall in a real browser: an image of this studio dropped on the composer
restores its generation's settings (the prompt as typed), a parameters file likewise; an
image from elsewhere becomes a reference as before; "Use these settings" on a card."""

from __future__ import annotations

import base64
import json

import pytest
from playwright.sync_api import Page, expect

from tests.generations.helpers import complete, make_generation
from tests.images import image_bytes

pytestmark = pytest.mark.browser

FORM = "#composer-form"


def _drop(page: Page, data: bytes, name: str, media_type: str) -> None:
    """Drop a file on the composer's prompt, as a person dragging it from their desktop."""
    page.evaluate(
        """([b64, name, type]) => {
          const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
          const transfer = new DataTransfer();
          transfer.items.add(new File([bytes], name, { type }));
          const target = document.querySelector("#composer-form [name=prompt]");
          const init = { bubbles: true, cancelable: true, dataTransfer: transfer };
          target.dispatchEvent(new DragEvent("drop", init));
        }""",
        [base64.b64encode(data).decode(), name, media_type],
    )


def _settings(page: Page) -> dict:
    return page.evaluate(
        """() => {
          const f = document.querySelector("#composer-form");
          return {ratio: f.elements.aspect_ratio.value, model: f.elements.model.value,
                  style: f.elements.style.value, prompt: f.elements.prompt.value};
        }"""
    )


def test_dropping_a_studio_image_restores_its_settings(logged_in_page: Page, user):
    gen = complete(make_generation(user, prompt="a fox", aspect_ratio="9:16", model="uni-1-max"))
    with gen.outputs.get().file.open("rb") as fh:
        original = fh.read()
    page = logged_in_page
    page.reload()
    page.locator(f"{FORM} [name=prompt]").fill("my own words")
    _drop(page, original, "downloaded.png", "image/png")
    expect(page.locator("[data-composer-status]")).to_contain_text("Settings of “a fox” applied")
    assert _settings(page) == {
        "ratio": "9:16",
        "model": "uni-1-max",
        "style": "auto",
        "prompt": "my own words",
    }
    expect(page.locator(f"{FORM} [data-thumbs='image_ref'] li")).to_have_count(0)

    # An image from elsewhere: a reference, as before.
    _drop(page, image_bytes("PNG", (30, 20)), "elsewhere.png", "image/png")
    expect(page.locator(f"{FORM} [data-thumbs='image_ref'] li")).to_have_count(1)


def test_dropping_a_parameters_file_restores_them(logged_in_page: Page, user):
    page = logged_in_page
    page.reload()
    doc = {
        "format": "studio.parameters",
        "version": 1,
        "parameters": {"prompt": "an owl", "aspect_ratio": "3:2", "model": "uni-1-max"},
    }
    _drop(page, json.dumps(doc).encode(), "owl.json", "application/json")
    expect(page.locator("[data-composer-status]")).to_contain_text("Settings of “an owl”")
    settings = _settings(page)
    assert (settings["ratio"], settings["model"], settings["prompt"]) == ("3:2", "uni-1-max", "")


def test_use_these_settings_from_a_card_keeps_the_prompt(logged_in_page: Page, user):
    gen = complete(make_generation(user, prompt="a heron", aspect_ratio="2:1", style="manga"))
    page = logged_in_page
    page.reload()
    page.locator(f"{FORM} [name=prompt]").fill("keep me")
    card = page.locator(f"#gen-{gen.pk}")
    card.locator("summary", has_text="More").click()
    card.get_by_role("link", name="Use these settings").click()
    expect(page.locator("[data-composer-status]")).to_contain_text("Settings of “a heron”")
    settings = _settings(page)
    assert (settings["ratio"], settings["style"], settings["prompt"]) == (
        "2:1",
        "manga",
        "keep me",
    )
