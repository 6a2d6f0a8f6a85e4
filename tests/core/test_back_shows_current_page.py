"""Back must show the page as it is now: Chromium shows an HTML page sent without
Cache-Control from its cache, so every HTML page says `no-store`; files keep their own
caching (a stored file never changes under its name)."""

from __future__ import annotations

import pytest

from tests.generations.helpers import complete, make_generation

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/", "/usage/", "/teams/", "/accounts/login/"])
def test_html_pages_are_not_stored(client, owner, path):
    if path != "/accounts/login/":
        client.force_login(owner)
    response = client.get(path)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]


def test_a_detail_page_is_not_stored_and_a_missing_one_neither(owner_client, owner):
    gen = make_generation(owner)
    assert owner_client.get(f"/generations/{gen.pk}/")["Cache-Control"] == "no-store"
    gone = owner_client.get("/generations/999999/")
    assert gone.status_code == 404
    assert gone["Cache-Control"] == "no-store"


def test_a_stored_file_keeps_its_own_caching(owner_client, owner):
    gen = complete(make_generation(owner))
    response = owner_client.get(f"/generations/{gen.pk}/outputs/0/thumb/")
    assert response.status_code == 200
    assert "max-age=86400" in response["Cache-Control"]
