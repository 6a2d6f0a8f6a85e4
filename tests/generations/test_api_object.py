"""The API's Generation object (what the JSON API answers and webhooks carry)."""

from __future__ import annotations

from studio.generations.api_object import as_api_object
from tests.generations.helpers import make_generation


def test_a_pending_row_shows_as_queued_with_the_studio_id(owner):
    gen = make_generation(owner)
    obj = as_api_object(gen, "https://studio.example/")
    assert (obj["id"], obj["state"], obj["output"]) == (str(gen.pk), "queued", [])
    assert as_api_object(gen, base="https://studio.example") == obj  # either way of passing it


def test_a_failed_row_carries_its_code_and_reason(owner):
    gen = make_generation(owner)
    gen.fail("content_moderated", "refused")
    obj = as_api_object(gen, "https://studio.example")
    assert (obj["state"], obj["failure_code"], obj["failure_reason"]) == (
        "failed",
        "content_moderated",
        "refused",
    )
