"""Every page the studio serves, drawn as a person sees it: no template syntax may leak
into the HTML (a two-line `{# #}` comment once printed at the top of every page, the first
thing a screen reader read). A new page joins by one line in PAGES."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.test import Client, RequestFactory
from django.views import defaults

from studio.core.views import too_many_requests
from studio.generations.models import Generation
from tests.generations.helpers import complete, make_generation

pytestmark = pytest.mark.django_db

LEAK = re.compile(r"\{[#%{]")


def _error_page(view, *args):
    def draw(client: Client, gen: Generation) -> str:
        request = RequestFactory().get("/somewhere/")
        request.user = gen.user
        return view(request, *args).content.decode()

    return draw


def _get(url_of):
    def draw(client: Client, gen: Generation) -> str:
        response = client.get(url_of(gen))
        assert response.status_code == 200, response.status_code
        return response.content.decode()

    return draw


def _logged_out(url: str):
    def draw(client: Client, gen: Generation) -> str:
        client.logout()
        return client.get(url).content.decode()

    return draw


def _trash(client: Client, gen: Generation, then: str) -> str:
    """Delete `gen` (the message with Undo is on the next page), then draw `then`."""
    client.post(f"/generations/{gen.pk}/delete/")
    return client.get(then).content.decode()


PAGES = [
    ("studio", _get(lambda gen: "/")),
    ("detail", _get(lambda gen: f"/generations/{gen.pk}/")),
    ("use-as-reference", _get(lambda gen: f"/?reference={gen.pk}&output=0")),
    ("team", _get(lambda gen: f"/teams/{gen.team.slug}/")),
    ("deleted-with-undo", lambda client, gen: _trash(client, gen, "/")),
    ("trash", lambda client, gen: _trash(client, gen, "/trash/")),
    ("webhooks", _get(lambda gen: "/settings/webhooks/")),
    ("login", _logged_out("/accounts/login/")),
    ("403", _error_page(defaults.permission_denied, PermissionDenied("Not yours."))),
    ("404", _error_page(defaults.page_not_found, Http404("No such page."))),
    ("429", _error_page(too_many_requests)),
    ("500", _error_page(lambda request: defaults.server_error(request))),
]


@pytest.mark.parametrize("name,draw", PAGES, ids=[name for name, _ in PAGES])
def test_page_shows_no_template_syntax(client, owner, team, name, draw):
    gen = complete(make_generation(owner))
    Generation.objects.filter(pk=gen.pk).update(team=team)
    gen.refresh_from_db()
    client.force_login(owner)
    html = draw(client, gen)
    assert "<main" in html
    assert not LEAK.findall(html), LEAK.findall(html)


@pytest.mark.parametrize("code", ["403", "404", "429", "500"])
def test_error_pages_are_the_studios_own(client, owner, team, code):
    draw = dict(PAGES)[code]
    gen = make_generation(owner)
    html = draw(client, gen)
    assert 'class="brand"' in html and f'<p class="error-code">{code}</p>' in html
    assert 'href="/"' in html


def test_an_unknown_address_gets_the_studios_404(client, owner, settings):
    settings.DEBUG = False
    client.force_login(owner)
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    assert '<p class="error-code">404</p>' in response.content.decode()
