"""Browser tests: the studio served by pytest-django's live_server, driven in the system
Chromium through pytest-playwright (sync API), with a real django-q2 worker on demand.

Fixtures here: `user` (known password), `log_in`, `logged_in_page` (logged in through the
real login form), `worker` (tests/worker.py), `s3_media` (tests/s3.py) and pytest-playwright's
own `page`, `context`, `browser`. Mark every test module with `pytestmark = pytest.mark.browser`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from urllib.parse import urlsplit

# Playwright's sync API runs an event loop in this thread, which makes Django refuse ORM
# calls from the test body; `make test` sets this too, but `pytest` alone must work.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

import pytest  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from playwright.sync_api import Browser, BrowserContext, Page, expect  # noqa: E402

from tests.browser.chromium import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tests.browser.pages import PASSWORD  # noqa: E402
from tests.s3 import s3_media, s3_server  # noqa: E402, F401
from tests.worker import pytest_runtest_makereport, worker  # noqa: E402, F401


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    """Debian's Chromium instead of Playwright's download; headless unless --headed."""
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: `make browser-deps` installs it")
    return {
        "headless": True,
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": CHROMIUM_ARGS,
    }


# What a browser test may see in the console: Chromium's line for an HTTP 4xx status and
# htmx's lines for it, which tests cause on purpose (a refused form answers 400, a rate
# limit 429) and assert on themselves; and what a page outside the studio logs (a test's
# identity provider's page asks for web fonts, unreachable here). Anything else logged as an
# error (a Content-Security-Policy violation, an uncaught exception, a failed script, a
# 5xx) fails the test; a test that cuts the network on purpose says so with the marker.
EXPECTED_CONSOLE = re.compile(
    r"^(Failed to load resource: the server responded with a status of 4\d\d"
    r"|htmx:responseError|Response Status Error Code 4\d\d )"
)
STUDIO_HOSTS = {"localhost", "127.0.0.1"}


def _reported(message) -> bool:
    url = message.location.get("url", "")
    host = urlsplit(url).hostname
    if url and host and host not in STUDIO_HOSTS:
        return False
    return message.type == "error" and not EXPECTED_CONSOLE.match(message.text)


def pytest_configure(config) -> None:
    config.addinivalue_line(
        "markers", "console_errors_allowed: the test causes console errors on purpose"
    )


@pytest.fixture(autouse=True)
def _fail_on_console_errors(request, monkeypatch):
    """Every page a browser test opens (through `page`, `context` or `browser.new_context`)
    reports its console errors and uncaught exceptions; the test fails on any."""
    if request.node.get_closest_marker("browser") is None:
        yield
        return
    errors: list[str] = []

    def watch(context: BrowserContext) -> BrowserContext:
        context.on(
            "console",
            lambda m: (
                errors.append(f"{m.type}: {m.text} ({m.location.get('url', '')})")
                if _reported(m)
                else None
            ),
        )
        context.on("weberror", lambda e: errors.append(f"uncaught: {e.error}"))
        return context

    new_context = Browser.new_context
    monkeypatch.setattr(
        Browser, "new_context", lambda self, *a, **kw: watch(new_context(self, *a, **kw))
    )
    yield
    if request.node.get_closest_marker("console_errors_allowed") is None:
        assert errors == [], "the browser logged errors:\n" + "\n".join(errors)


@pytest.fixture
def user(transactional_db):
    # Committed (transactional_db), so the live server's own connection sees it.
    return get_user_model().objects.create_user("ada", password=PASSWORD)


@pytest.fixture
def log_in(live_server) -> Callable[[Page, str, str], None]:
    """Fill and submit the real login form at /accounts/login/."""

    def _log_in(page: Page, username: str, password: str) -> None:
        page.goto(f"{live_server.url}/accounts/login/")
        form = page.locator("form").filter(has=page.locator("[name=password]"))
        form.locator("[name=username]").fill(username)
        form.locator("[name=password]").fill(password)
        form.locator("[type=submit]").click()

    return _log_in


@pytest.fixture
def logged_in_page(page: Page, live_server, user, log_in) -> Page:
    """pytest-playwright's `page`, logged in as `user` and showing the studio."""
    page.set_default_timeout(15_000)
    log_in(page, user.username, PASSWORD)
    expect(page).to_have_url(f"{live_server.url}/")
    return page
