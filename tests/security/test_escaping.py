"""Everything people type, or the provider sends back, renders escaped: prompts, failure
reasons, file names, team names, usernames and query strings, on every page that shows them."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import Resolver404, resolve

from studio.generations.models import Generation, Reference
from studio.teams.models import Membership, Team
from tests.generations.helpers import DEFAULTS, image_bytes
from tests.security.helpers import completed, failed

pytestmark = pytest.mark.django_db

PAYLOADS = {
    "prompt": '<script>alert("prompt")</script>',
    "reason": '<img src=x onerror=alert("reason")>',
    "file": '"><svg onload=alert("file")>.png',
    "team": '<script>alert("team")</script>',
    # No "/": URLs name members by username (Django's validator allows none of this).
    "user": '<b onmouseover=alert("user")>eve',
    "query": '"><script>alert("query")</script>',
}
RAW_MARKERS = ["<script>alert(", "<img src=x onerror", "<svg onload", "<b onmouseover"]


def assert_escaped(html: str, where: str, *expect_shown: str) -> None:
    for marker in RAW_MARKERS:
        assert marker not in html, f"{where}: raw {marker!r}"
    for name in expect_shown:
        # Shown, as text: its escaped form is on the page (the alert's argument survives).
        assert f"alert(&quot;{name}&quot;)" in html or f"alert(&#x27;{name}" in html, (
            f"{where}: {name} not shown"
        )


@pytest.fixture
def hostile(db):
    """A team with an evil name, an author with an evil username, and their generations."""
    User = get_user_model()
    eve = User.objects.create_user(PAYLOADS["user"], password="pw-eve-12345")
    viewer = User.objects.create_user("viewer", password="pw-viewer-123")
    team = Team.objects.create(name=PAYLOADS["team"], slug="evil")
    Membership.objects.create(team=team, user=eve, role=Membership.Role.OWNER)
    Membership.objects.create(team=team, user=viewer, role=Membership.Role.VIEWER)
    done = completed(eve, prompt=PAYLOADS["prompt"])
    broken = failed(eve, prompt="plain", code="generation_failed", reason=PAYLOADS["reason"])
    Reference.objects.create(
        generation=done,
        role=Reference.Role.REFERENCE,
        position=0,
        url="https://img.test/a.png",
        original_name=PAYLOADS["file"],
    )
    Generation.objects.filter(pk__in=[done.pk, broken.pk]).update(team=team)
    return {"eve": eve, "viewer": viewer, "team": team, "done": done, "broken": broken}


def test_the_author_sees_everything_escaped(client, hostile):
    client.force_login(hostile["eve"])
    done, broken = hostile["done"], hostile["broken"]
    assert_escaped(client.get("/").content.decode(), "studio", "prompt", "reason", "user")
    assert_escaped(client.get(f"/generations/{done.pk}/").content.decode(), "detail", "prompt")
    detail = client.get(f"/generations/{done.pk}/").content.decode()
    assert "svg onload=alert(&quot;file&quot;)" in detail  # the file name, as text
    assert_escaped(client.get(f"/generations/{broken.pk}/").content.decode(), "failed", "reason")
    client.post(f"/generations/{done.pk}/delete/")
    assert_escaped(client.get("/trash/").content.decode(), "trash", "prompt")


def test_a_teammate_sees_author_team_prompt_and_reason_escaped(client, hostile):
    client.force_login(hostile["viewer"])
    page = client.get("/teams/evil/").content.decode()
    assert_escaped(page, "team gallery", "team", "prompt", "reason", "user")
    detail = client.get(f"/generations/{hostile['done'].pk}/").content.decode()
    assert_escaped(detail, "teammate's detail", "prompt", "team")


def test_query_strings_are_escaped_where_they_are_echoed(client, hostile):
    client.force_login(hostile["eve"])
    q = PAYLOADS["query"]
    for url in (f"/?q={q}", f"/?q={q}&state={q}&model={q}&cursor={q}", f"/teams/evil/?q={q}"):
        for headers in ({}, {"HX-Request": "true"}):
            response = client.get(url, headers=headers)
            assert response.status_code == 200, url
            assert_escaped(response.content.decode(), url)


def test_a_file_name_kept_after_a_form_error_is_escaped(client, hostile):
    client.force_login(hostile["eve"])
    upload = SimpleUploadedFile(PAYLOADS["file"], image_bytes("PNG"), content_type="image/png")
    # An empty prompt sends the form back; the image passed and is kept, named as sent.
    response = client.post("/generations/", {**DEFAULTS, "prompt": "", "image_ref": [upload]})
    assert response.status_code == 400
    html = response.content.decode()
    assert_escaped(html, "kept upload")
    assert "svg onload=alert(&quot;file&quot;)" in html


def test_the_admin_changelist_and_change_page_escape_them(client, hostile):
    root = get_user_model().objects.create_superuser("root", password="pw-root-123")
    client.force_login(root)
    done, broken = hostile["done"], hostile["broken"]
    changelist = client.get("/admin/generations/generation/").content.decode()
    assert_escaped(changelist, "admin changelist", "prompt", "user")
    for gen, shown in ((done, ("prompt",)), (broken, ("reason",))):
        page = client.get(f"/admin/generations/generation/{gen.pk}/change/").content.decode()
        assert_escaped(page, f"admin change {gen.pk}", *shown)
    teams = client.get("/admin/teams/team/").content.decode()
    assert_escaped(teams, "admin teams", "team")
    users = client.get("/admin/auth/user/").content.decode()
    assert_escaped(users, "admin users", "user")


def _exists(path: str) -> bool:
    try:
        resolve(path)
    except Resolver404:
        return False
    return True


@pytest.mark.parametrize("path", ["/teams/evil/members/", "/usage/", "/teams/evil/usage/"])
def test_members_and_usage_pages_escape_them_when_they_exist(client, hostile, path):
    if not _exists(path) or resolve(path).url_name == "team-gallery":
        pytest.skip(f"{path} is not served by this build")
    client.force_login(hostile["eve"])
    response = client.get(path)
    assert response.status_code == 200
    assert_escaped(response.content.decode(), path)


def test_a_posted_prompt_reads_back_escaped(owner_client, owner, task_queue):
    response = owner_client.post("/generations/", {**DEFAULTS, "prompt": PAYLOADS["prompt"]})
    assert response.status_code == 302
    gen = Generation.objects.get(user=owner)
    assert gen.prompt == PAYLOADS["prompt"]  # kept as typed, escaped only on output
    assert_escaped(owner_client.get("/").content.decode(), "studio", "prompt")
    assert_escaped(owner_client.get(f"/generations/{gen.pk}/").content.decode(), "detail", "prompt")
