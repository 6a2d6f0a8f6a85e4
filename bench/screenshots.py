"""Screenshots of the studio for the README: `make screenshots`.

Starts a studio of its own (a throwaway SQLite database and media folder, the built-in
simulator, `runserver` and `qcluster` on a free port), fills a gallery through the real
form, drives it in the system Chromium with Playwright and writes PNGs into
docs/screenshots/. Works offline; nothing outside the temporary folder is touched except
the PNGs.

The in-flight cards are made to stay put while they are photographed: the worker is
restarted with a very slow simulator for `queued`, one simulated job is moved back in time
for `processing`, and the worker is stopped before the last submit, which stays `pending`.
"""

from __future__ import annotations

import io
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from datetime import timedelta
from pathlib import Path
from typing import Any

import django
from PIL import Image, ImageDraw
from playwright.sync_api import Browser, Page, expect, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from studio.core import processes  # noqa: E402
from tests.browser.chromium import CHROMIUM  # noqa: E402
from tests.browser.chromium import CHROMIUM_ARGS as BROWSER_ARGS  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
CHROMIUM_ARGS = [*BROWSER_ARGS, "--hide-scrollbars"]
USERNAME, PASSWORD = "demo", "demo-studio"  # what `manage.py ensure_demo` creates
DESKTOP: dict[str, Any] = {"viewport": {"width": 1440, "height": 1000}}
PHONE: dict[str, Any] = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}
FAST_SECONDS = "3"  # simulated job length while the finished cards are made
SLOW_SECONDS = "7200"  # then: `queued` for the first quarter of that, `processing` after
IN_FLIGHT = '#gallery [data-state="pending"], #gallery [data-state="queued"], '
IN_FLIGHT += '#gallery [data-state="processing"]'
CARDS = "#gallery [data-generation-id]"
LOAD_ALL_IMAGES = """async () => {
  await document.fonts.ready;
  const images = Array.from(document.images);
  images.forEach((img) => { img.loading = "eager"; });
  await Promise.all(images.map((img) => img.complete ? null : new Promise((done) => {
    img.addEventListener("load", done, { once: true });
    img.addEventListener("error", done, { once: true });
  })));
}"""


# -- processes -------------------------------------------------------------------------
class Proc:
    """A manage.py subprocess in its own process group, logging to a file."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], logs: Path) -> None:
        self.name = name
        self.log_path = logs / f"{name}.log"
        self.log = self.log_path.open("ab")
        self.proc = processes.start_logged(
            [sys.executable, str(ROOT / "manage.py"), *args], cwd=ROOT, env=env, log=self.log
        )

    def check_alive(self) -> None:
        if self.proc.poll() is not None:
            raise RuntimeError(f"{self.name} exited with code {self.proc.returncode}")

    def stop(self, grace: float = 8.0) -> None:
        """SIGTERM (qcluster then stops its pool), SIGKILL to the group after `grace`."""
        try:
            processes.stop(self.proc, grace=grace)
        finally:
            self.log.close()

    def tail(self, lines: int = 25) -> str:
        text = self.log_path.read_text(errors="replace")
        return "\n".join(text.splitlines()[-lines:]) or "(nothing logged)"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )


def wait_until_up(url: str, server: Proc, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        server.check_alive()
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url} did not answer within {timeout:.0f} s")
        time.sleep(0.2)


# -- test images -------------------------------------------------------------------------
def sketch_png(size: tuple[int, int] = (640, 480)) -> bytes:
    """A small, recognisable reference image."""
    img = Image.new("RGB", size, (236, 229, 214))
    draw = ImageDraw.Draw(img)
    w, h = size
    draw.rectangle((0, h * 0.62, w, h), fill=(196, 214, 186))
    draw.ellipse((w * 0.62, h * 0.08, w * 0.82, h * 0.35), fill=(245, 178, 73))
    draw.polygon(
        [(w * 0.1, h * 0.62), (w * 0.35, h * 0.2), (w * 0.6, h * 0.62)], fill=(92, 98, 140)
    )
    draw.polygon(
        [(w * 0.4, h * 0.62), (w * 0.58, h * 0.32), (w * 0.8, h * 0.62)], fill=(70, 74, 112)
    )
    buffer = io.BytesIO()
    img.save(buffer, "PNG")
    return buffer.getvalue()


# -- driving the studio ----------------------------------------------------------------
class Studio:
    def __init__(self, base: str, env: dict[str, str]) -> None:
        self.base = base
        self.env = env

    def log_in(self, page: Page) -> None:
        page.goto(f"{self.base}/accounts/login/")
        form = page.locator("form").filter(has=page.locator("[name=password]"))
        form.locator("[name=username]").fill(USERNAME)
        form.locator("[name=password]").fill(PASSWORD)
        form.locator("[type=submit]").click()
        expect(page).to_have_url(f"{self.base}/")

    def fill(
        self,
        page: Page,
        prompt: str,
        *,
        ratio: str = "1:1",
        style: str = "auto",
        model: str = "uni-1",
        output_format: str = "png",
        refs: list[dict[str, Any]] | None = None,
        count: int = 1,
    ) -> None:
        form = page.locator("#composer-form")
        form.locator("[name=prompt]").fill(prompt)
        form.locator("[name=count]").fill(str(count))
        form.locator(f'input[name=aspect_ratio][value="{ratio}"]').check()
        form.locator("select[name=style]").select_option(style)
        form.locator("select[name=model]").select_option(model)
        form.locator("select[name=output_format]").select_option(output_format)
        if refs:
            form.locator("input[name=image_ref]").set_input_files(refs)

    def submit(self, page: Page, prompt: str, *, fresh: bool = True, **fields: Any) -> int:
        """Submit through the form (htmx); returns the id of the card that appears."""
        if fresh:
            page.goto(f"{self.base}/")
        cards = page.locator(CARDS)
        before = cards.count()
        self.fill(page, prompt, **fields)
        page.locator("#composer-form button[type=submit]").click()
        expect(cards).to_have_count(before + fields.get("count", 1))
        return int(cards.first.get_attribute("data-generation-id") or 0)

    def card(self, page: Page, gen_id: int):
        return page.locator(f'#gallery [data-generation-id="{gen_id}"]')


def backdate_simulated_job(gen_id: int, seconds: int) -> None:
    """Move the simulator's job back in time so that it reports `processing` now."""
    # Here, not at the top: Django is set up in main(), from the studio this script starts.
    from django.db import connection

    from studio.generations.models import Generation
    from studio.simulator.models import SimulatedJob

    try:
        upstream_id = Generation.objects.get(pk=gen_id).upstream_id
        job = SimulatedJob.objects.get(pk=upstream_id)
        job.created_at -= timedelta(seconds=seconds)
        job.save(update_fields=["created_at"])
    finally:
        connection.close()  # hold no SQLite handle while the server and worker write


def shoot(page: Page, name: str, saved: list[Path], **options: Any) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / name
    # Cards load their thumbnails lazily: a full-page shot must not catch them empty.
    page.evaluate(LOAD_ALL_IMAGES)
    page.mouse.move(0, 0)  # no stray :hover where the last click was
    viewport = page.viewport_size
    width = viewport["width"] if viewport else 0
    too_wide = page.evaluate("document.documentElement.scrollWidth") - width
    if viewport and too_wide > 0:
        print(f"warning: {name}: the page is {too_wide} px wider than the window", file=sys.stderr)
    if options.get("full_page") and viewport:
        # Grow the window to the whole page, so that sticky and fixed elements sit where they
        # would at the end of a real scroll instead of at the first screen's bottom edge.
        height = page.evaluate("document.documentElement.scrollHeight")
        page.set_viewport_size(
            {"width": viewport["width"], "height": max(height, viewport["height"])}
        )
    try:
        page.screenshot(path=str(path), animations="disabled", caret="hide", **options)
    finally:
        if viewport:
            page.set_viewport_size(viewport)
    saved.append(path)


def clip_of(page: Page, selector: str, *, until: str | None = None, pad: int = 12) -> dict:
    """A page-coordinates clip from the top of `selector` to the bottom of `until` (or of
    `selector`), `pad` pixels more at the bottom and a little at the top."""
    box = page.locator(selector).first.bounding_box()
    end = page.locator(until or selector).first.bounding_box()
    if box is None or end is None:
        raise RuntimeError(f"{selector} or {until} is not on the page")
    scroll_y = page.evaluate("window.scrollY")
    top = max(0, box["y"] + scroll_y - 4)
    bottom = end["y"] + scroll_y + end["height"] + pad
    width = page.viewport_size["width"] if page.viewport_size else 1440
    return {"x": 0, "y": top, "width": width, "height": bottom - top}


def make_team(env: dict[str, str]) -> None:
    """A "Design" team the demo owns, with alice (editor) and carol (viewer): three of the
    demo's finished images shared with it, and six of alice's."""
    # Here, not at the top: Django is set up in main(), from the studio this script starts.
    from django.contrib.auth import get_user_model
    from django.db import connection

    from studio.generations import services
    from studio.generations.models import Generation, State
    from studio.teams import services as teams

    try:
        demo = get_user_model().objects.get(username=USERNAME)
        team = teams.create_team(name="Design", owner=demo)
        for name, role in (("alice", "editor"), ("carol", "viewer")):
            user = get_user_model().objects.create_user(name, password=secrets.token_urlsafe())
            teams.add_member(team=team, user=user, role=role)
        done = Generation.objects.filter(user=demo, state=State.COMPLETED, batch=None)
        for gen in done.order_by("-created_at")[:3]:
            services.share(user=demo, generation=gen, team=team)
    finally:
        connection.close()  # hold no SQLite handle while the server and worker write
    manage(env, "seed_gallery", "alice", "--count", "6", "--seed", "3", "--team", "design")


# -- the run ---------------------------------------------------------------------------
def make_gallery(studio: Studio, page: Page, start_worker, stop_worker) -> dict[str, int]:
    """Finished cards with a fast simulator, then the in-flight ones. Returns some ids."""
    ids: dict[str, int] = {}
    start_worker(FAST_SECONDS)
    sketch = {"name": "hills-sketch.png", "mimeType": "image/png", "buffer": sketch_png()}
    ids["moderated"] = studio.submit(
        page, "a crowded beach at noon, photorealistic [simulate:content_moderated]", ratio="3:2"
    )
    ids["lighthouse"] = studio.submit(
        page, "a lighthouse on a basalt cliff at dusk, long exposure, waves in mist", ratio="16:9"
    )
    ids["panorama"] = studio.submit(
        page, "panorama of a mountain range above a sea of clouds at sunrise", ratio="3:1"
    )
    ids["manga"] = studio.submit(
        page,
        "a girl on a bicycle racing a train along the coast, speed lines",
        ratio="2:3",
        style="manga",
    )
    ids["fox"] = studio.submit(
        page,
        "a red fox curled up in fresh snow under birch trees, soft morning light",
        ratio="1:1",
        model="uni-1-max",
        refs=[sketch],
    )
    ids["alley"] = studio.submit(
        page, "a neon-lit alley in the rain, reflections on wet cobbles", ratio="9:16"
    )
    ids["failed"] = studio.submit(
        page, "a glass greenhouse full of orchids [simulate:generation_failed]"
    )
    # A batch of four variations of one prompt, for the compare page.
    batch_card = studio.submit(
        page, "a paper lantern festival on a mountain lake at night, long exposure", count=4
    )
    ids["batch"] = int(studio.card(page, batch_card).get_attribute("data-batch-id") or 0)
    expect(page.locator(IN_FLIGHT)).to_have_count(0, timeout=90_000)
    # An edit of a finished image, through "Edit this image" on its detail page.
    page.goto(f"{studio.base}/generations/{ids['lighthouse']}/")
    page.get_by_role("link", name="Edit this image").click()
    expect(page.locator("#composer-form [data-kept] img")).to_be_visible()
    ids["edit"] = studio.submit(
        page,
        "the same lighthouse in a snowstorm at night, beam cutting the snow",
        fresh=False,
        ratio="16:9",
    )
    expect(page.locator(IN_FLIGHT)).to_have_count(0, timeout=90_000)
    studio.card(page, ids["fox"]).locator("button.star").click()
    expect(studio.card(page, ids["fox"]).locator("button.star")).to_have_attribute(
        "aria-pressed", "true"
    )
    stop_worker()

    # In flight: a slow simulator keeps a job `queued` for half an hour...
    start_worker(SLOW_SECONDS)
    ids["processing"] = studio.submit(page, "an orchard in autumn, ladders against the trees")
    ids["queued"] = studio.submit(page, "a teapot shaped like a snail, studio photograph")
    for key in ("processing", "queued"):
        expect(studio.card(page, ids[key])).to_have_attribute("data-state", "queued")
    # ...and one moved back past that quarter reports `processing`.
    backdate_simulated_job(ids["processing"], int(float(SLOW_SECONDS) * 0.5))
    expect(studio.card(page, ids["processing"])).to_have_attribute(
        "data-state", "processing", timeout=60_000
    )
    stop_worker()
    # With no worker, nothing sends the last one upstream: it stays `pending`.
    ids["pending"] = studio.submit(page, "a harbour at night with lanterns on the water")
    return ids


def shoot_team(studio: Studio, page: Page, mobile: Page, saved: list[Path]) -> None:
    """The team gallery, every card naming its author, and the team's members page."""
    make_team(studio.env)
    for p, suffix in ((page, "desktop"), (mobile, "phone")):
        p.goto(f"{studio.base}/teams/design/")
        expect(p.locator(f"{CARDS} [data-author]").first).to_be_visible()
        p.wait_for_load_state("networkidle")
        if suffix == "desktop":
            shoot(p, "team-desktop.png", saved, full_page=True)
        else:
            clip = clip_of(p, "h1", until=f"{CARDS} >> nth=2")
            shoot(p, "team-phone.png", saved, full_page=True, clip=clip)
        p.goto(f"{studio.base}/teams/design/members/")
        if suffix == "desktop":  # one open invitation link, listed on both
            p.get_by_label("Invite as").select_option("editor")
            p.get_by_label("How many people may use it").fill("5")
            p.get_by_role("button", name="Make an invitation link").click()
        expect(p.locator("[data-invitation]").first).to_be_visible()
        p.wait_for_load_state("networkidle")
        shoot(p, f"members-{suffix}.png", saved, full_page=True)
        p.emulate_media(color_scheme="dark")
        p.reload()
        shoot(p, f"members-dark-{suffix}.png", saved, full_page=True)
        p.emulate_media(color_scheme="light")


def shoot_login(browser: Browser, studio: Studio, saved: list[Path]) -> None:
    """The sign-in page as a signed-out person sees it: the identity provider's button
    (studio_env names one) above the password form, light and dark."""
    for options, suffix in ((DESKTOP, "desktop"), (PHONE, "phone")):
        for scheme in ("light", "dark"):
            context = browser.new_context(**options, color_scheme=scheme)
            page = context.new_page()
            page.goto(f"{studio.base}/accounts/login/")
            expect(page.get_by_role("link", name="Sign in with Acme SSO")).to_be_visible()
            name = "login" if scheme == "light" else "login-dark"
            shoot(page, f"{name}-{suffix}.png", saved)
            context.close()


def shoot_collection(studio: Studio, page: Page, mobile: Page, saved: list[Path]) -> None:
    """A collection made as a person would (named on /collections/, filled from the
    gallery's selection), its page in light and dark, on a desktop and a phone."""
    page.goto(f"{studio.base}/collections/")
    page.locator("#collection-name").fill("Coast and mountains")
    page.get_by_role("button", name="Create collection").click()
    expect(page.locator("h1")).to_have_text("Coast and mountains")
    page.goto(f"{studio.base}/")
    show_tab(page, "gallery")
    page.locator("[data-select-mode]").click()
    page.locator("[data-select-all]").click()
    page.get_by_role("button", name="Add to collection").click()
    expect(page.locator(".messages")).to_contain_text("added to Coast and mountains")
    page.goto(f"{studio.base}/collections/")
    url = page.locator(".collection-name a").first.get_attribute("href")
    for p, suffix in ((page, "desktop"), (mobile, "phone")):
        for scheme in ("light", "dark"):
            p.emulate_media(color_scheme=scheme)
            p.goto(f"{studio.base}{url}")
            expect(p.locator(f"{CARDS} img").first).to_be_visible()
            p.wait_for_load_state("networkidle")
            name = "collection" if scheme == "light" else "collection-dark"
            shoot(p, f"{name}-{suffix}.png", saved, full_page=suffix == "desktop")
        p.emulate_media(color_scheme="light")
        p.goto(f"{studio.base}/collections/")
        p.wait_for_load_state("networkidle")
        shoot(p, f"collections-{suffix}.png", saved)


def make_public_link(page: Page, *, prompt: bool = False, expires: str = "never") -> str:
    """Make a link with the "Public link" panel of the page shown; returns its address."""
    panel = page.locator("#public-links")
    panel.locator("summary").click()
    if prompt:
        panel.get_by_label("Show the prompt").check()
    panel.get_by_label("Expires").select_option(expires)
    panel.get_by_role("button", name="Make a public link").click()
    expect(page.locator(".messages")).to_contain_text("Public link made")
    return page.locator("#public-links [data-new-link] [data-link-url]").input_value()


def shoot_links(
    browser: Browser, studio: Studio, page: Page, mobile: Page, fox: int, saved: list[Path]
) -> None:
    """Public links: one made from an image's detail page (with its prompt, for 30 days), one
    to the collection; the panel, the owner's /settings/links/, and each link as someone not
    signed in sees it, on a desktop and a phone, light and dark."""
    page.goto(f"{studio.base}/generations/{fox}/")
    image_address = make_public_link(page, prompt=True, expires="30")
    detail_url = page.url
    page.goto(f"{studio.base}/collections/")
    page.goto(studio.base + (page.locator(".collection-name a").first.get_attribute("href") or ""))
    collection_address = make_public_link(page)
    for p, suffix in ((page, "desktop"), (mobile, "phone")):
        p.goto(detail_url)
        p.wait_for_load_state("networkidle")
        shoot(
            p, f"link-panel-{suffix}.png", saved, full_page=True, clip=clip_of(p, "#public-links")
        )
        for scheme in ("light", "dark"):
            p.emulate_media(color_scheme=scheme)
            p.goto(f"{studio.base}/settings/links/")
            expect(p.locator("[data-public-link] img").first).to_be_visible()
            p.wait_for_load_state("networkidle")
            name = "links" if scheme == "light" else "links-dark"
            shoot(p, f"{name}-{suffix}.png", saved, full_page=True)
        p.emulate_media(color_scheme="light")
    for options, suffix in ((DESKTOP, "desktop"), (PHONE, "phone")):
        for scheme in ("light", "dark"):
            context = browser.new_context(**options, color_scheme=scheme)
            visitor = context.new_page()
            dark = "" if scheme == "light" else "-dark"
            for address, name in (
                (image_address, "public-link"),
                (collection_address, "public-collection"),
            ):
                visitor.goto(address)
                expect(visitor.locator("main img").first).to_be_visible()
                visitor.wait_for_load_state("networkidle")
                # A phone shows a collection's first screen: the whole page is a long column.
                whole = suffix == "desktop" or name == "public-link"
                shoot(visitor, f"{name}{dark}-{suffix}.png", saved, full_page=whole)
            context.close()


def run(browser: Browser, studio: Studio, start_worker, stop_worker) -> list[Path]:
    saved: list[Path] = []
    shoot_login(browser, studio, saved)
    desktop = browser.new_context(**DESKTOP)
    desktop.set_default_timeout(20_000)
    page = desktop.new_page()
    studio.log_in(page)
    ids = make_gallery(studio, page, start_worker, stop_worker)

    phone = browser.new_context(**PHONE)
    phone.set_default_timeout(20_000)
    mobile = phone.new_page()
    studio.log_in(mobile)

    # The studio, every state on show.
    for p in (page, mobile):
        p.goto(f"{studio.base}/")
        show_tab(p, "gallery")
        expect(p.locator(f"{CARDS} img").first).to_be_visible()
        p.wait_for_load_state("networkidle")
    shoot(page, "studio-desktop.png", saved, full_page=True)
    # On a phone the studio is two tabs: the Gallery tab with its cards down to the last
    # state shown, the tab bar itself on the first screen, then the Create tab's form.
    show_tab(mobile, "gallery")
    shoot(mobile, "tabs-phone.png", saved)
    first_failed = f'{CARDS}[data-generation-id="{ids["failed"]}"]'
    clip = clip_of(mobile, ".gallery-wrap", until=first_failed)
    shoot(mobile, "studio-phone.png", saved, full_page=True, clip=clip)
    show_tab(mobile, "create")
    clip = clip_of(mobile, ".composer", pad=20)
    shoot(mobile, "composer-phone.png", saved, full_page=True, clip=clip)
    shoot_dark_and_viewer(studio, page, mobile, saved)

    # The detail of a completed generation (with a reference) and of a failed one.
    for key, name in (("fox", "detail"), ("failed", "detail-failed")):
        for p, suffix in ((page, "desktop"), (mobile, "phone")):
            p.goto(f"{studio.base}/generations/{ids[key]}/")
            p.wait_for_load_state("networkidle")
            shoot(p, f"{name}-{suffix}.png", saved, full_page=True)

    # A batch's compare page: 2×2 on a desktop, a swipeable strip on a phone.
    for p, suffix in ((page, "desktop"), (mobile, "phone")):
        p.goto(f"{studio.base}/batches/{ids['batch']}/")
        expect(p.locator(".compare-item img")).to_have_count(4)
        p.wait_for_load_state("networkidle")
        shoot(p, f"compare-{suffix}.png", saved, full_page=suffix == "desktop")

    # The gallery in selection mode: three cards ticked, the bulk actions and their count.
    for p, suffix in ((page, "desktop"), (mobile, "phone")):
        p.goto(f"{studio.base}/")
        expect(p.locator(f"{CARDS} img").first).to_be_visible()
        show_tab(p, "gallery")
        p.locator("[data-select-mode]").click()
        for n in range(3):
            p.locator(f"{CARDS} [data-select]").nth(n).check()
        expect(p.locator("[data-selected-count]")).to_have_text("3 selected")
        p.wait_for_load_state("networkidle")
        if suffix == "desktop":
            shoot(p, "select-desktop.png", saved, full_page=True)
        else:
            clip = clip_of(p, ".gallery-wrap", until=f"{CARDS} >> nth=3")
            shoot(p, "select-phone.png", saved, full_page=True, clip=clip)

    shoot_team(studio, page, mobile, saved)
    shoot_collection(studio, page, mobile, saved)
    shoot_links(browser, studio, page, mobile, ids["fox"], saved)

    # A form error the server finds (the page itself leaves out what it can judge: a wrong
    # type, too many bytes, a file it cannot draw): a scan over the pixel limit among the
    # references; the rest is kept.
    scan = io.BytesIO()
    Image.new("L", (6400, 6400), 250).save(scan, "PNG")  # 41 megapixels, a few KB
    notes = {"name": "poster-scan.png", "mimeType": "image/png", "buffer": scan.getvalue()}
    sketch = {"name": "hills-sketch.png", "mimeType": "image/png", "buffer": sketch_png()}
    for p, suffix in ((page, "desktop"), (mobile, "phone")):
        p.goto(f"{studio.base}/")
        show_tab(p, "create")
        studio.fill(
            p,
            "a watercolour map of an imaginary island, compass rose, sea serpents",
            ratio="3:2",
            style="manga",
            refs=[sketch, notes],
        )
        p.locator("#composer-form button[type=submit]").click()
        expect(p.locator("#composer-form .error-summary")).to_be_visible()
        expect(p.locator("#composer-form [data-kept] img")).to_be_visible()
        p.wait_for_load_state("networkidle")
        if suffix == "desktop":
            shoot(p, f"form-error-{suffix}.png", saved, full_page=True)
        else:
            clip = clip_of(p, ".composer", until=".field-aspect_ratio")
            shoot(p, f"form-error-{suffix}.png", saved, full_page=True, clip=clip)
    shoot_usage(studio, page, mobile, saved)

    shoot_review(browser, studio, page, ids["moderated"], saved)
    # Last: once suspended, the demo account can no longer submit.
    shoot_suspended(studio, page, mobile, saved)
    desktop.close()
    phone.close()
    return saved


def show_tab(page: Page, name: str) -> None:
    """On a phone, open the studio's Create or Gallery tab (no tabs on a desktop)."""
    tab = page.locator(f"#tab-{name}")
    if tab.is_visible():
        tab.click()
        expect(tab).to_have_attribute("aria-selected", "true")


def shoot_dark_and_viewer(studio: Studio, page: Page, mobile: Page, saved: list[Path]) -> None:
    """The studio in the dark theme (the system's choice), and the full-screen viewer opened
    from a card, on a desktop and a phone."""
    for p, suffix in ((page, "desktop"), (mobile, "phone")):
        p.emulate_media(color_scheme="dark")
        p.goto(f"{studio.base}/")
        show_tab(p, "gallery")
        expect(p.locator(f"{CARDS} img").first).to_be_visible()
        p.wait_for_load_state("networkidle")
        shoot(p, f"studio-dark-{suffix}.png", saved, full_page=suffix == "desktop")
        p.emulate_media(color_scheme="light")
    for p, suffix in ((page, "desktop"), (mobile, "phone")):
        p.goto(f"{studio.base}/")
        show_tab(p, "gallery")
        p.locator(f"{CARDS} [data-viewer-src]").first.click()
        expect(p.locator("#viewer")).to_be_visible()
        expect(p.locator("#viewer [data-viewer-frame] img")).to_be_visible()
        p.wait_for_load_state("networkidle")
        p.evaluate(
            "Promise.all(Array.from(document.images).map((i) => i.decode().catch(() => null)))"
        )
        shoot(p, f"viewer-{suffix}.png", saved)
        p.keyboard.press("Escape")
        expect(p.locator("#viewer")).to_be_hidden()


def shoot_usage(studio: Studio, page: Page, mobile: Page, saved: list[Path]) -> None:
    """Usage: this month's estimated spend, spend per day, the last 12 months by model and
    type, failures apart, and what is left of a monthly cap."""
    spread_spend(USERNAME)
    for p, suffix in ((page, "desktop"), (mobile, "phone")):
        p.goto(f"{studio.base}/usage/")
        expect(p.locator("[data-spend-chart] rect.bar").first).to_be_attached()
        p.wait_for_load_state("networkidle")
        shoot(p, f"usage-{suffix}.png", saved, full_page=True)


def shoot_suspended(studio: Studio, page: Page, mobile: Page, saved: list[Path]) -> None:
    suspend_demo("repeated content violations (policy 4.2)")
    for p, suffix in ((page, "desktop"), (mobile, "phone")):
        p.goto(f"{studio.base}/")
        show_tab(p, "create")
        expect(p.locator("#composer-form [data-suspended]")).to_be_visible()
        p.wait_for_load_state("networkidle")
        if suffix == "desktop":
            shoot(p, "suspended-desktop.png", saved)
        else:
            clip = clip_of(p, ".composer", pad=20)
            shoot(p, "suspended-phone.png", saved, full_page=True, clip=clip)


REVIEWER, REVIEWER_PASSWORD = "rita", secrets.token_urlsafe(12)


def make_reviewer() -> None:
    """A staff account in the Reviewers group (the migration makes the group)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.db import connection

    try:
        rita = get_user_model().objects.create_user(
            REVIEWER, password=REVIEWER_PASSWORD, is_staff=True
        )
        rita.groups.add(Group.objects.get(name="Reviewers"))
    finally:
        connection.close()


def suspend_demo(reason: str) -> None:
    from django.contrib.auth import get_user_model
    from django.db import connection

    from studio.moderation import suspension

    try:
        demo = get_user_model().objects.get(username=USERNAME)
        suspension.suspend(user=demo, by=None, reason=reason)
    finally:
        connection.close()


def shoot_review(browser: Browser, studio: Studio, page: Page, gen_id: int, saved: list) -> None:
    """The person asks for a review; a reviewer opens the item from the queue."""
    page.goto(f"{studio.base}/generations/{gen_id}/")
    page.locator("textarea[name=note]").fill("It is a beach photo, nothing more.")
    page.get_by_role("button", name="Ask for a review").click()
    expect(page.get_by_text("You asked for a review")).to_be_visible()
    make_reviewer()
    for options, suffix in ((DESKTOP, "desktop"), (PHONE, "phone")):
        context = browser.new_context(**options)
        context.set_default_timeout(20_000)
        staff = context.new_page()
        staff.goto(f"{studio.base}/admin/login/?next=/admin/moderation/moderatedfailure/")
        staff.locator("[name=username]").fill(REVIEWER)
        staff.locator("[name=password]").fill(REVIEWER_PASSWORD)
        staff.locator("[type=submit]").click()
        expect(staff.locator("th.column-review_state")).to_be_visible()
        if suffix == "desktop":
            staff.wait_for_load_state("networkidle")
            shoot(staff, "review-queue-desktop.png", saved)
        staff.goto(f"{studio.base}/admin/moderation/moderatedfailure/{gen_id}/change/")
        staff.wait_for_load_state("networkidle")
        shoot(staff, f"review-item-{suffix}.png", saved, full_page=True)
        context.close()


OFFLINE_UNSET = ("LUMA_AGENTS_API_KEY", "LUMA_BASE_URL", "REDIS_URL")


def studio_env(work: Path) -> dict[str, str]:
    """The environment of the throwaway studio: its own database and media in `work`."""
    env = dict(os.environ)
    for name in OFFLINE_UNSET:
        env.pop(name, None)  # the simulator and the ORM broker: self-contained and offline
    env.update(
        DATABASE_URL=f"sqlite:///{work / 'studio.sqlite3'}",
        MEDIA_ROOT=str(work / "media"),
        DJANGO_SETTINGS_MODULE="studio.settings",
        DJANGO_DEBUG="0",
        # DEBUG off, as in production: the start-up check then wants a real secret key.
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        # A provider for the sign-in page's button; the page itself never asks it anything.
        STUDIO_OIDC_NAME="Acme SSO",
        STUDIO_OIDC_ISSUER="https://sso.example.com/realms/acme",
        STUDIO_OIDC_CLIENT_ID="studio",
        STUDIO_OIDC_CLIENT_SECRET=secrets.token_urlsafe(16),
        PYTHONUNBUFFERED="1",
    )
    return env


def spread_spend(username: str) -> None:
    """Spread the demo's completed jobs over the last weeks (so the usage chart has days to
    show) and give the demo a monthly cap (so the page shows what is left of it)."""
    from decimal import Decimal

    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.utils import timezone

    from studio.generations.models import Generation, State
    from studio.usage import budgets

    try:
        user = get_user_model().objects.get(username=username)
        done = Generation.objects.filter(user=user, state=State.COMPLETED).order_by("pk")
        for i, pk in enumerate(done.values_list("pk", flat=True)):
            at = timezone.now() - timedelta(days=(i * 3) % 29, hours=i % 5)
            Generation.objects.filter(pk=pk).update(created_at=at)
        budgets.set_cap(user=user, monthly=Decimal("2.00"))
    finally:
        connection.close()


def use_studio_here(env: dict[str, str]) -> None:
    """Point this process at the same studio: it reads and moves rows too (see
    backdate_simulated_job)."""
    os.environ.update({k: env[k] for k in ("DATABASE_URL", "MEDIA_ROOT", "DJANGO_SETTINGS_MODULE")})
    for name in OFFLINE_UNSET:
        os.environ.pop(name, None)
    # Playwright's sync API runs an event loop in this thread; the ORM calls are still sync.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    sys.path.insert(0, str(ROOT))


def start_server(env: dict[str, str], work: Path, procs: dict[str, Proc]) -> str:
    """A migrated studio with the demo user, served by runserver on a free port: its URL."""
    manage(env, "migrate", "--noinput")
    # The known-password demo account is refused with DEBUG off; only that step has it.
    manage({**env, "DJANGO_DEBUG": "1"}, "ensure_demo")
    django.setup()  # after use_studio_here(): the settings come from that environment
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    procs["runserver"] = Proc(
        "runserver", ["runserver", "--noreload", f"127.0.0.1:{port}"], env, work
    )
    wait_until_up(f"{base}/accounts/login/", procs["runserver"])
    print(f"Studio on {base} (data in {work})", flush=True)
    return base


def photograph(base: str, env: dict[str, str], work: Path, procs: dict[str, Proc]) -> list[Path]:
    """Drive the studio in Chromium, starting and stopping the worker as `run` asks."""

    def start_worker(seconds: str) -> None:
        worker_env = {**env, "STUDIO_SIMULATOR_SECONDS": seconds}
        procs["qcluster"] = Proc("qcluster", ["qcluster"], worker_env, work)

    def stop_worker() -> None:
        procs.pop("qcluster").stop()

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            return run(browser, Studio(base, env), start_worker, stop_worker)
        finally:
            browser.close()


def report(saved: list[Path], started: float) -> None:
    for path in saved:
        with Image.open(path) as img:
            size = f"{img.width}×{img.height}"
        kb = path.stat().st_size / 1024
        print(f"saved {path.relative_to(ROOT)}  {size}  {kb:.0f} KB")
    print(f"{len(saved)} screenshots in {time.monotonic() - started:.0f} s")


def main() -> int:
    started = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="studio-screenshots-"))
    env = studio_env(work)
    use_studio_here(env)

    # SIGTERM (as from a CI timeout) unwinds through the `finally` below like Ctrl-C.
    def terminate(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, terminate)

    procs: dict[str, Proc] = {}
    ok = False
    try:
        if not os.path.exists(CHROMIUM):
            raise RuntimeError(f"{CHROMIUM} is missing: `make browser-deps` installs it")
        base = start_server(env, work, procs)
        saved = photograph(base, env, work, procs)
        ok = True
    except BaseException:
        for proc in procs.values():
            print(f"--- {proc.name} log ({proc.log_path}) ---\n{proc.tail()}", file=sys.stderr)
        raise
    finally:
        for proc in list(procs.values()):
            proc.stop()
        if ok:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"Kept the studio's data and logs in {work}", file=sys.stderr)

    report(saved, started)
    return 0


if __name__ == "__main__":
    sys.exit(main())
