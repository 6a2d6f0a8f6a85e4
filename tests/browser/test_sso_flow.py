"""In a real browser: an owner makes an invitation link; a newcomer opens it, signs
in with the company's provider (a real one, started by the suite), joins the team and finds
the team their groups name; signing out ends the provider's session too."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import Browser, expect

from studio.teams.models import Membership, Team
from tests.browser.pages import PASSWORD
from tests.oidc_provider import configure

pytestmark = pytest.mark.browser


def test_invited_newcomer_signs_in_with_the_provider_and_joins(
    browser: Browser, live_server, oidc_provider, settings, transactional_db
):
    configure(settings, oidc_provider, live_server.url)
    oidc_provider.set_accounts(
        {
            "alice": {
                "preferred_username": "alice",
                "email": "alice@example.com",
                "email_verified": True,
                "groups": ["video:editor"],
            }
        }
    )
    olga = get_user_model().objects.create_user("olga", password=PASSWORD)
    design = Team.objects.create(name="Design", slug="design")
    Membership.objects.create(team=design, user=olga, role="owner")

    owner = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    owner.set_default_timeout(15_000)
    owner.goto(f"{live_server.url}/accounts/login/")
    owner.locator("[name=username]").fill("olga")
    owner.locator("[name=password]").fill(PASSWORD)
    owner.get_by_role("button", name="Log in").click()
    owner.goto(f"{live_server.url}/teams/design/members/")
    owner.get_by_label("Invite as").select_option("editor")
    owner.get_by_role("button", name="Make an invitation link").click()
    link = owner.get_by_label("Invitation link (editor)").input_value()
    assert link.startswith(f"{live_server.url}/invite/")

    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.set_default_timeout(15_000)
    page.goto(link)
    page.get_by_role("link", name="Sign in to join").click()
    page.get_by_role("link", name="Sign in with Acme SSO").click()
    page.get_by_label("Account").fill("alice")
    page.get_by_role("button", name="Sign in").click()
    # Back at the studio, on the invitation, signed in as the new account.
    expect(page.get_by_role("button", name="Join Design as alice")).to_be_visible()
    page.get_by_role("button", name="Join Design as alice").click()
    expect(page).to_have_url(f"{live_server.url}/teams/design/")
    expect(page.get_by_text("Welcome to Design: you joined as editor.")).to_be_visible()
    alice = get_user_model().objects.get(username="alice")
    assert Membership.objects.role_of(alice, design) == "editor"
    # Her groups at the provider name "video": she is in it too, as they say.
    assert Membership.objects.role_of(alice, Team.objects.get(slug="video")) == "editor"

    page.locator("#account-menu > summary").click()  # Log out is in the account menu
    page.get_by_role("button", name="Log out").click()
    page.get_by_role("button", name="Yes, sign me out").click()
    expect(page).to_have_url(f"{live_server.url}/accounts/login/")
    page.goto(f"{live_server.url}/teams/")
    expect(page).to_have_url(f"{live_server.url}/accounts/login/?next=/teams/")
    # The provider's session ended too: signing in again asks for the account.
    page.get_by_role("link", name="Sign in with Acme SSO").click()
    expect(page.get_by_label("Account")).to_be_visible()
