"""Layout that only a browser shows: the usage page on a phone and a desktop, the review
queue with a real queue's data, the composer's sticky footer, the viewer's buttons, the
compare page, the phone's top bar and files the form marked bad."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from playwright.sync_api import Page, expect

from studio.generations.models import Batch, Generation, State
from studio.teams.models import Membership, Team
from tests.generations.helpers import complete, make_generation
from tests.images import image_bytes
from tests.usage.helpers import job

from .conftest import PASSWORD

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1440, "height": 1000}

# Right edges that stick out of their box, and boxes whose content scrolls sideways.
OVERFLOWS = """(selector) => Array.from(document.querySelectorAll(selector))
  .filter((el) => el.scrollWidth > el.clientWidth + 1)
  .map((el) => el.className || el.tagName)"""


def _spend_a_year(user) -> None:
    now = timezone.now()
    for months_ago, model, kind in [(0, "uni-1", "image"), (1, "uni-1-max", "image_edit")]:
        for _ in range(3):
            job(user, at=now - timedelta(days=31 * months_ago), model=model, type=kind)
    job(user, at=now, price="6.2720")


def test_usage_on_a_phone_shows_every_column_and_labels_people_can_read(
    logged_in_page: Page, live_server, user
):
    _spend_a_year(user)
    page = logged_in_page
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/usage/")
    table = page.locator("#by-month ~ .table-scroll")
    expect(table).to_be_visible()
    assert page.evaluate(OVERFLOWS, ".usage .table-scroll") == []
    spend = page.locator("#by-month ~ .table-scroll th", has_text="Estimated spend")
    box = spend.bounding_box()
    assert box and box["x"] + box["width"] <= PHONE["width"]
    # The chart's words are text of the page, not drawn (and shrunk) inside the SVG.
    for label in page.locator(
        ".spend-chart [data-chart-peak], .spend-chart [data-chart-day]"
    ).all():
        size = float(label.evaluate("(el) => getComputedStyle(el).fontSize").rstrip("px"))
        assert size >= 12, size
    # Sums in cents: 3 × $0.0404 + $6.2720 is $6.39.
    expect(page.locator("[data-spent]")).to_have_text("$6.39")


def test_usage_uses_the_whole_width_of_a_desktop(logged_in_page: Page, live_server, user):
    _spend_a_year(user)
    page = logged_in_page
    page.set_viewport_size(DESKTOP)
    page.goto(f"{live_server.url}/usage/")
    main = page.locator("main").bounding_box()
    summary = page.locator(".usage-summary").bounding_box()
    assert main and summary and summary["width"] >= 0.9 * (main["width"] - 40)


def test_the_review_queue_fits_1440_pixels_with_a_real_queues_data(
    page: Page, live_server, log_in, transactional_db
):
    from studio.accounts import tokens
    from studio.moderation import appeals

    get_user_model().objects.create_superuser("root", password=PASSWORD)
    people = [
        get_user_model().objects.create_user(name)
        for name in ["alexandra.montgomery-fitzgerald", "jean-baptiste.de.la.fontaine-durand"]
    ]
    team = Team.objects.create(
        name="Marketing & Communications EMEA Creative Studio", slug="marketing-emea"
    )
    for person in people:
        Membership.objects.create(team=team, user=person, role=Membership.Role.EDITOR)
    token, _ = tokens.issue(user=people[0], name="newsletter-illustrations-production")
    prompt = (
        "A photorealistic portrait of a famous politician shaking hands with a cartoon "
        "character in front of the parliament building at sunset, cinematic lighting, "
        "shallow depth of field, 85 mm lens, trending on an art site, highly detailed"
    )
    for i, person in enumerate(people * 3):
        gen = make_generation(person, prompt=f"{prompt} #{i}")
        Generation.objects.filter(pk=gen.pk).update(
            state=State.FAILED,
            failure_code="content_moderated",
            failure_reason="The prompt was flagged by content moderation and cannot be "
            "processed. Please revise the prompt to follow the usage policies and try again.",
            team=team,
            api_token=token if i % 2 == 0 else None,
        )
        if i == 0:
            appeals.appeal(
                generation=Generation.objects.get(pk=gen.pk), note="It is satire, see brief."
            )
    page.set_viewport_size({"width": 1440, "height": 900})
    log_in(page, "root", PASSWORD)
    page.goto(f"{live_server.url}/admin/moderation/moderatedfailure/")
    expect(page.locator("#result_list tbody tr")).to_have_count(6)
    expect(page.locator("td.field-review_state", has_text="Appealed")).to_have_count(1)
    assert page.evaluate(OVERFLOWS, "#changelist .results") == []
    for column in ["review_state", "detail_link", "team", "user"]:
        for cell in page.locator(f"td.field-{column}").all():
            box = cell.bounding_box()
            assert box and box["x"] + box["width"] <= 1440, column


def test_the_sticky_footer_covers_a_focused_fields_outline(logged_in_page: Page):
    page = logged_in_page
    page.set_viewport_size({"width": 1440, "height": 640})
    field = page.locator('textarea[name="image_ref_url"]')
    footer = page.locator(".composer-footer")
    field_box, footer_box = field.bounding_box(), footer.bounding_box()
    assert field_box and footer_box
    # A focus ring is 3 px wide, 1 px off the field: 4 px beyond each side of it.
    assert footer_box["x"] <= field_box["x"] - 4
    assert footer_box["x"] + footer_box["width"] >= field_box["x"] + field_box["width"] + 4


def test_generate_stays_where_it_is_when_submitted_appears(logged_in_page: Page):
    page = logged_in_page
    page.set_viewport_size({"width": 1440, "height": 1000})
    button = page.locator(".composer-submit")
    before = button.bounding_box()
    page.locator("textarea[name=prompt]").fill("a lighthouse")
    button.click()
    expect(page.locator("#submit-notice")).to_contain_text("Submitted")
    after = button.bounding_box()
    assert before and after and (after["x"], after["y"]) == (before["x"], before["y"])


def test_the_viewers_actions_are_all_one_height(logged_in_page: Page, user):
    gen = complete(make_generation(user, prompt="a lighthouse in the snow"))
    page = logged_in_page
    page.set_viewport_size(DESKTOP)
    page.reload()
    page.locator(f"#gen-{gen.pk} .card-media").click()
    actions = page.locator("#viewer [data-viewer-actions]")
    expect(actions.get_by_role("button", name="Copy prompt")).to_be_visible()
    heights = {
        round(el.bounding_box()["height"])
        for el in actions.locator("button, a.button, summary").all()
        if el.is_visible()
    }
    assert len(heights) == 1, heights


def test_the_compare_page_shows_a_batch_of_four_on_one_desktop_screen(
    logged_in_page: Page, live_server, user
):
    batch = Batch.objects.create(user=user, size=4)
    for position in range(1, 5):
        gen = make_generation(user, prompt="a teapot", aspect_ratio="1:1")
        Generation.objects.filter(pk=gen.pk).update(batch=batch, batch_position=position)
        complete(gen, size=(1024, 1024))  # as large as the provider's
    page = logged_in_page
    page.set_viewport_size(DESKTOP)
    page.goto(f"{live_server.url}/batches/{batch.pk}/")
    images = page.locator(".compare-media img")
    expect(images).to_have_count(4)
    for img in images.all():
        box = img.bounding_box()
        assert box and box["y"] >= 0 and box["y"] + box["height"] <= DESKTOP["height"]


def test_the_phone_top_bar_takes_at_most_two_lines(browser, live_server, user, log_in):
    get_user_model().objects.filter(pk=user.pk).update(is_staff=True)
    Team.objects.create(name="Design", slug="design")
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    log_in(page, user.username, PASSWORD)
    expect(page.locator("#composer-form")).to_be_attached()
    tops = page.evaluate(
        """() => Array.from(document.querySelectorAll('.topbar > *, .topnav > *'))
             .filter((el) => el.offsetParent !== null && !el.classList.contains('topnav'))
             .map((el) => Math.round(el.getBoundingClientRect().top))"""
    )
    rows = sorted(set(tops))
    assert len([t for i, t in enumerate(rows) if i == 0 or t - rows[i - 1] > 12]) <= 2, tops
    # Log out and the person's pages are one tap away, in the account menu.
    page.locator("#account-menu > summary").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    expect(page.get_by_role("link", name="API tokens")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.get_by_role("button", name="Log out")).to_be_hidden()
    context.close()


def test_files_the_form_marked_bad_are_neither_priced_nor_sent(logged_in_page: Page, user):
    page = logged_in_page
    page.set_viewport_size(DESKTOP)
    price = page.locator("[data-price]")
    page.locator('input[name="image_ref"]').set_input_files(
        [
            {"name": "good.png", "mimeType": "image/png", "buffer": image_bytes("PNG", (32, 32))},
            {"name": "notes.txt", "mimeType": "text/plain", "buffer": b"not an image"},
        ]
    )
    expect(page.locator('[data-thumbs="image_ref"] li.bad')).to_have_count(1)
    expect(page.locator("[data-ref-count]")).to_have_text("1")
    with_one = price.inner_text()
    page.locator("textarea[name=prompt]").fill("a lighthouse")
    page.locator(".composer-submit").click()
    expect(page.locator("#submit-notice")).to_contain_text("Submitted")
    gen = Generation.objects.get(user=user)
    assert gen.inputs.count() == 1  # the good reference only
    assert Decimal(with_one.lstrip("$")) == gen.estimated_price
