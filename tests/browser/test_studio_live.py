"""The studio as people use it, in a real browser: htmx submits, the live gallery (with a real
django-q2 worker where a job has to finish), Remix and "Edit this image", a bad upload,
load more, favourites and the keyboard.

Written against the studio's fixed markup hooks (`#composer-form`, `#gallery`,
`data-generation-id`, `data-state`, `data-failure-code`, `#announcer`) and the form's field
names, which equal the API's.
"""

from __future__ import annotations

import io
import re
import time
from collections.abc import Callable, Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from playwright.sync_api import Page, expect

from studio.generations.models import FINAL, PARAM_FIELDS, Favourite, Generation
from studio.teams.models import Membership, Team
from tests.browser.pages import CARDS, assert_no_navigation, finished_generation, watch_navigation
from tests.generations.helpers import image_bytes
from tests.worker import (
    _FAILED_KEY,
    _WORKER_KEY,
    Worker,
    _purge_broker,
    database_url,
    worker_env,
)

pytestmark = pytest.mark.browser

FINISH_TIMEOUT = 30_000  # ms: a simulated job takes ~1 s, the worker's poll loop a few more
STATE_ORDER = ["pending", "queued", "processing", "completed"]


# --- fixtures and helpers ---------------------------------------------------------------


@pytest.fixture
def start_worker(request, transactional_db, settings) -> Iterator[Callable[[], Worker]]:
    """Like the `worker` fixture, but the cluster starts when the test says so: jobs
    submitted before then stay in flight for as long as the test needs."""
    _purge_broker()  # now, not at start(): that would drop this test's own tasks
    started: list[Worker] = []

    def start() -> Worker:
        env = worker_env(
            db_url=database_url(connection.settings_dict), media_root=settings.MEDIA_ROOT
        )
        w = Worker(env)
        request.node.stash[_WORKER_KEY] = w  # its log tail goes into a failure report
        started.append(w)
        return w

    yield start
    for w in started:
        w.stop()
        if not request.node.stash.get(_FAILED_KEY, False):
            w.remove_log()


def track_polls(page: Page) -> list[tuple[float, list[str]]]:
    """(time, ids asked for) of every request the page makes to the gallery poll."""
    polls: list[tuple[float, list[str]]] = []

    def on_request(request) -> None:
        url = urlsplit(request.url)
        if url.path == "/gallery/poll/":
            ids = parse_qs(url.query).get("ids", [""])[0]
            polls.append((time.monotonic(), [i for i in ids.split(",") if i]))

    page.on("request", on_request)
    return polls


def track_posts(page: Page, path: str) -> list[str]:
    posts: list[str] = []

    def on_request(request) -> None:
        if request.method == "POST" and urlsplit(request.url).path == path:
            posts.append(request.url)

    page.on("request", on_request)
    return posts


def record_card_states(page: Page) -> None:
    """Note every state each card shows, in order (cards are swapped out, not mutated)."""
    page.evaluate(
        """() => {
            window.__states = {};
            const look = () => document.querySelectorAll('#gallery [data-generation-id]')
              .forEach((card) => {
                const seen = (window.__states[card.dataset.generationId] ||= []);
                if (seen[seen.length - 1] !== card.dataset.state) seen.push(card.dataset.state);
              });
            look();
            new MutationObserver(look).observe(document.getElementById('gallery'),
              {subtree: true, childList: true, attributes: true, attributeFilter: ['data-state']});
        }"""
    )


def card_ids(page: Page) -> list[str]:
    return page.eval_on_selector_all(CARDS, "cards => cards.map(c => c.dataset.generationId)")


def card(page: Page, gen_id: str):
    return page.locator(f'#gallery [data-generation-id="{gen_id}"]')


def submit_prompt(page: Page, prompt: str, *, keyboard: bool = False) -> str:
    """Type a prompt, submit (Generate or Ctrl+Enter), return the new card's id once it
    shows at the top of the gallery."""
    before = card_ids(page)
    form = page.locator("#composer-form")
    expect(form.locator("button[type=submit]")).to_be_enabled()
    box = form.locator("[name=prompt]")
    box.fill(prompt)
    if keyboard:
        box.press("Control+Enter")
    else:
        form.locator("button[type=submit]").click()
    expect(page.locator(CARDS)).to_have_count(len(before) + 1)
    ids = card_ids(page)
    assert ids[1:] == before, "the new card is not at the top, or others moved"
    return ids[0]


def wait_until_final(page: Page, gen_id: str, state: str, worker: Worker) -> None:
    try:
        expect(card(page, gen_id)).to_have_attribute(
            "data-state", re.compile(r"^(completed|failed)$"), timeout=FINISH_TIMEOUT
        )
    except AssertionError:
        worker.assert_alive()
        raise
    got = card(page, gen_id).get_attribute("data-state")
    if got != state:
        code = card(page, gen_id).get_attribute("data-failure-code")
        raise AssertionError(f"card {gen_id} ended {got} ({code}), expected {state}")


def wait_image_loaded(page: Page, selector: str) -> None:
    page.locator(selector).first.scroll_into_view_if_needed()  # it may be loading="lazy"
    # Query afresh each time: a swap may replace the element meanwhile.
    page.wait_for_function(
        """sel => {
            const img = document.querySelector(sel);
            return img !== null && img.complete && img.naturalWidth > 0;
        }""",
        arg=selector,
        timeout=10_000,
    )


def file_bytes(field_file) -> bytes:
    with field_file.open("rb") as fh:
        return fh.read()


# --- 1. submit → card → image, no navigation ---------------------------------------------


def test_submit_adds_a_card_that_turns_into_the_image_without_a_page_load(
    logged_in_page: Page, user, worker
):
    older = finished_generation(user, prompt="an older image")
    page = logged_in_page
    page.reload()
    assert card_ids(page) == [str(older.pk)]
    navigations = watch_navigation(page)
    record_card_states(page)

    gen_id = submit_prompt(page, "a lighthouse at dusk, seen from the sea")
    assert Generation.objects.get(pk=gen_id).prompt == "a lighthouse at dusk, seen from the sea"

    wait_until_final(page, gen_id, "completed", worker)
    img = f'#gallery [data-generation-id="{gen_id}"] img'
    expect(page.locator(img)).to_have_attribute("src", re.compile(r"^/generations/"))
    wait_image_loaded(page, img)
    states = page.evaluate("id => window.__states[id]", gen_id)
    assert states[0] in ("pending", "queued", "processing") and states[-1] == "completed"
    assert states == sorted(states, key=STATE_ORDER.index), states

    # Ctrl+Enter in the prompt submits too, and lands on top of the finished one.
    second = submit_prompt(page, "the same lighthouse, at dawn", keyboard=True)
    assert card_ids(page)[:3] == [second, gen_id, str(older.pk)]
    assert Generation.objects.get(pk=second).prompt == "the same lighthouse, at dawn"
    assert_no_navigation(page, navigations)


# --- 2. one poll per interval, none once nothing is in flight ---------------------------


def test_one_poll_request_per_interval_for_all_cards_and_none_once_finished(
    logged_in_page: Page, start_worker
):
    page = logged_in_page
    navigations = watch_navigation(page)
    polls = track_polls(page)

    first = submit_prompt(page, "a fox in the snow")
    second = submit_prompt(page, "a harbour at night", keyboard=True)
    # No worker yet: both stay in flight while we watch the page poll.
    both_since = time.monotonic()
    page.wait_for_timeout(4_500)
    window = [ids for at, ids in polls if at >= both_since]
    assert 1 <= len(window) <= 3, f"{len(window)} poll requests in 4.5 s: {window}"
    for ids in window:
        assert sorted(ids) == sorted([first, second]), f"one request should ask for both: {ids}"

    worker = start_worker()
    wait_until_final(page, first, "completed", worker)
    wait_until_final(page, second, "completed", worker)
    finished_at = time.monotonic()
    gaps = [b[0] - a[0] for a, b in zip(polls, polls[1:], strict=False)]
    assert min(gaps) >= 1.5, f"polls closer than the 2 s interval: {gaps}"
    assert len(polls) <= (finished_at - polls[0][0]) / 2 + 1.5, len(polls)

    count = len(polls)
    page.wait_for_timeout(6_000)
    assert len(polls) == count, f"{len(polls) - count} poll requests after everything finished"
    assert_no_navigation(page, navigations)


# --- 3. failure without reload ----------------------------------------------------------


def test_moderated_prompt_fails_in_place_with_an_explanation_and_an_announcement(
    logged_in_page: Page, worker
):
    page = logged_in_page
    navigations = watch_navigation(page)

    gen_id = submit_prompt(page, "[simulate:content_moderated] something not allowed")
    wait_until_final(page, gen_id, "failed", worker)
    failed = card(page, gen_id)
    expect(failed).to_have_attribute("data-failure-code", "content_moderated")
    expect(failed).to_contain_text("blocked by the provider's content guidelines")
    expect(failed).to_contain_text("Change the prompt")
    expect(failed).to_contain_text("flagged by content moderation")  # upstream's reason
    expect(failed.get_by_role("button", name="Retry")).to_have_count(0)  # not retryable
    expect(page.locator("#announcer")).to_contain_text("Failed (content_moderated)")
    expect(page.locator("#announcer")).to_contain_text("something not allowed")
    assert_no_navigation(page, navigations)


# --- 4. Remix ---------------------------------------------------------------------------


def test_remix_prefills_every_setting_and_reference_and_submits_only_on_generate(
    logged_in_page: Page, live_server, user
):
    ref_png = image_bytes("PNG", size=(40, 60), color=(10, 120, 200))
    ref_url = "https://example.com/refs/mood-board.jpg"
    original = finished_generation(
        user,
        prompt="a samurai cat under cherry blossoms",
        aspect_ratio="2:3",
        style="manga",
        model="uni-1-max",
        output_format="jpeg",
        inputs=[
            {
                "role": "reference",
                "content": ref_png,
                "media_type": "image/png",
                "width": 40,
                "height": 60,
                "name": "cat-pose.png",
            },
            {"role": "reference", "url": ref_url},
        ],
    )
    page = logged_in_page
    posts = track_posts(page, "/generations/")
    page.goto(f"{live_server.url}/generations/{original.pk}/")
    page.get_by_role("link", name="Remix").click()
    expect(page).to_have_url(re.compile(rf"/\?remix={original.pk}$"))

    form = page.locator("#composer-form")
    expect(form.locator("[name=prompt]")).to_have_value("a samurai cat under cherry blossoms")
    expect(form.locator('[name=type][value="image"]')).to_be_checked()
    expect(form.locator('[name=aspect_ratio][value="2:3"]')).to_be_checked()
    expect(form.locator("[name=style]")).to_have_value("manga")
    expect(form.locator("[name=model]")).to_have_value("uni-1-max")
    expect(form.locator("[name=output_format]")).to_have_value("jpeg")
    expect(form.locator("[name=image_ref_url]")).to_have_value(ref_url)
    kept = form.locator('[data-thumbs="image_ref"] [data-kept]')
    expect(kept).to_have_count(1)
    expect(kept).to_contain_text("cat-pose.png")
    wait_image_loaded(page, '#composer-form [data-thumbs="image_ref"] [data-kept] img')
    expect(form.locator("[data-ref-count]")).to_have_text("2")

    # Opening the remix submitted nothing.
    page.wait_for_timeout(500)
    assert posts == []
    assert Generation.objects.count() == 1

    navigations = watch_navigation(page)
    form.locator("button[type=submit]").click()
    expect(page.locator(CARDS).first).not_to_have_attribute("data-generation-id", str(original.pk))
    assert_no_navigation(page, navigations)
    assert len(posts) == 1
    remix = Generation.objects.exclude(pk=original.pk).get()
    for field in PARAM_FIELDS:
        assert getattr(remix, field) == getattr(original, field), field
    old_refs, new_refs = list(original.inputs.all()), list(remix.inputs.all())
    assert [(r.role, r.url, r.media_type) for r in new_refs] == [
        (r.role, r.url, r.media_type) for r in old_refs
    ]
    assert file_bytes(new_refs[0].file) == file_bytes(old_refs[0].file) == ref_png
    assert new_refs[0].original_name == "cat-pose.png"


# --- 5. Edit this image -----------------------------------------------------------------


def test_edit_this_image_opens_an_edit_with_the_output_as_source(
    logged_in_page: Page, live_server, user
):
    original = finished_generation(user, prompt="a red bicycle", aspect_ratio="3:2")
    page = logged_in_page
    page.goto(f"{live_server.url}/generations/{original.pk}/")
    page.get_by_role("link", name="Edit this image").click()

    form = page.locator("#composer-form")
    expect(form.locator('[name=type][value="image_edit"]')).to_be_checked()
    expect(form.locator("[data-source-block]")).to_be_visible()
    expect(form.locator('[data-thumbs="source"] [data-kept]')).to_have_count(1)
    wait_image_loaded(page, '#composer-form [data-thumbs="source"] [data-kept] img')
    expect(form.locator('[name=aspect_ratio][value="3:2"]')).to_be_checked()
    assert Generation.objects.count() == 1

    gen_id = submit_prompt(page, "make the bicycle blue")
    edit = Generation.objects.get(pk=gen_id)
    assert edit.type == "image_edit"
    assert edit.prompt == "make the bicycle blue"
    source = edit.inputs.get(role="source")
    assert source.file and not source.url
    assert file_bytes(source.file) == file_bytes(original.outputs.get().file)
    assert not edit.inputs.filter(role="reference").exists()


# --- 6. a bad upload keeps the rest of the form -----------------------------------------


def test_bad_upload_names_the_file_and_keeps_everything_else(logged_in_page: Page, settings):
    # A file the page cannot judge (it checks type, bytes and whether it draws, not pixels),
    # so the server's answer is what names it.
    settings.UPLOAD_MAX_PIXELS = 1000  # the live server runs in this process: it sees this
    page = logged_in_page
    navigations = watch_navigation(page)
    form = page.locator("#composer-form")
    form.locator("[name=prompt]").fill("a glass teapot on a windowsill")
    form.locator("[name=model]").select_option("uni-1-max")
    form.locator('[name=aspect_ratio][value="16:9"]').check()
    good = image_bytes("PNG", size=(32, 18), color=(30, 160, 90))
    too_big = image_bytes("PNG", size=(80, 45), color=(200, 200, 40))
    form.locator("input[name=image_ref]").set_input_files(
        [
            {"name": "teapot-ref.png", "mimeType": "image/png", "buffer": good},
            {"name": "notes.png", "mimeType": "image/png", "buffer": too_big},
        ]
    )
    form.locator("button[type=submit]").click()

    summary = page.locator("#composer-form [data-error-summary]")
    expect(summary).to_contain_text("notes.png")
    expect(summary).to_be_focused()
    expect(summary).not_to_contain_text("teapot-ref.png")
    form = page.locator("#composer-form")
    expect(form.locator("[name=prompt]")).to_have_value("a glass teapot on a windowsill")
    expect(form.locator("[name=model]")).to_have_value("uni-1-max")
    expect(form.locator('[name=aspect_ratio][value="16:9"]')).to_be_checked()
    kept = form.locator('[data-thumbs="image_ref"] [data-kept]')
    expect(kept).to_have_count(1)
    expect(kept).to_contain_text("teapot-ref.png")
    wait_image_loaded(page, '#composer-form [data-thumbs="image_ref"] [data-kept] img')
    assert Generation.objects.count() == 0

    # The bad file is gone with the old form (only the good one was kept): submit again.
    assert form.locator("input[name=image_ref]").evaluate("input => input.files.length") == 0
    form.locator("button[type=submit]").click()
    expect(page.locator(CARDS)).to_have_count(1)
    assert_no_navigation(page, navigations)
    gen = Generation.objects.get()
    assert (gen.prompt, gen.model, gen.aspect_ratio) == (
        "a glass teapot on a windowsill",
        "uni-1-max",
        "16:9",
    )
    refs = list(gen.inputs.all())
    assert [(r.role, r.original_name, r.media_type) for r in refs] == [
        ("reference", "teapot-ref.png", "image/png")
    ]
    assert (refs[0].width, refs[0].height) == (32, 18)
    # The errors of the failed attempt are gone; the settings stay for the next one.
    expect(summary).to_have_count(0)
    expect(form.locator(".errorlist")).to_have_count(0)
    expect(form.locator(".has-error")).to_have_count(0)
    expect(form.locator("[name=prompt]")).to_have_value("a glass teapot on a windowsill")


# --- 7. load more, and no polling for a finished gallery ------------------------------


def test_load_more_appends_the_rest_and_a_finished_gallery_never_polls(logged_in_page: Page, user):
    call_command("seed_gallery", user.username, count=30, stdout=io.StringIO())
    assert not Generation.objects.exclude(state__in=FINAL).exists()
    page = logged_in_page
    polls = track_polls(page)
    page.reload()
    loaded_at = time.monotonic()
    navigations = watch_navigation(page)
    expect(page.locator(CARDS)).to_have_count(24)

    page.get_by_role("link", name="Load more").click()
    expect(page.locator(CARDS)).to_have_count(30)
    ids = [int(i) for i in card_ids(page)]
    assert len(set(ids)) == 30
    assert ids == sorted(Generation.objects.values_list("pk", flat=True), reverse=True)
    expect(page.get_by_role("link", name="Load more")).to_have_count(0)
    assert_no_navigation(page, navigations)

    page.wait_for_timeout(max(0, 5_000 - (time.monotonic() - loaded_at) * 1000))
    assert polls == [], "a gallery with nothing in flight polled"


# --- 8. favourite and the favourites filter ---------------------------------------------


def test_star_a_card_then_filter_favourites(logged_in_page: Page, user):
    gens = [finished_generation(user, prompt=f"orchard study {n}") for n in range(3)]
    page = logged_in_page
    page.reload()
    navigations = watch_navigation(page)
    expect(page.locator(CARDS)).to_have_count(3)

    starred = card(page, str(gens[1].pk))
    star = starred.locator("button.star")
    expect(star).to_have_attribute("aria-pressed", "false")
    star.click()
    expect(starred.locator("button.star")).to_have_attribute("aria-pressed", "true")
    expect(starred).to_have_class(re.compile(r"\bis-favourite\b"))

    page.get_by_label("Favourites").check()
    expect(page.locator(CARDS)).to_have_count(1)
    assert card_ids(page) == [str(gens[1].pk)]
    page.get_by_label("Favourites").uncheck()
    expect(page.locator(CARDS)).to_have_count(3)
    assert_no_navigation(page, navigations)
    assert [f.generation for f in Favourite.objects.filter(user=user)] == [gens[1]]

    # From the keyboard, focus stays on the star that was pressed (the card is redrawn).
    other = card(page, str(gens[2].pk)).locator("button.star")
    other.focus()
    page.keyboard.press("Enter")
    expect(card(page, str(gens[2].pk)).locator("button.star")).to_have_attribute(
        "aria-pressed", "true"
    )
    expect(card(page, str(gens[2].pk)).locator("button.star")).to_be_focused()


def test_back_after_filtering_shows_the_filters_the_address_says(logged_in_page: Page, user):
    finished_generation(user, prompt="a fox in snow")
    finished_generation(user, prompt="a harbour at night")
    page = logged_in_page
    page.reload()
    search = page.locator("#filter-q")
    search.fill("fox")
    expect(page.locator(CARDS)).to_have_count(1)
    expect(page).to_have_url(re.compile(r"/\?q=fox$"))
    page.locator("#filter-state").select_option("failed")
    expect(page.locator(CARDS)).to_have_count(0)
    page.go_back()
    expect(page).to_have_url(re.compile(r"/\?q=fox$"))
    expect(page.locator("#filter-q")).to_have_value("fox")
    expect(page.locator("#filter-state")).to_have_value("")
    expect(page.locator(CARDS)).to_have_count(1)


def test_the_team_page_filters_and_loads_more_from_its_own_address(
    logged_in_page: Page, user, live_server
):
    colleague = get_user_model().objects.create_user("grace", password="pw-grace-123")
    team = Team.objects.create(name="Design", slug="design")
    Membership.objects.create(team=team, user=user, role=Membership.Role.VIEWER)
    Membership.objects.create(team=team, user=colleague, role=Membership.Role.EDITOR)
    call_command("seed_gallery", colleague.username, count=26, stdout=io.StringIO())
    finished_generation(colleague, prompt="a quokka on a bench")
    Generation.objects.filter(user=colleague).update(team=team)
    page = logged_in_page
    page.goto(f"{live_server.url}/teams/design/")
    navigations = watch_navigation(page)
    expect(page.locator(CARDS)).to_have_count(24)

    page.get_by_role("link", name="Load more").click()
    expect(page.locator(CARDS)).to_have_count(27)
    # Still the team page's own address; `through` lets Back redraw all 27.
    expect(page).to_have_url(re.compile(rf"^{live_server.url}/teams/design/\?through=[\w-]+$"))

    page.locator("#filter-q").fill("quokka")
    expect(page.locator(CARDS)).to_have_count(1)
    expect(page).to_have_url(f"{live_server.url}/teams/design/?q=quokka")
    assert_no_navigation(page, navigations)
    expect(page.locator(CARDS).first).to_contain_text("by grace")


def test_a_repeated_ctrl_enter_submits_once(logged_in_page: Page):
    page = logged_in_page
    page.reload()
    prompt = page.locator("#composer-form [name=prompt]")
    prompt.fill("only once please")
    # Ctrl held, Enter held: the key repeats, the submit must not.
    page.keyboard.down("Control")
    for _ in range(4):
        page.keyboard.down("Enter")
    page.keyboard.up("Enter")
    page.keyboard.up("Control")
    expect(page.locator(CARDS)).to_have_count(1)
    page.wait_for_timeout(1500)
    assert Generation.objects.filter(prompt="only once please").count() == 1


# --- 9. keyboard ------------------------------------------------------------------------


def test_keyboard_skip_link_tab_order_and_visible_focus(logged_in_page: Page):
    page = logged_in_page
    page.reload()
    active = "() => { const e = document.activeElement; return e.name || e.id || e.className; }"

    page.keyboard.press("Tab")
    skip = page.locator("a.skip")
    expect(skip).to_be_focused()
    box = skip.bounding_box()
    assert box and box["x"] >= 0 and box["y"] >= 0, f"the focused skip link is off-screen: {box}"
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"#main$"))
    page.keyboard.press("Tab")
    assert page.evaluate("() => !!document.activeElement.closest('main')"), page.evaluate(active)
    expect(page.locator("#composer-form [name=prompt]")).to_be_focused()

    expected = ["type", "image_ref", "image_ref_url", "aspect_ratio", "style", "model"]
    expected += ["output_format", "web_search"]
    visited: list[str] = []
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.type === 'submit'"):
            break
        name = page.evaluate(active)
        if not visited or visited[-1] != name:
            visited.append(name)
    else:
        pytest.fail(f"Tab never reached Generate; went through {visited}")
    fields = [n for n in visited if n in expected]
    assert fields == expected, f"tab order {visited}"
    submit = page.locator("#composer-form button[type=submit]")
    expect(submit).to_be_focused()
    outline = submit.evaluate(
        "b => [b.matches(':focus-visible'), getComputedStyle(b).outlineStyle]"
    )
    assert outline[0] and outline[1] != "none", f"no visible focus on Generate: {outline}"


# --- 10. an error answer is said, not swallowed ----------------------------------------


def test_an_error_answer_to_an_htmx_submit_is_shown_and_the_form_kept(
    logged_in_page: Page, settings
):
    settings.UPLOAD_MAX_BYTES = 1000  # the live server runs in this process: it sees this
    page = logged_in_page
    form = page.locator("#composer-form")
    form.locator("[name=prompt]").fill("a heavy request")
    # A real image (the page would leave out one it cannot draw) made heavy by trailing bytes.
    heavy = image_bytes("PNG", size=(16, 16)) + b"\0" * 1_200_000
    big = {"name": "big.png", "mimeType": "image/png", "buffer": heavy}
    form.locator("input[name=image_ref]").set_input_files([big])
    form.locator("button[type=submit]").click()
    expect(page.locator("#toast")).to_be_visible()
    expect(page.locator("#toast")).to_contain_text("too large")
    expect(form.locator("[name=prompt]")).to_have_value("a heavy request")
    assert Generation.objects.count() == 0
