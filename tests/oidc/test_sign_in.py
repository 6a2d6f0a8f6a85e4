"""Signing in with the company's OpenID Connect provider (a real one, started by the suite):
the authorization code flow with PKCE, state and nonce; the account made at a first sign-in;
e-mail linking only when verified and allowed; refused answers; a provider that is down;
sign-out at the provider too; password sign-in turned off."""

from __future__ import annotations

import base64
import json
import re
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
import requests
from django.contrib.auth import get_user_model
from django.core.exceptions import SuspiciousOperation

from studio.accounts import oidc
from studio.accounts.models import ExternalIdentity
from tests.oidc_provider import at_provider, sign_in

pytestmark = pytest.mark.django_db
User = get_user_model()


def _signed_in_as(client) -> str | None:
    response = client.get("/teams/")
    if response.status_code != 200:
        return None
    return response.wsgi_request.user.get_username()


def test_the_login_page_offers_the_provider(client, sso):
    page = client.get("/accounts/login/?next=/teams/").content.decode()
    assert "Sign in with Acme SSO" in page
    assert 'href="/accounts/oidc/login/?next=/teams/"' in page
    assert 'name="password"' in page  # password sign-in stays on by default


def test_the_request_carries_pkce_state_and_nonce(client, sso):
    start = client.get("/accounts/oidc/login/")
    query = parse_qs(urlsplit(start["Location"]).query)
    assert start["Location"].startswith(f"{sso.issuer}/auth?")
    assert query["code_challenge_method"] == ["S256"] and len(query["code_challenge"][0]) >= 43
    assert query["state"][0] and query["nonce"][0]
    assert query["redirect_uri"] == ["http://testserver/accounts/oidc/callback/"]


def test_a_first_sign_in_makes_the_account_and_lands_on_next(client, sso):
    response = sign_in(client, "alice", next_url="/teams/")
    assert response.status_code == 302 and response["Location"] == "/teams/"
    user = User.objects.get(username="alice")
    assert user.email == "alice@example.com" and not user.has_usable_password()
    identity = ExternalIdentity.objects.get(user=user)
    assert identity.issuer == sso.issuer and identity.subject == "alice"
    assert _signed_in_as(client) == "alice"


def test_the_next_sign_in_finds_the_same_account_by_subject(client, sso):
    sign_in(client, "alice")
    client.logout()
    accounts = json.loads(sso.accounts_file.read_text())
    accounts["alice"]["preferred_username"] = "alice.renamed"
    accounts["alice"]["email"] = "alice@new.example.com"
    sso.set_accounts(accounts)
    sign_in(client, "alice")
    assert _signed_in_as(client) == "alice"
    assert User.objects.count() == 1
    assert User.objects.get().email == "alice@new.example.com"


def test_a_taken_username_is_made_unique_and_no_account_is_joined_by_email(client, sso):
    User.objects.create_user("alice", email="alice@example.com", password="pw-alice-123")
    sign_in(client, "alice")
    assert _signed_in_as(client) == "alice-2"
    assert User.objects.get(username="alice-2").email == "alice@example.com"


def test_linking_by_email_needs_the_setting_and_a_verified_address(client, sso, settings):
    existing = User.objects.create_user("ally", email="ALICE@example.com", password="pw-ally-123")
    settings.STUDIO_OIDC_LINK_BY_EMAIL = True
    accounts = json.loads(sso.accounts_file.read_text())
    accounts["mallory"] = {
        "preferred_username": "mallory",
        "email": "alice@example.com",
        "email_verified": False,
    }
    sso.set_accounts(accounts)
    sign_in(client, "alice")  # verified: joins the existing account
    assert _signed_in_as(client) == "ally"
    client.logout()
    sign_in(client, "mallory")  # claims the same address, unverified: an account of her own
    assert _signed_in_as(client) == "mallory"
    assert ExternalIdentity.objects.get(subject="alice").user == existing


def test_a_wrong_state_is_refused(client, sso):
    start = client.get("/accounts/oidc/login/")
    back = at_provider(start["Location"], "alice")
    tampered = back.replace("state=", "state=x")
    response = client.get(tampered.removeprefix("http://testserver"))
    assert response.status_code == 400 and b"refused" in response.content
    assert _signed_in_as(client) is None
    assert User.objects.count() == 0


def test_a_replayed_callback_is_refused(client, sso, django_user_model):
    start = client.get("/accounts/oidc/login/")
    back = at_provider(start["Location"], "alice").removeprefix("http://testserver")
    assert client.get(back).status_code == 302
    client.logout()
    again = client.get(back)  # the state was used up with the first answer
    assert again.status_code == 400 and b"not completed" in again.content
    assert _signed_in_as(client) is None


def test_a_tampered_id_token_is_refused(client, sso, monkeypatch):
    real_get_token = oidc.StudioOIDCBackend.get_token

    def tampered(self, payload):
        tokens = real_get_token(self, payload)
        header, body, signature = tokens["id_token"].split(".")
        claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        claims["sub"] = "someone-else"
        forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
        tokens["id_token"] = f"{header}.{forged}.{signature}"
        return tokens

    monkeypatch.setattr(oidc.StudioOIDCBackend, "get_token", tampered)
    response = sign_in(client, "alice")
    assert response.status_code == 400 and b"could not be trusted" in response.content
    assert _signed_in_as(client) is None and User.objects.count() == 0


def test_an_id_token_for_another_client_is_refused(client, sso, settings, monkeypatch):
    real_get_token = oidc.StudioOIDCBackend.get_token

    def other_audience(self, payload):
        tokens = real_get_token(self, payload)
        self.OIDC_RP_CLIENT_ID = "another-client"  # as if the token were minted for it
        return tokens

    monkeypatch.setattr(oidc.StudioOIDCBackend, "get_token", other_audience)
    assert sign_in(client, "alice").status_code == 400
    assert User.objects.count() == 0


def test_a_provider_that_is_down_gets_a_clear_page(client, sso, settings):
    settings.STUDIO_OIDC_ISSUER = "http://127.0.0.1:9"  # nothing listens there
    oidc.forget()
    response = client.get("/accounts/oidc/login/")
    assert response.status_code == 503
    assert b"Acme SSO cannot be reached" in response.content
    assert client.get("/accounts/login/").status_code == 200


def test_a_provider_that_goes_down_mid_sign_in_gets_a_clear_page(client, sso, monkeypatch):
    start = client.get("/accounts/oidc/login/")
    back = at_provider(start["Location"], "alice")
    config = dict(oidc.provider_config())
    config["token_endpoint"] = "http://127.0.0.1:9/token"
    monkeypatch.setattr(oidc, "provider_config", lambda: config)
    response = client.get(back.removeprefix("http://testserver"))
    assert response.status_code == 503 and b"cannot be reached" in response.content
    assert User.objects.count() == 0


def test_a_refusal_at_the_provider_is_explained(client, sso):
    start = client.get("/accounts/oidc/login/")
    state = parse_qs(urlsplit(start["Location"]).query)["state"][0]
    response = client.get(
        "/accounts/oidc/callback/",
        {"error": "access_denied", "error_description": "not in the allowed group", "state": state},
    )
    assert response.status_code == 403 and b"not in the allowed group" in response.content


def test_sign_out_ends_the_studio_session_and_the_provider_s(client, sso):
    browser = requests.Session()  # the person's browser at the provider (its session cookie)
    sign_in(client, "alice", browser=browser)
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    target = urlsplit(response["Location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == f"{sso.issuer}/session/end"
    query = parse_qs(target.query)
    assert query["post_logout_redirect_uri"] == ["http://testserver/accounts/login/"]
    assert _signed_in_as(client) is None
    # The provider accepts the hint (its signature, its audience) and asks to confirm.
    confirm = browser.get(response["Location"], timeout=10)
    assert confirm.status_code == 200 and "logoutForm" in confirm.text
    action = re.search(r'<form[^>]*action="([^"]+)"', confirm.text).group(1)
    xsrf = re.search(r'name="xsrf" value="([^"]+)"', confirm.text).group(1)
    done = browser.post(
        urljoin(sso.issuer, action), data={"xsrf": xsrf, "logout": "yes"}, allow_redirects=False
    )
    assert done.headers["Location"] == "http://testserver/accounts/login/"
    # The provider's session is over: the next sign-in asks who you are again.
    start = client.get("/accounts/oidc/login/")
    again = browser.get(start["Location"], allow_redirects=True, timeout=10)
    assert "/interaction/" in again.url and 'name="login"' in again.text


def test_a_password_account_signs_out_here_only(client, sso, owner):
    client.force_login(owner)
    response = client.post("/accounts/logout/")
    assert response["Location"] == "/accounts/login/"


def test_password_sign_in_can_be_turned_off(client, sso, settings, owner):
    settings.STUDIO_PASSWORD_LOGIN = False
    page = client.get("/accounts/login/").content.decode()
    assert "Sign in with Acme SSO" in page and 'name="password"' not in page
    refused = client.post("/accounts/login/", {"username": "owner", "password": "pw-owner-123"})
    assert refused.status_code == 403 and _signed_in_as(client) is None
    # Staff keep a way in: the admin's own sign-in.
    owner.is_staff = True
    owner.save()
    admin = client.post(
        "/admin/login/?next=/admin/", {"username": "owner", "password": "pw-owner-123"}
    )
    assert admin.status_code == 302 and admin["Location"] == "/admin/"


def test_without_a_provider_its_urls_are_404(client, settings):
    settings.STUDIO_OIDC_ISSUER = ""
    assert client.get("/accounts/oidc/login/").status_code == 404
    assert client.get("/accounts/oidc/callback/?code=x&state=y").status_code == 404
    assert b"Sign in with" not in client.get("/accounts/login/").content


def test_failed_provider_sign_ins_never_lock_the_address_out(client, sso, monkeypatch, settings):
    """django-axes counts failed sign-ins per (username, address); a provider callback has no
    username, so its failures must not lock every provider sign-in from that address out."""
    real = oidc.StudioOIDCBackend.get_or_create_user

    def refuse(self, *args, **kwargs):
        raise SuspiciousOperation("refused for the test")

    monkeypatch.setattr(oidc.StudioOIDCBackend, "get_or_create_user", refuse)
    for _ in range(settings.AXES_FAILURE_LIMIT + 1):
        assert sign_in(client, "alice").status_code == 400
    monkeypatch.setattr(oidc.StudioOIDCBackend, "get_or_create_user", real)
    assert sign_in(client, "alice").status_code == 302
    assert _signed_in_as(client) == "alice"


def test_turning_password_sign_in_off_without_a_provider_is_warned_about(settings):
    from studio.core.checks import sign_in_is_possible

    settings.STUDIO_PASSWORD_LOGIN = False
    settings.STUDIO_OIDC_ISSUER = ""
    assert [w.id for w in sign_in_is_possible(None)] == ["studio.W101"]
    settings.STUDIO_OIDC_ISSUER = "https://sso.example.com"
    settings.STUDIO_OIDC_CLIENT_ID = "studio"
    settings.STUDIO_OIDC_CLIENT_SECRET = "secret"
    assert sign_in_is_possible(None) == []
    settings.STUDIO_PASSWORD_LOGIN = True
    settings.STUDIO_OIDC_ISSUER = ""
    assert sign_in_is_possible(None) == []
