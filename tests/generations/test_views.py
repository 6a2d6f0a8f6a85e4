"""The studio page: the composer, submitting it (with and without htmx), and its prefill
for Remix and "Edit this image"."""

import re
from html.parser import HTMLParser

import pytest

from studio.generations.models import Generation
from tests.htmx import HTMX

from .helpers import FORM, complete, form_values, image_bytes, make_generation

pytestmark = pytest.mark.django_db


def test_studio_requires_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_login_page_has_labelled_fields(client):
    page = client.get("/accounts/login/").content.decode()
    assert '<label for="id_username">' in page and '<label for="id_password">' in page


class _Controls(HTMLParser):
    """Collects form controls and labels of the composer form."""

    def __init__(self) -> None:
        super().__init__()
        self.controls: list[dict] = []
        self.label_for: set[str] = set()
        self.label_depth = 0
        self.in_form = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and a.get("id") == "composer-form":
            self.in_form = True
        if not self.in_form:
            return
        if tag == "label":
            self.label_depth += 1
            if a.get("for"):
                self.label_for.add(a["for"])
        if tag in ("input", "select", "textarea") and a.get("type") != "hidden" and a.get("name"):
            self.controls.append({**a, "wrapped": self.label_depth > 0})

    def handle_endtag(self, tag):
        if tag == "label" and self.label_depth:
            self.label_depth -= 1
        if tag == "form":
            self.in_form = False


def test_studio_form_has_every_field_with_a_label(owner_client):
    parser = _Controls()
    parser.feed(owner_client.get("/").content.decode())
    names = {c["name"] for c in parser.controls}
    assert {
        "prompt",
        "type",
        "source",
        "source_url",
        "image_ref",
        "image_ref_url",
        "aspect_ratio",
        "style",
        "model",
        "output_format",
        "web_search",
    } <= names
    unlabelled = [
        c["name"]
        for c in parser.controls
        if not c["wrapped"] and c.get("id") not in parser.label_for
    ]
    assert unlabelled == []


def test_post_creates_generation_and_redirects(
    owner_client, owner, task_queue, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(
            "/generations/",
            {
                "prompt": "a red fox in snow",
                "type": "image",
                "aspect_ratio": "3:2",
                "style": "manga",
                "model": "uni-1-max",
                "output_format": "jpeg",
                "web_search": "on",
            },
        )
    assert response.status_code == 302
    gen = Generation.objects.get()
    assert (gen.user, gen.prompt, gen.aspect_ratio, gen.style, gen.model) == (
        owner,
        "a red fox in snow",
        "3:2",
        "manga",
        "uni-1-max",
    )
    assert gen.output_format == "jpeg" and gen.web_search is True
    assert task_queue.names() == ["submit"]


def test_invalid_post_keeps_what_was_typed(owner_client, task_queue):
    response = owner_client.post(
        "/generations/", {**FORM, "prompt": "keep me", "aspect_ratio": "4:5"}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "keep me" in page
    assert "Select a valid choice" in page
    assert Generation.objects.count() == 0
    assert task_queue.calls == []


def test_a_body_larger_than_any_valid_request_is_refused_unread(owner_client, task_queue, settings):
    settings.UPLOAD_MAX_BYTES = 1000
    response = owner_client.post(
        "/generations/",
        {"prompt": "x" * 1_200_000, "type": "image"},
    )
    assert response.status_code == 413
    assert "too large" in response.content.decode()
    assert Generation.objects.count() == 0


def test_favicon_ico_points_at_the_svg(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"] == "/static/favicon.svg"


def test_without_javascript_the_next_form_keeps_prompt_and_settings(owner_client, task_queue):
    owner_client.post(
        "/generations/",
        {
            "prompt": "iterate on me",
            "type": "image",
            "aspect_ratio": "9:16",
            "style": "manga",
            "model": "uni-1-max",
            "output_format": "jpeg",
        },
    )
    values = form_values(owner_client.get("/").content.decode())
    assert values["prompt"] == ["iterate on me"]
    assert values["aspect_ratio"] == ["9:16"]
    assert values["model"] == ["uni-1-max"]
    # Once: a later visit starts fresh.
    assert form_values(owner_client.get("/").content.decode())["prompt"] == [""]


def test_htmx_submit_returns_the_new_card_and_hides_the_empty_note(
    owner_client, task_queue, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post("/generations/", FORM, **HTMX)
    body = response.content.decode()
    gen = Generation.objects.get()
    assert response.status_code == 200
    assert body.lstrip().startswith(f'<article class="card state-pending" id="gen-{gen.pk}"')
    assert 'id="gallery-empty" hidden hx-swap-oob="true"' in body
    assert "Submitted" in body  # announced in the live region
    assert task_queue.names() == ["submit"]


def test_htmx_submit_with_errors_returns_the_form_in_place(owner_client, task_queue):
    response = owner_client.post("/generations/", {**FORM, "prompt": "  "}, **HTMX)
    assert response["HX-Retarget"] == "#composer-form"
    assert response["HX-Reswap"] == "outerHTML"
    body = response.content.decode()
    assert body.lstrip().startswith("<form") and 'id="composer-form"' in body
    assert Generation.objects.count() == 0


def test_remix_prefills_settings_and_references(owner_client, owner, task_queue):
    png = image_bytes("PNG", size=(40, 30))
    gen = make_generation(
        owner,
        prompt="remix me",
        aspect_ratio="2:3",
        style="manga",
        model="uni-1-max",
        output_format="jpeg",
        inputs=[
            {"role": "reference", "content": png, "media_type": "image/png", "name": "r.png"},
            {"role": "reference", "url": "https://example.com/u.jpg"},
        ],
    )
    before = Generation.objects.count()
    page = owner_client.get(f"/?remix={gen.pk}").content.decode()
    values = form_values(page)
    assert values["prompt"] == ["remix me"]
    assert values["aspect_ratio"] == ["2:3"]
    assert values["style"] == ["manga"]
    assert values["model"] == ["uni-1-max"]
    assert values["output_format"] == ["jpeg"]
    assert "https://example.com/u.jpg" in values["image_ref_url"][0]
    assert len(values["kept_ref"]) == 1
    # Nothing was submitted by opening the form.
    assert Generation.objects.count() == before


def test_edit_this_image_opens_an_edit_with_the_output_as_source(owner_client, owner, task_queue):
    gen = complete(make_generation(owner, prompt="edit me"), size=(80, 40))
    page = owner_client.get(f"/?edit={gen.pk}&output=0").content.decode()
    values = form_values(page)
    assert values["type"] == ["image_edit"]
    assert len(values["kept_source"]) == 1
    token = values["kept_source"][0]
    preview = owner_client.get(f"/uploads/{token}/")
    assert preview.status_code == 200


def test_remix_of_someone_elses_generation_is_404(client, owner, outsider, task_queue):
    gen = make_generation(owner)
    client.force_login(outsider)
    assert client.get(f"/?remix={gen.pk}").status_code == 404


def test_edit_with_a_bad_output_number_is_404(owner_client, owner, task_queue):
    gen = complete(make_generation(owner))
    assert owner_client.get(f"/?edit={gen.pk}&output=x").status_code == 404
    assert owner_client.get(f"/?edit={gen.pk}&output=7").status_code == 404


def test_every_plain_field_has_the_one_wrapper_with_help_and_errors_tied_to_it(
    owner_client, team, task_queue
):
    response = owner_client.post(
        "/generations/",
        {**FORM, "prompt": "", "type": "image_edit", "source_url": "ftp://x", "style": "odd"},
    )
    page = response.content.decode()
    for name in FIELD_GROUPS:
        assert page.count(f'<div class="field field-{name}') == 1, name
        assert f'<p class="help" id="id_{name}_helptext">' in page, name
    for name in ["prompt", "source_url", "style"]:
        assert f'<div class="field field-{name} has-error">' in page, name
        assert f'aria-describedby="id_{name}_helptext id_{name}_error"' in page, name
        assert f'<ul class="errorlist" id="id_{name}_error">' in page, name
    assert 'class="check"><input type="checkbox" name="web_search"' in page
    assert re.search(r'id="id_prompt_helptext"><span>[^<]+</span><span class="counter"', page)


FIELD_GROUPS = [
    "prompt",
    "source_url",
    "image_ref_url",
    "style",
    "model",
    "output_format",
    "web_search",
    "team",
]
