"""In a real browser: alice shares an existing image into "design" from its card;
carol (viewer) sees it appear in her open team gallery without reloading and stars it
without touching alice's star; the owner removes carol and carol's next check no longer
shows it; bob (no team) never sees it. Also: the slow check sends nothing while the tab
is hidden."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import Browser, Page, expect

from studio.generations.models import Favourite, Generation
from studio.teams.models import Membership, Team
from tests.browser.pages import CARDS, PASSWORD, assert_no_navigation, finished_generation
from tests.browser.pages import watch_navigation as watch

pytestmark = pytest.mark.browser


@pytest.fixture
def people(transactional_db, settings):
    # The default is 15 s (tests/teams/test_share.py checks it); a browser test need not
    # wait that long for each look.
    settings.TEAM_NEWS_SECONDS = 1
    make = get_user_model().objects.create_user
    users = {name: make(name, password=PASSWORD) for name in ["alice", "carol", "olga", "bob"]}
    design = Team.objects.create(name="Design", slug="design")
    for name, role in [("alice", "editor"), ("carol", "viewer"), ("olga", "owner")]:
        Membership.objects.create(team=design, user=users[name], role=role)
    return users


def _signed_in(browser: Browser, live_server, username: str) -> Page:
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{live_server.url}/accounts/login/")
    page.locator("[name=username]").fill(username)
    page.locator("[name=password]").fill(PASSWORD)
    page.locator("form [type=submit]").click()
    expect(page).to_have_url(f"{live_server.url}/")
    return page


def test_share_appears_for_a_teammate_who_stars_it_and_loses_it_when_removed(
    browser: Browser, live_server, people
):
    gen = finished_generation(people["alice"], prompt="a lighthouse for the team")
    Favourite.objects.create(user=people["alice"], generation=gen)
    carol = _signed_in(browser, live_server, "carol")
    carol.goto(f"{live_server.url}/teams/design/")
    expect(carol.locator(CARDS)).to_have_count(0)
    navigations = watch(carol)

    alice = _signed_in(browser, live_server, "alice")
    card = alice.locator(f'[data-generation-id="{gen.pk}"]')
    card.locator("summary", has_text="Share").click()
    card.get_by_label("Share with").select_option("design")
    card.get_by_role("button", name="Save").click()
    expect(
        alice.locator(f'[data-generation-id="{gen.pk}"] [data-shared-with="design"]')
    ).to_be_visible()

    shared = carol.locator(f'[data-generation-id="{gen.pk}"]')
    expect(shared).to_be_visible()
    expect(shared.locator('[data-author="alice"]')).to_have_text("alice")
    assert_no_navigation(carol, navigations)
    star = shared.locator(".star")
    expect(star).to_have_attribute("aria-pressed", "false")  # alice's star is hers
    star.click()
    expect(carol.locator(f'[data-generation-id="{gen.pk}"] .star')).to_have_attribute(
        "aria-pressed", "true"
    )
    assert set(Favourite.objects.values_list("user__username", flat=True)) == {"alice", "carol"}

    olga = _signed_in(browser, live_server, "olga")
    olga.goto(f"{live_server.url}/teams/design/members/")
    remove = olga.locator('[data-member="carol"]').get_by_role("button", name="Remove")
    questions = []

    def answer(dialog, accept):
        questions.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    olga.once("dialog", lambda dialog: answer(dialog, False))
    remove.click()  # asked first; "Cancel" keeps her
    expect(olga.locator('[data-member="carol"]')).to_have_count(1)
    olga.once("dialog", lambda dialog: answer(dialog, True))
    remove.click()
    expect(olga.locator('[data-member="carol"]')).to_have_count(0)
    assert questions == ["Remove carol from Design?"] * 2
    # Carol's open page: its next look is refused and sends her to her teams.
    expect(carol).to_have_url(f"{live_server.url}/teams/", timeout=10_000)
    expect(carol.locator('[data-team="design"]')).to_have_count(0)
    assert carol.goto(f"{live_server.url}/teams/design/").status == 404
    assert carol.goto(f"{live_server.url}/generations/{gen.pk}/").status == 404

    bob = _signed_in(browser, live_server, "bob")
    expect(bob.locator(CARDS)).to_have_count(0)
    assert bob.goto(f"{live_server.url}/teams/design/").status == 404
    assert bob.goto(f"{live_server.url}/generations/{gen.pk}/").status == 404
    assert bob.goto(f"{live_server.url}/generations/{gen.pk}/outputs/0/").status == 404
    assert Generation.objects.get(pk=gen.pk).team.slug == "design"


def _set_visibility(page: Page, state: str) -> None:
    """What switching tabs does to the page (headless Chromium never hides one itself)."""
    page.evaluate(
        """(state) => {
            Object.defineProperty(document, "visibilityState", {value: state, configurable: true});
            document.dispatchEvent(new Event("visibilitychange"));
        }""",
        state,
    )


def test_the_slow_check_stops_while_the_tab_is_hidden(browser: Browser, live_server, people):
    carol = _signed_in(browser, live_server, "carol")
    checks: list[str] = []
    carol.on("request", lambda r: checks.append(r.url) if "shared_after=" in r.url else None)
    carol.goto(f"{live_server.url}/teams/design/")
    carol.wait_for_timeout(2500)
    assert len(checks) >= 1, "the visible tab should ask for news"
    _set_visibility(carol, "hidden")
    hidden_from = len(checks)
    carol.wait_for_timeout(3000)
    assert len(checks) == hidden_from, "a hidden tab must not ask"
    _set_visibility(carol, "visible")
    carol.wait_for_timeout(500)
    assert len(checks) > hidden_from, "coming back asks at once"
