from html.parser import HTMLParser

import pytest

from studio.generations.models import Generation, State

from .helpers import form_values, make_generation

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
        "/generations/",
        {
            "prompt": "keep me",
            "type": "image",
            "aspect_ratio": "4:5",
            "style": "auto",
            "model": "uni-1",
            "output_format": "png",
        },
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "keep me" in page
    assert "Select a valid choice" in page
    assert Generation.objects.count() == 0
    assert task_queue.calls == []


def test_gallery_shows_own_cards_newest_first_with_hooks(owner_client, owner, outsider, task_queue):
    older = make_generation(owner, prompt="older one")
    newer = make_generation(owner, prompt="newer one")
    make_generation(outsider, prompt="not yours")
    Generation.objects.filter(pk=older.pk).update(
        state=State.FAILED, failure_code="content_moderated", failure_reason="Blocked by policy"
    )
    page = owner_client.get("/").content.decode()
    assert page.index("newer one") < page.index("older one")
    assert "not yours" not in page
    assert f'data-generation-id="{newer.pk}" data-state="pending"' in page
    assert 'data-failure-code="content_moderated"' in page
    assert "Blocked by policy" in page


def test_outsider_gets_404_for_detail_and_files(client, owner, outsider, task_queue):
    gen = make_generation(owner)
    client.force_login(outsider)
    assert client.get(f"/generations/{gen.pk}/").status_code == 404
    assert client.get(f"/generations/{gen.pk}/outputs/0/").status_code == 404
    assert client.get(f"/generations/{gen.pk}/outputs/0/thumb/").status_code == 404


def test_team_member_sees_a_shared_generation(client, owner, member, team, task_queue):
    gen = make_generation(owner)
    Generation.objects.filter(pk=gen.pk).update(team=team)
    client.force_login(member)
    assert client.get(f"/generations/{gen.pk}/").status_code == 200


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
