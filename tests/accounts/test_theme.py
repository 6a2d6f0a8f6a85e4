"""The theme toggle: system / light / dark, remembered per person on the server and
drawn on <html data-theme> by the server, with and without htmx."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import get_user_model

from studio.accounts.models import Profile

pytestmark = pytest.mark.django_db


@pytest.fixture
def ada(client):
    user = get_user_model().objects.create_user("ada", password="pw")
    client.force_login(user)
    return user


def html_theme(client, url="/") -> str:
    page = client.get(url).content.decode()
    return page.split('<html lang="en" data-theme="', 1)[1].split('"', 1)[0]


def test_a_new_person_follows_the_system(client, ada):
    assert html_theme(client) == "system"
    assert (
        'value="system" class="theme-option" aria-pressed="true"'
        in client.get("/").content.decode()
    )


def test_the_choice_is_remembered_and_drawn_without_javascript(client, ada):
    response = client.post("/accounts/theme/", {"theme": "dark", "next": "/usage/"})
    assert response.status_code == 302 and response["Location"] == "/usage/"
    assert Profile.objects.get(user=ada).theme == "dark"
    assert html_theme(client, "/usage/") == "dark"
    # Per person, not per browser: a new session of the same person gets it too.
    client.logout()
    client.force_login(ada)
    assert html_theme(client) == "dark"


def test_htmx_gets_the_toggle_and_an_event_for_the_page(client, ada):
    response = client.post("/accounts/theme/", {"theme": "light"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert json.loads(response["HX-Trigger"]) == {"theme-changed": {"theme": "light"}}
    body = response.content.decode()
    assert 'id="theme-toggle"' in body
    assert 'value="light" class="theme-option" aria-pressed="true"' in body
    assert html_theme(client) == "light"


def test_an_unknown_theme_is_refused(client, ada):
    assert client.post("/accounts/theme/", {"theme": "neon"}).status_code == 400
    assert html_theme(client) == "system"


def test_a_foreign_next_goes_to_the_studio(client, ada):
    response = client.post("/accounts/theme/", {"theme": "dark", "next": "https://evil.test/"})
    assert response["Location"] == "/"


def test_signed_out_people_are_sent_to_log_in(client):
    response = client.post("/accounts/theme/", {"theme": "dark"})
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert html_theme(client, "/accounts/login/") == "system"
