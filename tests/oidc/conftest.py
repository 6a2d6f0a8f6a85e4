"""The studio (the test client's http://testserver) signing in with the suite's provider."""

from __future__ import annotations

import pytest

from studio.accounts import oidc
from tests.oidc_provider import configure


@pytest.fixture
def sso(oidc_provider, settings):
    """The studio (the test client's http://testserver) signing in with the test provider."""
    configure(settings, oidc_provider, "http://testserver")
    oidc_provider.set_accounts(
        {
            "alice": {
                "preferred_username": "alice",
                "email": "alice@example.com",
                "email_verified": True,
                "name": "Alice Example",
                "groups": [],
            }
        }
    )
    yield oidc_provider
    oidc.forget()
