"""Every page the studio renders works under a CSP without 'unsafe-inline' or 'unsafe-eval':
no inline <script> or <style>, no style= or on*= attributes, no javascript: links, and no
htmx feature that evaluates strings (js:/javascript: values, [..] trigger filters, hx-on)."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model

from studio.collections.services import create_collection
from studio.generations.forms import GenerationForm
from studio.links.services import make_link, path_of
from studio.upstream import facts
from tests.security.helpers import completed, failed, in_flight

pytestmark = pytest.mark.django_db

EVAL_VALUE = re.compile(r"^\s*(js|javascript):", re.I)
# htmx's trigger filter: `[` right after an event name, or after `every <interval>`
# (a `[` inside a from: selector is CSS, not code).
TRIGGER_FILTER = re.compile(r"(?:^|,)\s*(?:every\s+[^\s,\[]+\s*|[^\s,\[]+)\[")


class InlineCode(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []
        self._script_without_src = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "style":
            self.problems.append("<style> element")
        # A JSON data block (json_script) is never executed; any other script needs a src.
        if tag == "script" and "src" not in a and a.get("type") != "application/json":
            self.problems.append(f"inline <script {a}>")
        for name, value in attrs:
            value = value or ""
            if name == "style":
                self.problems.append(f"style= on <{tag}>")
            if name.startswith("on") or name.startswith("hx-on"):
                self.problems.append(f"{name}= on <{tag}>")
            if name in ("href", "src", "action", "formaction") and EVAL_VALUE.match(value):
                self.problems.append(f"{name}={value!r} on <{tag}>")
            if name.startswith(("hx-", "data-hx-")) and EVAL_VALUE.match(value):
                self.problems.append(f"{name}={value!r} on <{tag}> (htmx would eval it)")
            if name in ("hx-trigger", "data-hx-trigger") and TRIGGER_FILTER.search(value):
                self.problems.append(f"{name}={value!r}: a trigger filter is eval")


def problems_in(html: str) -> list[str]:
    parser = InlineCode()
    parser.feed(html)
    found = parser.problems
    # A multi-line {# #} is not a Django comment: it would be printed into the page.
    if "{#" in html or "#}" in html:
        found.append("template comment text leaked into the page")
    return found


@pytest.fixture
def staff(db):
    return get_user_model().objects.create_superuser("root", password="pw-root-123")


def test_no_page_needs_inline_code_or_eval(client, owner, team, staff):
    done = completed(owner, prompt="done")
    broken = failed(owner, prompt="broken", code="content_moderated", reason="flagged")
    running = in_flight(owner, prompt="running")
    for gen in (done, broken, running):
        gen.team = team
        gen.save(update_fields=["team"])
    collection = create_collection(user=owner, name="Mine")
    image_link = make_link(user=owner, generation=done, show_prompt=True)
    collection_link = make_link(user=owner, collection=collection)
    urls = {
        "login": "/accounts/login/",
        "public link": path_of(image_link),
        "public link (collection)": path_of(collection_link),
        "public link gone": "/s/nothing/",
    }
    anon = {name: client.get(url) for name, url in urls.items()}
    gone = anon.pop("public link gone")
    assert gone.status_code == 404 and problems_in(gone.content.decode()) == []
    client.force_login(owner)
    urls = {
        "studio": "/",
        "studio filtered": "/?q=x&state=failed&favourite=1",
        "detail completed": f"/generations/{done.pk}/",
        "detail failed": f"/generations/{broken.pk}/",
        "detail running": f"/generations/{running.pk}/",
        "trash": "/trash/",
        "public links": "/settings/links/",
        "detail with its public link": f"/generations/{done.pk}/?link={image_link.pk}",
        "collection with its public link": f"/collections/{collection.pk}/",
        "make a public link": f"/generations/{done.pk}/link/",
        "team gallery": f"/teams/{team.slug}/",
        "remix": f"/?remix={done.pk}",
        "poll": f"/gallery/poll/?ids={running.pk},{done.pk}",
    }
    pages = {**anon, **{name: client.get(url) for name, url in urls.items()}}
    htmx = {
        "gallery fragment": client.get("/", headers={"HX-Request": "true"}),
        "bad form (htmx)": client.post(
            "/generations/", {"prompt": ""}, headers={"HX-Request": "true"}
        ),
        "bad form": client.post("/generations/", {"prompt": ""}),
    }
    pages.update(htmx)
    client.force_login(staff)
    for name, url in {
        "admin index": "/admin/",
        "admin generations": "/admin/generations/generation/",
        "admin generation": f"/admin/generations/generation/{done.pk}/change/",
    }.items():
        pages[name] = client.get(url)
    for name, response in pages.items():
        assert response.status_code in (200, 400), (name, response.status_code)
        assert problems_in(response.content.decode()) == [], name


def test_every_aspect_ratio_has_its_shape_in_the_stylesheet():
    css = (Path(settings.BASE_DIR) / "static/css/composer.css").read_text()
    form = GenerationForm()
    sizes = {str(o["radio"].data["value"]): (o["w"], o["h"]) for o in form.ratio_options()}
    assert sorted(sizes) == sorted(facts.ASPECT_RATIOS)
    for ratio, (w, h) in sizes.items():
        rule = f'.ratio-shape[data-ratio="{ratio}"] {{ width: {w}px; height: {h}px; }}'
        assert rule in css, rule


def test_htmx_runs_with_eval_off_and_no_injected_styles(owner_client):
    page = owner_client.get("/").content.decode()
    config = re.search(r"<meta name=\"htmx-config\" content='([^']*)'>", page)
    assert config, "no htmx-config meta tag"
    assert '"allowEval": false' in config.group(1)
    assert '"includeIndicatorStyles": false' in config.group(1)


def test_the_parser_catches_what_it_must():
    bad = [
        "<script>alert(1)</script>",
        '<div style="color:red"></div>',
        '<a href="javascript:alert(1)">x</a>',
        '<button onclick="x()">x</button>',
        '<div hx-vals="js:{a: 1}"></div>',
        '<div hx-trigger="every 2s [ready()]"></div>',
        '<div hx-trigger="load, click[ctrlKey]"></div>',
        '<div hx-on:click="x()"></div>',
        "<style>p{}</style>",
        "{# leaked",
    ]
    for html in bad:
        assert problems_in(html), html
    ok = (
        '<script src="/static/x.js"></script><script type="application/json">{}</script>'
        '<form hx-trigger="input changed delay:300ms from:find input[name=q], change"></form>'
    )
    assert problems_in(ok) == []
