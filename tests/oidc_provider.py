"""A real OpenID Connect provider for the sign-in tests (tests/oidc, tests/browser): panva's
oidc-provider (npm), run with node from tests/oidc/provider, started once per test session on a
free loopback port.
`make install` installs it; a checkout without it installs it here from npm's cache."""

from __future__ import annotations

import copy
import json
import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin

import pytest
import requests

from studio.accounts import oidc

PROVIDER_DIR = Path(__file__).parent / "oidc" / "provider"
CALLBACK = "/accounts/oidc/callback/"


def _ensure_installed() -> None:
    if (PROVIDER_DIR / "node_modules" / "oidc-provider").is_dir():
        return
    if not shutil.which("node") or not shutil.which("npm"):
        pytest.fail(
            "node and npm are needed for the OpenID Connect tests (apt-get install nodejs npm)"
        )
    subprocess.run(
        ["npm", "ci", "--prefer-offline", "--no-audit", "--no-fund", "--silent"],
        cwd=PROVIDER_DIR,
        check=True,
        timeout=300,
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Provider:
    issuer: str
    accounts_file: Path
    clients: dict = field(default_factory=dict)

    def set_accounts(self, accounts: dict) -> None:
        """Who may sign in, and their claims (read again at every sign-in)."""
        self.accounts_file.write_text(json.dumps(accounts))

    def client_for(self, base_url: str) -> tuple[str, str]:
        """A client registered (RFC 7591) for a studio at `base_url`: (id, secret)."""
        if base_url not in self.clients:
            answer = requests.post(
                f"{self.issuer}/reg",
                json={
                    "redirect_uris": [f"{base_url}{CALLBACK}"],
                    "post_logout_redirect_uris": [f"{base_url}/accounts/login/"],
                    "grant_types": ["authorization_code"],
                    "response_types": ["code"],
                    "token_endpoint_auth_method": "client_secret_basic",
                    "scope": "openid email profile groups",
                },
                timeout=10,
            )
            answer.raise_for_status()
            body = answer.json()
            self.clients[base_url] = (body["client_id"], body["client_secret"])
        return self.clients[base_url]


@pytest.fixture(scope="session")
def oidc_provider(tmp_path_factory):
    _ensure_installed()
    port = _free_port()
    accounts = tmp_path_factory.mktemp("oidc") / "accounts.json"
    accounts.write_text("{}")
    log = accounts.with_name("provider.log").open("w")
    process = subprocess.Popen(
        ["node", "server.js"],
        cwd=PROVIDER_DIR,
        env={**os.environ, "PORT": str(port), "OIDC_ACCOUNTS": str(accounts)},
        # Its stdin is a pipe this process holds: a session killed before its teardown still
        # closes it, and the provider exits (server.js) instead of lingering.
        stdin=subprocess.PIPE,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    issuer = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while True:
        try:
            requests.get(f"{issuer}/.well-known/openid-configuration", timeout=1).raise_for_status()
            break
        except requests.RequestException:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                log_text = accounts.with_name("provider.log").read_text()
                pytest.fail(f"the test provider did not start: {log_text}")
            time.sleep(0.1)
    yield Provider(issuer=issuer, accounts_file=accounts)
    process.terminate()
    try:
        process.wait(5)
    except subprocess.TimeoutExpired:
        process.kill()
    log.close()


def configure(settings, provider: Provider, base_url: str) -> None:
    client_id, secret = provider.client_for(base_url)
    settings.STUDIO_OIDC_ISSUER = provider.issuer
    settings.STUDIO_OIDC_CLIENT_ID = client_id
    settings.STUDIO_OIDC_CLIENT_SECRET = secret
    settings.STUDIO_OIDC_NAME = "Acme SSO"
    settings.STUDIO_OIDC_SCOPES = "openid email profile groups"
    settings.STUDIO_OIDC_TEAMS_CLAIM = "groups"
    # What studio/settings/security.py adds for a configured issuer: sign-out's redirect to it.
    policy = copy.deepcopy(settings.CONTENT_SECURITY_POLICY)
    policy["DIRECTIVES"]["form-action"].append(provider.issuer)
    settings.CONTENT_SECURITY_POLICY = policy
    oidc.forget()


def at_provider(authorize_url: str, login: str, *, browser: requests.Session | None = None) -> str:
    """Play the person at the provider: follow the authorization request, sign in as `login`
    when asked, and return the URL the provider sends the browser back to (the callback)."""
    browser = browser or requests.Session()
    url = authorize_url
    for _ in range(12):
        answer = browser.get(url, allow_redirects=False, timeout=10)
        if answer.status_code == 200 and "/interaction/" in url:
            answer = browser.post(f"{url}/login", data={"login": login}, allow_redirects=False)
        if answer.status_code not in (302, 303):
            raise AssertionError(f"the provider answered {answer.status_code}: {answer.text[:300]}")
        url = urljoin(url, answer.headers["Location"])
        if CALLBACK in url:
            return url
    raise AssertionError("the provider never sent the browser back")


def sign_in(client, login: str, *, next_url: str = "/", browser: requests.Session | None = None):
    """A whole provider sign-in through the studio: its answer to the callback. `browser`
    holds the provider's cookies (its session), when a test needs them afterwards."""
    start = client.get("/accounts/oidc/login/", {"next": next_url})
    assert start.status_code == 302, start.content[:300]
    back = at_provider(start["Location"], login, browser=browser)
    return client.get(back.removeprefix("http://testserver"))
