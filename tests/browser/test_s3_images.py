"""With media on S3, the gallery's images load in a real browser: the card's studio URL
checks access, redirects to a presigned URL on the S3 server, and the CSP admits it."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.generations.helpers import complete, make_generation

pytestmark = pytest.mark.browser


def test_gallery_images_load_from_the_bucket(s3_media, user, logged_in_page, live_server):
    gen = complete(make_generation(user), size=(96, 64))
    assert gen.outputs.get().thumbnail.name in s3_media.names()
    page = logged_in_page
    blocked: list[str] = []
    page.on(
        "console", lambda msg: blocked.append(msg.text) if "Content Security" in msg.text else None
    )
    response = page.goto(f"{live_server.url}/")
    img = page.locator(f'[data-generation-id="{gen.pk}"] img').first
    expect(img).to_be_visible()
    page.wait_for_function("img => img.complete", arg=img.element_handle())
    assert img.evaluate("img => img.naturalWidth") == 96
    assert not blocked
    assert s3_media.endpoint_url in response.headers["content-security-policy"]
