"""Every POST needs the CSRF token, htmx's included; no `next=` leads off-site."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import URLResolver, get_resolver

from studio.generations.models import Favourite, Generation, Reference
from tests.generations.helpers import DEFAULTS
from tests.security.helpers import completed

pytestmark = pytest.mark.django_db

CONVERTER = re.compile(r"<(?:\w+:)?(\w+)>")


def every_route(patterns=None, prefix: str = ""):
    for p in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(p, URLResolver):
            yield from every_route(p.url_patterns, prefix + str(p.pattern))
        else:
            yield prefix + str(p.pattern)


@pytest.fixture
def world(owner, team):
    gen = completed(owner, prompt="mine")
    ref = Reference.objects.create(
        generation=gen, role=Reference.Role.REFERENCE, position=0, url="https://img.test/a.png"
    )
    return {
        "generation_id": gen.pk,
        "batch_id": 1,
        "position": 0,
        "input_id": ref.pk,
        "slug": team.slug,
        "username": "member",
        "token": "anything",
        "job_id": "job",
        "filename": "0.png",
    }


def studio_post_urls(world) -> list[str]:
    urls = []
    for route in every_route():
        if route.startswith(("admin/", "simulator/", "api/")) or "(?P<" in route or "^" in route:
            # The admin below; the simulator is CSRF-exempt; the JSON API takes no session
            # at all, only a bearer token (tests/api: a signed-in browser gets 401).
            continue
        # A parameter this test does not know (a route added later) gets "1", which every
        # converter accepts: the CSRF check runs once the URL resolves, before the view.
        urls.append("/" + CONVERTER.sub(lambda m: str(world.get(m.group(1), 1)), route))
    return urls


def snapshot(owner):
    return (
        Generation.objects.count(),
        Favourite.objects.count(),
        get_user_model().objects.count(),
    )


def test_every_studio_url_refuses_a_post_without_the_token(owner, world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    before = snapshot(owner)
    urls = studio_post_urls(world)
    assert "/generations/" in urls and f"/generations/{world['generation_id']}/delete/" in urls
    for url in urls:
        for headers in ({}, {"HX-Request": "true"}):
            data = {**DEFAULTS, "action": "delete", "ids": world["generation_id"]}
            response = client.post(url, data, headers=headers)
            assert response.status_code == 403, (url, headers, response.status_code)
    assert snapshot(owner) == before
    # Logout was refused too: still signed in.
    assert client.get("/").status_code == 200


def test_the_admin_refuses_a_post_without_the_token(owner, world):
    root = get_user_model().objects.create_superuser("root", password="pw-root-123")
    client = Client(enforce_csrf_checks=True)
    client.force_login(root)
    gen_id = world["generation_id"]
    for url, data in [
        ("/admin/login/", {"username": "root", "password": "pw-root-123"}),
        ("/admin/logout/", {}),
        (f"/admin/generations/generation/{gen_id}/delete/", {"post": "yes"}),
        (
            "/admin/generations/generation/",
            {"action": "delete_selected", "_selected_action": gen_id},
        ),
        (f"/admin/auth/user/{root.pk}/password/", {"password1": "x", "password2": "x"}),
    ]:
        assert client.post(url, data).status_code == 403, url
    assert Generation.objects.filter(pk=gen_id).exists()


def test_htmx_posts_pass_with_the_token_the_page_hands_them(owner, world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    page = client.get("/").content.decode()
    token = re.search(r'hx-headers=\'\{"X-CSRFToken": "([^"]+)"\}\'', page).group(1)
    url = f"/generations/{world['generation_id']}/favourite/"
    response = client.post(url, headers={"HX-Request": "true", "X-CSRFToken": token})
    assert response.status_code == 200
    assert Favourite.objects.filter(generation_id=world["generation_id"]).exists()


def test_a_cross_site_post_with_a_stolen_cookie_value_but_wrong_origin_fails(owner):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    client.get("/")
    token = client.cookies["csrftoken"].value
    response = client.post(
        "/generations/",
        {**DEFAULTS, "csrfmiddlewaretoken": token},
        headers={"Origin": "https://evil.example"},
    )
    assert response.status_code == 403
    assert not Generation.objects.filter(prompt=DEFAULTS["prompt"]).exists()


OFF_SITE = [
    "https://evil.example/",
    "//evil.example/",
    "///evil.example/",
    "http:evil.example",
    "https:/evil.example",
    "\\\\evil.example",
    "/\\evil.example",
    "javascript:alert(1)",
    " https://evil.example",
]


@pytest.mark.parametrize("target", OFF_SITE)
def test_login_never_redirects_off_site(client, owner, target):
    response = client.post(
        f"/accounts/login/?next={target}",
        {"username": "owner", "password": "pw-owner-123", "next": target},
    )
    assert response.status_code == 302
    assert response["Location"] == "/"


@pytest.mark.parametrize("target", OFF_SITE)
def test_actions_never_redirect_off_site(owner_client, owner, target):
    gen = completed(owner)
    response = owner_client.post(f"/generations/{gen.pk}/favourite/", {"next": target})
    assert response.status_code == 302
    assert response["Location"] == f"/generations/{gen.pk}/"


def test_an_on_site_next_is_followed(client, owner):
    response = client.post(
        "/accounts/login/", {"username": "owner", "password": "pw-owner-123", "next": "/teams/x/"}
    )
    assert response["Location"] == "/teams/x/"


def test_logout_never_redirects_off_site(owner_client):
    response = owner_client.post("/accounts/logout/?next=https://evil.example/")
    assert response.status_code == 302
    assert "evil.example" not in response["Location"]
