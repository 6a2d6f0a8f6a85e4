"""A reviewer walks through a moderated failure in the admin and suspends its author; the
author's studio page, already open, shows the suspension at its next request."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from playwright.sync_api import expect

from studio.generations.models import Generation
from studio.moderation.models import Review, Suspension
from tests.moderation.helpers import moderated

pytestmark = pytest.mark.browser

QUEUE = "/admin/moderation/moderatedfailure/"


@pytest.fixture
def reviewer(transactional_db):
    rita = get_user_model().objects.create_user("rita", password="pw-rita-123", is_staff=True)
    rita.groups.add(Group.objects.get(name="Reviewers"))
    return rita


def test_a_reviewer_confirms_and_suspends_and_the_open_studio_shows_it(
    logged_in_page, user, reviewer, browser, live_server, log_in, task_queue
):
    gen = moderated(user, "a prompt the provider refused", reason="Blocked: policy 4.2")
    author = logged_in_page
    expect(author.locator("#composer-form .composer-submit")).to_be_visible()

    context = browser.new_context(viewport={"width": 1440, "height": 900})
    staff = context.new_page()
    staff.set_default_timeout(15_000)
    log_in(staff, "rita", "pw-rita-123")
    staff.goto(f"{live_server.url}{QUEUE}")
    # The Review column is not cut off on a 1440 px screen.
    header = staff.locator("th.column-review_state")
    expect(header).to_be_visible()
    box = header.bounding_box()
    assert box and box["x"] + box["width"] <= 1440, box
    staff.get_by_role("link", name="a prompt the provider refused").click()
    expect(staff.get_by_text("Blocked: policy 4.2")).to_be_visible()
    staff.locator("select[name='moderation_review-0-decision']").select_option("confirmed")
    staff.locator("textarea[name='moderation_review-0-notes']").fill("clear violation")
    staff.locator("input[name=_continue]").click()
    expect(staff.locator(".messagelist")).to_be_visible()
    review = Review.objects.get(generation=gen)
    assert (review.decision, review.notes, review.reviewed_by) == (
        "confirmed",
        "clear violation",
        reviewer,
    )
    staff.locator("input[name=suspend_author]").check()
    staff.locator("input[name=suspension_reason]").fill("repeated violations")
    staff.locator("input[name=_continue]").click()
    expect(staff.get_by_text("repeated violations")).to_be_visible()
    assert Suspension.objects.active().get().user == user
    context.close()

    # The author's page was drawn before: the next submit shows why, and no button.
    before = Generation.objects.count()
    author.locator("#composer-form [name=prompt]").fill("one more try")
    author.locator("#composer-form .composer-submit").click()
    notice = author.locator("#composer-form [data-suspended]")
    expect(notice).to_contain_text("repeated violations")
    expect(author.locator("#composer-form .composer-submit")).to_have_count(0)
    assert Generation.objects.count() == before
    author.reload()
    expect(author.locator("#composer-form [data-suspended]")).to_contain_text("repeated violations")
    expect(author.locator(".composer-submit")).to_have_count(0)
