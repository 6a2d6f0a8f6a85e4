"""What several browser tests share: the sign-in password, the gallery's cards, a finished
generation made without the queue, and watching that a page did not load again."""

from __future__ import annotations

import io
from unittest import mock

from django.utils import timezone
from playwright.sync_api import Page

from studio.generations import outputs, queue, services
from studio.generations.models import Generation, State
from tests.generations.helpers import DEFAULTS, image_bytes

PASSWORD = "pw-browser-123"
CARDS = "#gallery [data-generation-id]"
MARKER = "no page load since"


def finished_generation(user, *, inputs=(), **params) -> Generation:
    """A completed generation with one stored output, made without the queue (no task is
    left in the broker for a later worker to find)."""
    data = {**DEFAULTS, **params}
    with mock.patch.object(queue, "enqueue"):
        gen = services.create_generation(user=user, data=data, inputs=inputs)
    fmt = "JPEG" if data["output_format"] == "jpeg" else "PNG"
    outputs.store_output(gen, 0, io.BytesIO(image_bytes(fmt, size=(96, 64)))).save()
    gen.set_state(State.COMPLETED)
    gen.completed_at = timezone.now()
    gen.save()
    return gen


def watch_navigation(page: Page) -> list[str]:
    """Main-frame document loads from now on; also leaves a marker that a page load would
    wipe. Address-bar changes by history.pushState (filters) load nothing and don't count."""
    navigations: list[str] = []
    page.on(
        "request",
        lambda r: (
            navigations.append(r.url)
            if r.is_navigation_request() and r.frame == page.main_frame
            else None
        ),
    )
    page.evaluate(f"window.__marker = {MARKER!r}")
    return navigations


def assert_no_navigation(page: Page, navigations: list[str]) -> None:
    assert navigations == [], f"the page navigated: {navigations}"
    assert page.evaluate("window.__marker") == MARKER, "the page was reloaded"
