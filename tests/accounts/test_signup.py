"""Sign-up (`STUDIO_SIGNUP=1`), the sign-in page's links and its "session ended" word."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

pytestmark = pytest.mark.django_db


def test_signup_is_closed_by_default(client, settings):
    settings.STUDIO_SIGNUP = False
    assert client.get("/accounts/signup/").status_code == 404
    assert client.post("/accounts/signup/", {"username": "x"}).status_code == 404
    assert b"Create an account" not in client.get("/accounts/login/").content


def test_open_signup_makes_a_signed_in_account_and_follows_next(client, settings):
    settings.STUDIO_SIGNUP = True
    assert b"Create an account" in client.get("/accounts/login/").content
    response = client.post(
        "/accounts/signup/",
        {
            "username": "newbie",
            "email": "newbie@example.com",
            "password1": "a-long-pass-123",
            "password2": "a-long-pass-123",
            "next": "/teams/",
        },
    )
    assert response.status_code == 302 and response["Location"] == "/teams/"
    user = get_user_model().objects.get(username="newbie")
    assert user.email == "newbie@example.com" and user.check_password("a-long-pass-123")
    assert client.get("/teams/").status_code == 200


def test_signup_email_is_optional_and_errors_are_shown(client, settings):
    settings.STUDIO_SIGNUP = True
    get_user_model().objects.create_user("taken", password="pw-taken-123")
    bad = client.post(
        "/accounts/signup/",
        {"username": "taken", "password1": "a-long-pass-123", "password2": "nope"},
    )
    assert bad.status_code == 400 and b'role="alert"' in bad.content
    ok = client.post(
        "/accounts/signup/",
        {"username": "plain", "password1": "a-long-pass-123", "password2": "a-long-pass-123"},
    )
    assert ok.status_code == 302
    assert get_user_model().objects.get(username="plain").email == ""


def test_signup_never_sends_you_off_site(client, settings):
    settings.STUDIO_SIGNUP = True
    response = client.post(
        "/accounts/signup/?next=https://evil.example/",
        {"username": "x1", "password1": "a-long-pass-123", "password2": "a-long-pass-123"},
    )
    assert response["Location"] == "/"


def test_the_sign_in_page_says_when_a_session_has_ended(client, owner):
    client.force_login(owner)
    assert client.get("/").status_code == 200
    assert "studio_signed_in" in client.cookies
    first = client.get("/accounts/login/")
    assert b"session-ended" not in first.content  # still signed in: nothing ended
    client.cookies.pop("sessionid")  # the session lapsed
    response = client.get("/", follow=True)
    assert b"Your session ended" in response.content
    assert b"Your session ended" not in client.get("/accounts/login/").content  # said once


def test_signing_out_on_purpose_says_nothing_about_a_session(client, owner):
    client.force_login(owner)
    client.get("/")
    response = client.post("/accounts/logout/", follow=True)
    assert response.status_code == 200 and b"Your session ended" not in response.content
