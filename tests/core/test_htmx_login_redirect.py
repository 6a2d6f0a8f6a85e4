"""An htmx request from a session that has ended gets HX-Redirect to the login page, with
`next` the page the person was on (HX-Current-URL), never the fragment URL htmx asked."""

from __future__ import annotations

import pytest

from tests.htmx import HTMX

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "method,url",
    [
        ("post", "/generations/"),
        ("get", "/gallery/poll/?ids=1"),
        ("get", "/?q=boat"),
        ("post", "/generations/1/favourite/"),
        ("get", "/teams/design/?cursor=abc"),
    ],
)
def test_htmx_from_an_ended_session_is_sent_to_log_in(client, method, url):
    current = "http://testserver/teams/design/?state=failed"
    response = getattr(client, method)(url, HTTP_HX_CURRENT_URL=current, **HTMX)
    assert response.status_code == 200
    assert response["HX-Redirect"] == "/accounts/login/?next=/teams/design/%3Fstate%3Dfailed"
    assert b"<form" not in response.content  # no login page to swap into the gallery


def test_without_a_current_url_it_returns_to_the_studio(client):
    response = client.post("/generations/", **HTMX)
    assert response["HX-Redirect"] == "/accounts/login/?next=/"


def test_a_plain_request_still_gets_the_usual_redirect(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/"


def test_a_signed_in_htmx_request_is_untouched(owner_client):
    response = owner_client.get("/", HTTP_HX_CURRENT_URL="http://testserver/", **HTMX)
    assert response.status_code == 200
    assert "HX-Redirect" not in response
