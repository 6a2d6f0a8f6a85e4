"""Headers and cookies every page carries: CSP without inline code or eval, no sniffing,
no framing, no referrer leaking to other sites, cookies scripts cannot read."""

from __future__ import annotations

import pytest

from tests.generations.helpers import make_generation

pytestmark = pytest.mark.django_db


def _directives(response) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    parts = [p.strip().split() for p in policy.split(";") if p.strip()]
    return {p[0]: p[1:] for p in parts}


@pytest.fixture
def pages(owner_client, owner):
    gen = make_generation(owner)
    return {
        "studio": owner_client.get("/"),
        "detail": owner_client.get(f"/generations/{gen.pk}/"),
        "login": owner_client.get("/accounts/login/"),
    }


def test_csp_allows_only_own_code_with_no_inline_or_eval(pages):
    for name, response in pages.items():
        assert response.status_code == 200, name
        policy = response["Content-Security-Policy"]
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy, name
        directives = _directives(response)
        assert directives["script-src"] == ["'self'"], name
        assert directives["style-src"] == ["'self'"], name
        assert directives["default-src"] == ["'self'"], name
        assert directives["frame-ancestors"] == ["'none'"], name
        assert directives["object-src"] == ["'none'"], name
        assert directives["base-uri"] == ["'none'"], name
        assert directives["form-action"] == ["'self'"], name


def test_no_sniffing_no_framing_and_a_same_origin_referrer(pages, client):
    pages["admin-login"] = client.get("/admin/login/")
    for name, response in pages.items():
        assert response["X-Content-Type-Options"] == "nosniff", name
        assert response["X-Frame-Options"] == "DENY", name
        assert response["Referrer-Policy"] == "same-origin", name


def test_session_and_csrf_cookies_are_httponly(client, owner):
    page = client.get("/accounts/login/")
    assert page.cookies["csrftoken"]["httponly"]
    response = client.post(
        "/accounts/login/", {"username": "owner", "password": "pw-owner-123"}, follow=False
    )
    assert response.status_code == 302
    session = response.cookies["sessionid"]
    assert session["httponly"]
    assert session["samesite"] == "Lax"


def test_over_plain_http_by_default_cookies_are_not_secure_only(client, owner):
    # `make run` on http://127.0.0.1 must keep working: Secure cookies would never come back.
    response = client.post("/accounts/login/", {"username": "owner", "password": "pw-owner-123"})
    assert not response.cookies["sessionid"]["secure"]
    assert "Strict-Transport-Security" not in response
